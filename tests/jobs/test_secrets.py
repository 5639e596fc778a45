"""${VAR} interpolation, and secrets kept out of errors and reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncer.jobs.interpolate import interpolate
from tests.jobs.conftest import VALID, Failure, Loader

SECRET = "s3cr3t-value-never-shown"
REFERENCED = VALID.replace('password = "demo"', 'password = "${SPIFFY_PASSWORD}"')


def test_references_resolve_from_the_environment(load: Loader) -> None:
    job = load(REFERENCED, {"SPIFFY_PASSWORD": SECRET})
    assert job.target("spiffy").settings().password == SECRET


def test_defaults_apply_when_unset_or_empty(load: Loader) -> None:
    text = VALID.replace('"http://127.0.0.1:8104"', '"${SHOP_URL:-http://shop.test}"')
    assert load(text).target("spiffy").settings().base_url == "http://shop.test"
    assert load(text, {"SHOP_URL": ""}).target("spiffy").settings().base_url == "http://shop.test"
    url = load(text, {"SHOP_URL": "https://real.test"}).target("spiffy").settings().base_url
    assert url == "https://real.test"


def test_numbers_and_flags_may_come_from_the_environment(load: Loader) -> None:
    text = VALID.replace('password = "demo"', 'password = "demo"\nconcurrency = "${CONC:-3}"')
    assert load(text).targets[0].concurrency == 3
    assert load(text, {"CONC": "7"}).targets[0].concurrency == 7


def test_a_missing_variable_names_the_key_and_the_variable(fail: Failure) -> None:
    (problem,) = fail(REFERENCED).problems
    assert problem.key == "targets[0].password"
    assert problem.message.startswith("environment variable SPIFFY_PASSWORD is not set")
    assert "${SPIFFY_PASSWORD:-default}" in problem.message


def test_a_missing_variable_does_not_hide_other_problems(fail: Failure) -> None:
    text = REFERENCED.replace("[source]", "colour = 1\n[source]")
    assert [p.key for p in fail(text).problems] == ["targets[0].password", "colour"]


def test_a_malformed_reference_is_an_error(fail: Failure) -> None:
    (problem,) = fail(VALID.replace('"products/100001"', '"${1BAD}"')).problems
    assert problem.key == "targets[0].mapping.default_owner"
    assert "${1BAD} is not a valid reference" in problem.message


def test_dollar_dollar_writes_a_literal_reference(load: Loader) -> None:
    text = VALID.replace('password = "demo"', 'password = "pa$${x}$$word"')
    assert load(text).targets[0].settings().password == "pa${x}$$word"


def test_invalid_interpolated_values_are_shown_by_reference(fail: Failure) -> None:
    text = VALID.replace('"http://127.0.0.1:8104"', '"${SHOP_URL}"').replace(
        'password = "demo"', 'password = "demo"\nrate = "${RATE}"'
    )
    error = fail(text, {"SHOP_URL": f"ftp://{SECRET}", "RATE": SECRET})
    assert SECRET not in str(error)
    messages = {p.key: p.message for p in error.problems}
    assert messages["targets[0].base_url"].startswith("${SHOP_URL} is not an http(s) URL")
    assert messages["targets[0].rate"].startswith("${RATE} should be a valid number")


def test_vendor_settings_messages_are_scrubbed(fail: Failure) -> None:
    # MoovSettings quotes a bad api_version; the value came from the environment.
    text = VALID.replace("[[targets]]", "[[targets]]\nname = 'm'", 1)
    text += '[[targets]]\nvendor = "moov"\nusername = "u"\npassword = "${MOOV_SECRET}"\n'
    text += 'api_version = "${MOOV_VERSION}"\n[targets.mapping]\ndefault_owner = "acct"\n'
    error = fail(text, {"MOOV_SECRET": SECRET, "MOOV_VERSION": "v2020.01.00"})
    assert "v2020.01.00" not in str(error)
    assert SECRET not in str(error)
    assert "moov.api_version must be v2026.10.00 or later, got ${MOOV_VERSION}" in str(error)


def test_literal_secrets_are_never_echoed_in_errors(fail: Failure) -> None:
    text = VALID.replace('password = "demo"', "password = 12345678")
    (problem,) = fail(text).problems
    assert problem.message == "*** should be a valid string"


def test_redacted_masks_interpolated_and_secret_values(load: Loader) -> None:
    text = REFERENCED.replace('"http://127.0.0.1:8103"', '"${PARTIUM_URL:-http://p.test}"')
    text = text.replace("[source]", 'state = "postgresql+asyncpg://syncer:pw@db/syncer"\n[source]')
    job = load(text, {"SPIFFY_PASSWORD": SECRET})
    data = job.redacted()
    assert SECRET not in str(data)
    assert data["targets"][0]["password"] == "${SPIFFY_PASSWORD}"
    assert data["source"]["base_url"] == "${PARTIUM_URL}"
    assert data["source"]["api_key"] == "***"
    assert data["targets"][0]["api_key"] == "***"
    assert data["state"] == "postgresql+asyncpg://syncer:***@db/syncer"
    assert data["targets"][0]["mapping"]["default_owner"] == "products/100001"
    assert job.is_secret(("targets", 0, "password"))
    assert job.is_secret(("source", "base_url"))
    assert not job.is_secret(("targets", 0, "base_url"))


def test_redacted_never_shows_text_around_a_secret_reference(load: Loader) -> None:
    text = VALID.replace('password = "demo"', 'password = "prefix-${PW}"')
    assert load(text, {"PW": "x"}).redacted()["targets"][0]["password"] == "***"


def test_job_remembers_its_file(tmp_path: Path, load: Loader) -> None:
    assert load(VALID).path == tmp_path / "job.toml"


@pytest.mark.parametrize(
    ("value", "env", "resolved", "mask"),
    [
        ("${A}", {"A": "1"}, "1", "${A}"),
        ("x-${A}-${B:-b}", {"A": "1"}, "x-1-b", "x-${A}-${B}"),
        ("${A:-}", {}, "", "${A}"),
        ("$A and $${A}", {"A": "1"}, "$A and ${A}", None),
    ],
)
def test_interpolate_values_and_masks(
    value: str, env: dict[str, str], resolved: str, mask: str | None
) -> None:
    result = interpolate({"t": [{"k": value}]}, env)
    assert result.data == {"t": [{"k": resolved}]}
    assert result.masks.get(("t", 0, "k")) == mask
    assert not result.problems


def test_interpolate_reports_every_bad_reference() -> None:
    result = interpolate({"a": "${X}", "b": {"c": "${ unclosed"}, "d": 3}, {})
    assert set(result.problems) == {("a",), ("b", "c")}
    assert "X is not set" in result.problems[("a",)]
    assert "without a closing }" in result.problems[("b", "c")]
    assert result.data["d"] == 3
