"""Every kind of broken job file gets a precise error: file, key, what is wrong, what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncer.errors import ConfigError
from syncer.jobs import JobFileError, load_job
from tests.jobs.conftest import VALID, Failure, Loader

SPIFFY_KEYS = "api_key, base_url, concurrency, convert, delete, mapping, name, on_oversize"


def _lines(error: JobFileError) -> list[str]:
    return str(error).splitlines()


def test_a_valid_job_loads(load: Loader) -> None:
    job = load(VALID)
    assert job.name == "job"
    assert job.target("spiffy").mapping.owner_for("part-0009") == "products/100001"


def test_the_error_is_a_config_error_naming_the_file(tmp_path: Path, fail: Failure) -> None:
    error = fail(VALID.replace('"spiffy"', '"shopify"'))
    assert isinstance(error, ConfigError)
    assert str(error) == (
        f"{tmp_path / 'job.toml'}: targets[0].vendor: 'shopify' is not a vendor; "
        "use one of beproduct, moov, partium, spiffy"
    )
    assert error.path == tmp_path / "job.toml"


def test_toml_syntax_error_names_line_and_column(fail: Failure) -> None:
    error = fail(VALID + "\nrate = = 2\n")
    line = VALID.count("\n") + 2
    assert [(p.key, p.message) for p in error.problems] == [
        (f"line {line}, column 8", "not valid TOML: Invalid value")
    ]


def test_unreadable_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(JobFileError, match=r"nope\.toml: cannot read the job file: No such file"):
        load_job(tmp_path / "nope.toml", {})


def test_non_utf8_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "latin.toml"
    path.write_bytes(b'name = "caf\xe9"\n')
    with pytest.raises(JobFileError, match="is not UTF-8 text"):
        load_job(path, {})


@pytest.mark.parametrize(
    ("text", "key", "allowed"),
    [
        ("colour = 1\n" + VALID, "colour", "name, schedule, source, state, targets"),
        (VALID.replace("[[targets]]", "colour = 1\n[[targets]]"), "source.colour", "api_key"),
        (VALID + "colour = 1\n", "targets[0].mapping.colour", "default_owner, fields"),
        (VALID + "[targets.delete]\nmax = 1\n", "targets[0].delete.max", "enabled, max_count"),
        (VALID + "[schedule]\nevery = 1\n", "schedule.every", "cron, full_every"),
    ],
)
def test_unknown_keys_are_refused_at_every_depth(
    fail: Failure, text: str, key: str, allowed: str
) -> None:
    (problem,) = fail(text).problems
    assert problem.key == key
    assert problem.message.startswith("unknown key")
    assert allowed in problem.message


def test_unknown_key_suggests_the_key_meant(fail: Failure) -> None:
    text = VALID.replace('password = "demo"', 'password = "demo"\npasword = "x"\nfields = {}')
    problems = {p.key: p.message for p in fail(text).problems}
    assert "(did you mean password?)" in problems["targets[0].pasword"]
    assert "(did you mean mapping.fields?)" in problems["targets[0].fields"]
    assert SPIFFY_KEYS in problems["targets[0].fields"]


def test_source_only_keys_are_refused_on_targets(fail: Failure) -> None:
    text = VALID.replace('password = "demo"', 'password = "demo"\nowner_kinds = ["products"]')
    (problem,) = fail(text).problems
    assert problem.key == "targets[0].owner_kinds"


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        (
            'password = "demo"',
            'password = "demo"\nconcurrency = "four"',
            "targets[0].concurrency",
            "'four' should be a valid integer",
        ),
        (
            'password = "demo"',
            'password = "demo"\nrate = 0',
            "targets[0].rate",
            "0 should be greater than 0",
        ),
        (
            'password = "demo"',
            'password = "demo"\non_oversize = "crop"',
            "targets[0].on_oversize",
            "'crop' is not allowed; use one of 'skip' or 'shrink'",
        ),
        (
            'base_url = "http://127.0.0.1:8103"',
            'base_url = "ftp://host"',
            "source.base_url",
            "'ftp://host' is not an http(s) URL",
        ),
        (
            "[source]",
            'state = "sqlite:///x.db"\n[source]',
            "state",
            "names a synchronous driver (sqlite); syncer needs an async one",
        ),
        ("[source]", 'state = "::nope"\n[source]', "state", "is not a SQLAlchemy URL"),
        ("[source]", 'name = "my job"\n[source]', "name", "'my job' is not a valid name"),
        ("[[targets]]", "[targets]", "targets", "must be an array of tables: write [[targets]]"),
    ],
)
def test_wrong_values_name_the_key_and_what_is_allowed(
    fail: Failure, old: str, new: str, key: str, message: str
) -> None:
    problems = fail(VALID.replace(old, new, 1)).problems
    assert [p.key for p in problems] == [key]
    assert message in problems[0].message


def test_source_as_a_string_must_be_a_table(fail: Failure) -> None:
    text = 'source = "partium"\n' + VALID[VALID.index("[[targets]]") :]
    (problem,) = fail(text).problems
    assert (problem.key, problem.message) == ("source", "must be a table, not 'partium'")


def test_missing_vendor_lists_the_vendors(fail: Failure) -> None:
    (problem,) = fail(VALID.replace('vendor = "partium"\n', "")).problems
    assert problem.key == "source.vendor"
    assert problem.message == "is missing; use one of beproduct, moov, partium, spiffy"


def test_missing_required_keys(fail: Failure) -> None:
    text = VALID.replace('api_key = "demo"\n', "", 1)
    assert [(p.key, p.message) for p in fail(text).problems] == [
        ("source.api_key", "is required but missing")
    ]
    only_source = VALID[: VALID.index("[[targets]]")]
    assert [p.key for p in fail(only_source).problems] == ["targets"]
    assert "at least one" in fail("targets = []\n" + only_source).problems[0].message


def test_vendor_settings_cross_checks_are_reported(fail: Failure) -> None:
    text = VALID.replace('password = "demo"\n', "")
    (problem,) = fail(text).problems
    assert problem.key == "targets[0]"
    assert "spiffy.api_key and spiffy.password" in problem.message
    text = VALID.replace("[source]", "[source]\npage_size = 101", 1)
    assert "101 should be less than or equal to 100" in str(fail(text))


def test_name_from_an_unusable_file_name_says_how_to_fix(fail: Failure) -> None:
    (problem,) = fail(VALID, name="my job").problems
    assert problem.key == "name"
    assert 'set name = "..." in the file or rename it' in problem.message


def test_duplicate_target_names(load: Loader, fail: Failure) -> None:
    second = VALID[VALID.index("[[targets]]") :]
    (problem,) = fail(VALID + second).problems
    assert problem.key == "targets"
    assert "targets[0] and targets[1] are both named 'spiffy'" in problem.message
    assert "unique name" in problem.message
    renamed = second.replace('vendor = "spiffy"', 'name = "outlet"\nvendor = "spiffy"')
    assert load(VALID + renamed).target_names == ["spiffy", "outlet"]


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("*/15 * * *", "has 4 fields; a cron expression has 5"),
        ("61 * * * *", "minute 61 is out of range 0-59"),
        ("* * * FOO *", "month 'FOO' is not a number or one of JAN"),
        ("*/0 * * * *", "minute step '0' must be a whole number of at least 1"),
        ("@sometimes", "unknown macro"),
    ],
)
def test_bad_cron(fail: Failure, cron: str, message: str) -> None:
    (problem,) = fail(VALID + f'[schedule]\ncron = "{cron}"\n').problems
    assert problem.key == "schedule.cron"
    assert message in problem.message


@pytest.mark.parametrize("duration", ["soon", "24", "0h", "-1h", "1.5h"])
def test_bad_duration(fail: Failure, duration: str) -> None:
    (problem,) = fail(VALID + f'[schedule]\nfull_every = "{duration}"\n').problems
    assert problem.key == "schedule.full_every"
    assert "24h" in problem.message


@pytest.mark.parametrize("seconds", ["-5", "0"])
def test_a_numeric_duration_must_be_positive_too(fail: Failure, seconds: str) -> None:
    (problem,) = fail(VALID + f"[schedule]\nfull_every = {seconds}\n").problems
    assert problem.key == "schedule.full_every"
    assert "longer than 0" in problem.message


def test_bad_templates_name_the_field(fail: Failure) -> None:
    text = (
        VALID + 'fields = { alt = "{nope}", title = "{title!r}", colour = "x", filename = "{" }\n'
    )
    (problem,) = fail(text).problems
    assert problem.key == "targets[0].mapping.fields"
    assert "cannot set 'colour'; templates can set alt, title, filename" in problem.message
    assert "alt: template '{nope}': unknown field {nope}; use one of key, owner" in problem.message
    assert "title: template '{title!r}': {title} takes no format spec" in problem.message
    assert "filename: template '{'" in problem.message


def test_owners_and_owners_csv_together(tmp_path: Path, fail: Failure) -> None:
    (tmp_path / "owners.csv").write_text("part-0001,products/1\n", encoding="utf-8")
    text = VALID + 'owners = { a = "b" }\nowners_csv = "owners.csv"\n'
    (problem,) = fail(text).problems
    assert problem.key == "targets[0].mapping"
    assert problem.message == (
        "give one of owners, owners_csv or owners_identity, not owners and owners_csv"
    )


def test_identity_with_a_default_owner(fail: Failure) -> None:
    (problem,) = fail(VALID + "owners_identity = true\n").problems
    assert "default_owner has no effect with owners_identity" in problem.message


def test_a_target_without_any_owner_mapping(fail: Failure) -> None:
    text = VALID.replace('default_owner = "products/100001"', "")
    (problem,) = fail(text).problems
    assert problem.key == "targets[0].mapping"
    assert "no owner mapping: set owners, owners_csv" in problem.message


def test_owners_csv_bad_rows_are_all_reported(tmp_path: Path, fail: Failure) -> None:
    (tmp_path / "owners.csv").write_text(
        "source,target\npart-0001,products/1\nbroken\n\npart-0002,\npart-0001,products/9\n",
        encoding="utf-8",
    )
    (problem,) = fail(VALID + 'owners_csv = "owners.csv"\n').problems
    assert problem.key == "targets[0].mapping.owners_csv"
    assert str(tmp_path / "owners.csv") in problem.message
    assert "line 3: has 1 columns; write source,target" in problem.message
    assert "line 5: has an empty source or target" in problem.message
    assert "line 6: maps 'part-0001' again" in problem.message


def test_owners_csv_missing_file(tmp_path: Path, fail: Failure) -> None:
    (problem,) = fail(VALID + 'owners_csv = "gone.csv"\n').problems
    assert f"cannot read {tmp_path / 'gone.csv'}" in problem.message


def test_several_problems_are_reported_one_per_line(fail: Failure) -> None:
    text = (
        "colour = 1\n"
        + VALID.replace('"spiffy"', '"shopify"').replace('"partium"', '"partium"\nrate = -2')
        + '[schedule]\ncron = "* *"\n'
    )
    error = fail(text)
    assert [p.key for p in error.problems] == [
        "source.rate",
        "targets[0].vendor",
        "schedule.cron",
        "colour",
    ]
    lines = _lines(error)
    assert len(lines) == 4
    assert all(line.startswith(f"{error.path}: ") for line in lines)


@pytest.mark.parametrize(
    "text",
    [
        "x = " + "[" * 3000 + "]" * 3000,  # tomllib recurses into arrays ...
        "x = " + "{a = " * 3000 + "1" + "}" * 3000,  # ... and inline tables
        "[" + ".".join(["a"] * 3000) + "]\nb = 1",  # parsed flat, then interpolated recursively
    ],
    ids=["arrays", "inline-tables", "dotted-table"],
)
def test_a_file_nested_thousands_deep_is_a_config_error_naming_it(
    tmp_path: Path, fail: Failure, text: str
) -> None:
    error = fail(text)
    assert str(error) == (
        f"{tmp_path / 'job.toml'}: is nested too deeply to read (tables or arrays hundreds of "
        "levels inside each other); a job file needs a few levels"
    )
