"""Reading Partium's answers: list pages, and the per-item outcome of batch upserts and deletes.

Pure functions. A batch write answers HTTP 200 even when some items failed: each item's fate is
in ``created``/``updated`` (or ``deleted``) or in ``errors`` (``{image_id: message}``), and is
mapped to its own :class:`~syncer.records.ItemResult`. An answer of the wrong shape is a
:class:`~syncer.errors.ProtocolError`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from syncer.errors import ProtocolError, ValidationError
from syncer.records import ItemResult, TargetItem

VENDOR = "partium"


@dataclass(frozen=True, slots=True)
class ListAnswer:
    """One page of ``POST /1/catalog/images/list``."""

    result: list[Any]
    last_object_id: str | None
    more_data: bool


@dataclass(frozen=True, slots=True)
class Sent:
    """One item of a batch request: the record's key and the image id it was sent under."""

    key: str
    image_id: str
    sha256: str | None = None
    description: dict[str, str] | None = None


def _protocol(message: str, operation: str, body: Any = None) -> ProtocolError:
    return ProtocolError(message, vendor=VENDOR, operation=operation, status=200, body=body)


def read_list(answer: Any) -> ListAnswer:
    """A list page; ProtocolError unless it has ``result`` (array), ``more_data`` (boolean) and
    ``last_object_id`` (string or null)."""
    if not isinstance(answer, dict):
        raise _protocol(f"the list answer is not an object: {answer!r:.120}", "list")
    result, last, more = answer.get("result"), answer.get("last_object_id"), answer.get("more_data")
    if not isinstance(result, list):
        raise _protocol("the list answer has no 'result' array", "list", answer)
    if not isinstance(more, bool):
        raise _protocol("the list answer has no boolean 'more_data'", "list", answer)
    if last is not None and not isinstance(last, str):
        raise _protocol(f"'last_object_id' is not a string: {last!r:.80}", "list", answer)
    return ListAnswer(result, last, more)


def _ids(answer: dict[str, Any], name: str, operation: str) -> set[str]:
    value = answer.get(name, [])
    if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
        raise _protocol(f"{name!r} is not an array of ids", operation, answer)
    return set(value)


def _errors(answer: dict[str, Any], operation: str) -> dict[str, str]:
    value = answer.get("errors") or {}
    if not isinstance(value, dict):
        raise _protocol("'errors' is not an object", operation, answer)
    return {str(k): str(v) for k, v in value.items()}


def _error_of(sent: Sent, index: int, errors: dict[str, str]) -> str | None:
    """The item's message in ``errors``: keyed by its id, or by ``images[<index>]``."""
    return errors.get(sent.image_id, errors.get(f"images[{index}]"))


def read_upsert(sent: Sequence[Sent], answer: Any) -> list[ItemResult]:
    """One result per sent item, in order: created or updated, or its item error as a
    ValidationError (HTTP 200 with ``errors``); an item the answer does not mention is a
    ProtocolError (we cannot tell whether it was stored)."""
    if not isinstance(answer, dict):
        raise _protocol(f"the upsert answer is not an object: {answer!r:.120}", "upsert")
    created = _ids(answer, "created", "upsert")
    updated = _ids(answer, "updated", "upsert")
    errors = _errors(answer, "upsert")
    results = []
    for index, item in enumerate(sent):
        message = _error_of(item, index, errors)
        if message is not None:
            error: Exception = ValidationError(
                message, vendor=VENDOR, operation="upsert", item=item.key, status=200, body=message
            )
            results.append(ItemResult(item.key, error=error))
        elif item.image_id in created or item.image_id in updated:
            extra = {**(item.description or {}), "created": item.image_id in created}
            target = TargetItem(item.image_id, version=None, sha256=item.sha256, extra=extra)
            results.append(ItemResult(item.key, item=target))
        else:
            error = _protocol(f"the upsert answer does not mention {item.image_id!r}", "upsert")
            error.item = item.key
            results.append(ItemResult(item.key, error=error))
    return results


def is_not_found(message: str) -> bool:
    """Whether a delete's item error says the image is not there (which counts as deleted)."""
    lowered = message.lower()
    return "not found" in lowered or "does not exist" in lowered


def read_delete(sent: Sequence[Sent], answer: Any) -> list[ItemResult]:
    """One result per sent item: deleted, already gone ("not found" in ``errors``, or not
    mentioned at all: Partium may ignore unknown ids) or refused (a ValidationError)."""
    if not isinstance(answer, dict):
        raise _protocol(f"the delete answer is not an object: {answer!r:.120}", "delete")
    _ids(answer, "deleted", "delete")
    errors = _errors(answer, "delete")
    results = []
    for item in sent:
        message = errors.get(item.image_id)
        if message is None or is_not_found(message):
            results.append(ItemResult(item.key, item=TargetItem(item.image_id)))
        else:
            error = ValidationError(
                message, vendor=VENDOR, operation="delete", item=item.key, status=200, body=message
            )
            results.append(ItemResult(item.key, error=error))
    return results
