"""Reading Partium's answers (list pages, per-item upsert and delete outcomes); the maintenance
gate."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from syncer.emulators.partium.errors import MAINTENANCE_MESSAGE
from syncer.errors import ProtocolError, UnavailableError, ValidationError
from syncer.vendors.partium.answers import Sent, read_delete, read_list, read_upsert
from syncer.vendors.partium.maintenance import MaintenanceGate, is_maintenance

SENT = [Sent("key-a", "a", "sha-a"), Sent("key-b", "b", "sha-b"), Sent("key-c", "c", "sha-c")]


def test_read_list() -> None:
    page = read_list({"result": [{"image_id": "a"}], "last_object_id": "00ab", "more_data": True})
    assert (page.result, page.last_object_id, page.more_data) == ([{"image_id": "a"}], "00ab", True)
    empty = read_list({"result": [], "last_object_id": None, "more_data": False})
    assert (empty.result, empty.last_object_id, empty.more_data) == ([], None, False)


@pytest.mark.parametrize(
    "answer",
    [
        [],
        {"result": {}, "more_data": False},
        {"result": [], "more_data": "no"},
        {"result": [], "more_data": True, "last_object_id": 17},
    ],
)
def test_read_list_refuses_other_shapes(answer: Any) -> None:
    with pytest.raises(ProtocolError):
        read_list(answer)


def test_read_upsert_maps_each_item() -> None:
    answer = {
        "created": ["a"],
        "updated": ["c"],
        "errors": {"b": "The file is not a readable image"},
    }
    results = read_upsert(SENT, answer)
    assert [r.key for r in results] == ["key-a", "key-b", "key-c"]
    assert [r.ok for r in results] == [True, False, True]
    first, third = results[0].item, results[2].item
    assert first is not None
    assert third is not None
    assert (first.id, first.sha256, first.version, first.extra["created"]) == (
        "a",
        "sha-a",
        None,
        True,
    )
    assert (third.id, third.extra["created"]) == ("c", False)
    error = results[1].error
    assert isinstance(error, ValidationError)
    assert (error.item, error.status, error.message) == (
        "key-b",
        200,
        "The file is not a readable image",
    )
    assert "partium upsert [key-b]" in str(error)


def test_read_upsert_finds_errors_keyed_by_position() -> None:
    results = read_upsert(SENT, {"created": ["a", "c"], "errors": {"images[1]": "bad entry"}})
    assert [r.ok for r in results] == [True, False, True]


def test_an_item_the_answer_does_not_mention_is_a_protocol_error() -> None:
    results = read_upsert(SENT, {"created": ["a", "b"], "updated": [], "errors": {}})
    assert isinstance(results[2].error, ProtocolError)
    assert results[2].error.item == "key-c"


@pytest.mark.parametrize(
    "answer", [[], {"created": "a"}, {"created": [1]}, {"created": [], "errors": ["a"]}]
)
def test_read_upsert_refuses_other_shapes(answer: Any) -> None:
    with pytest.raises(ProtocolError):
        read_upsert(SENT, answer)


def test_read_delete_counts_not_found_and_unmentioned_as_deleted() -> None:
    answer = {"deleted": ["a"], "errors": {"b": "Image not found", "c": "Image is locked"}}
    results = read_delete(SENT, answer)
    assert [r.ok for r in results] == [True, True, False]
    assert isinstance(results[2].error, ValidationError)
    ignored = read_delete(SENT, {"deleted": ["a"], "errors": {}})
    assert [r.ok for r in ignored] == [True, True, True]
    with pytest.raises(ProtocolError):
        read_delete(SENT, {"deleted": "a"})


def _unavailable(detail: str, status: int = 503) -> UnavailableError:
    return UnavailableError(
        "server error", vendor="partium", operation="upsert", status=status, body={"detail": detail}
    )


def test_is_maintenance() -> None:
    assert is_maintenance(_unavailable(MAINTENANCE_MESSAGE))
    assert not is_maintenance(_unavailable("injected server error"))
    assert not is_maintenance(_unavailable(MAINTENANCE_MESSAGE, status=502))
    plain = UnavailableError("x", vendor="partium", status=503, body="maintenance")
    assert not is_maintenance(plain)


async def test_the_gate_waits_out_a_long_window() -> None:
    retries: list[int] = []
    gate = MaintenanceGate(0.01, 5.0, on_retry=lambda: retries.append(1))
    calls = 0

    async def call() -> str:
        nonlocal calls
        calls += 1
        if calls < 4:
            raise _unavailable(MAINTENANCE_MESSAGE)
        return "stored"

    assert await gate.run(call) == "stored"
    assert (calls, len(retries), gate.refusals) == (4, 3, 3)


async def test_the_gate_gives_up_after_max_wait() -> None:
    gate = MaintenanceGate(0.02, 0.05)
    calls = 0

    async def call() -> str:
        nonlocal calls
        calls += 1
        raise _unavailable(MAINTENANCE_MESSAGE)

    with pytest.raises(UnavailableError):
        await gate.run(call)
    assert 2 <= calls <= 4


async def test_the_gate_lets_other_errors_through_at_once() -> None:
    gate = MaintenanceGate(10.0, 100.0)

    async def call() -> str:
        raise _unavailable("injected server error")

    with anyio.fail_after(1), pytest.raises(UnavailableError):
        await gate.run(call)
    assert gate.refusals == 0


async def test_one_refusal_holds_back_every_write() -> None:
    gate = MaintenanceGate(0.3, 5.0)
    started: list[float] = []
    in_maintenance = True

    async def call() -> None:
        started.append(anyio.current_time())
        if in_maintenance:
            raise _unavailable(MAINTENANCE_MESSAGE)

    with pytest.raises(UnavailableError):
        await MaintenanceGate(0.3, 0.0).run(call)  # max_wait 0: no second try
    started.clear()
    begin = anyio.current_time()
    async with anyio.create_task_group() as group:
        group.start_soon(gate.run, call)
        await anyio.sleep(0.05)
        in_maintenance = False
        group.start_soon(gate.run, call)  # arrives during the pause: waits for it too
    assert len(started) == 3
    assert min(started[1:]) - begin >= 0.25  # the second write waited for the pause
