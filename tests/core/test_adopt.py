"""Create-or-adopt: an ambiguous create is looked for before it is sent again, never doubled."""

from __future__ import annotations

from typing import cast

import pytest

from syncer.errors import NetworkError, ValidationError, VendorError
from syncer.http import HttpClient, RetryPolicy
from syncer.vendors.adopt import create_or_adopt


class Http:
    """What create_or_adopt uses of an HttpClient: the policy's attempts and back_off."""

    def __init__(self, attempts: int = 3) -> None:
        self.retry = RetryPolicy(attempts=attempts)
        self.retries = 0

    async def back_off(self, attempt: int, error: VendorError) -> None:
        self.retries += 1


def lost(ambiguous: bool = True) -> NetworkError:
    error = NetworkError("connection reset after sending", vendor="toy", operation="create")
    error.ambiguous = ambiguous
    return error


class Vendor:
    """A create whose first ``lose`` answers are lost, applied or not (``applies``)."""

    def __init__(self, lose: int, applies: bool) -> None:
        self.lose, self.applies, self.sent = lose, applies, 0
        self.made: list[str] = []

    async def create(self) -> str:
        self.sent += 1
        if self.applies or self.sent > self.lose:
            self.made.append(f"item{self.sent}")
        if self.sent <= self.lose:
            raise lost()
        return self.made[-1]

    async def find(self) -> str | None:
        return self.made[0] if self.made else None


@pytest.mark.parametrize(("applies", "sent"), [(True, 1), (False, 2)])
async def test_an_ambiguous_create_is_adopted_or_sent_again_once(applies: bool, sent: int) -> None:
    vendor, http = Vendor(lose=1, applies=applies), Http()
    made = await create_or_adopt(vendor.create, http=cast(HttpClient, http), find=vendor.find)
    assert vendor.made == [made]
    assert (vendor.sent, http.retries) == (sent, 1)


async def test_without_a_look_up_an_ambiguous_create_is_sent_again() -> None:
    vendor, http = Vendor(lose=2, applies=False), Http()
    assert await create_or_adopt(vendor.create, http=cast(HttpClient, http)) == "item3"
    assert (vendor.sent, http.retries) == (3, 2)


async def test_a_create_lost_every_time_gives_up_ambiguous_after_the_policys_attempts() -> None:
    vendor, http = Vendor(lose=9, applies=False), Http(attempts=3)
    with pytest.raises(NetworkError) as error:
        await create_or_adopt(vendor.create, http=cast(HttpClient, http), find=vendor.find)
    assert error.value.ambiguous
    assert vendor.sent == 3


async def test_a_failed_look_up_raises_the_creates_own_ambiguous_error() -> None:
    async def create() -> str:
        raise lost()

    async def find() -> str | None:
        raise NetworkError("search down", vendor="toy", operation="find")

    with pytest.raises(NetworkError, match="after sending") as error:
        await create_or_adopt(create, http=cast(HttpClient, Http()), find=find)
    assert error.value.ambiguous
    assert isinstance(error.value.__cause__, NetworkError)


async def test_a_refusal_is_not_sent_again() -> None:
    sent: list[int] = []

    async def create() -> str:
        sent.append(1)
        raise ValidationError("bad", vendor="toy", operation="create")

    with pytest.raises(ValidationError):
        await create_or_adopt(create, http=cast(HttpClient, Http()))
    assert sent == [1]
