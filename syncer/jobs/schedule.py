"""Cron expressions and durations in job files: pure checks, no clock.

:func:`check_cron` accepts the classic five fields (minute, hour, day of month, month, day of
week) with ``*``, values, ranges ``a-b``, steps ``/n`` and lists ``a,b``, month and weekday
names (``JAN``, ``MON``), and the macros ``@hourly`` ... ``@yearly``; a sixth field in front
gives seconds (``*/10 * * * * *``: every ten seconds), as Quartz and DBOS read it. It only
validates: when the next run falls is :mod:`syncer.schedule.cron`'s business.
:func:`check_timezone` accepts an IANA zone name (``Europe/Berlin``, ``UTC``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True, slots=True)
class _CronField:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()

    def number(self, text: str) -> int:
        """One value of this field, by number or name, or ValueError."""
        upper = text.upper()
        if upper in self.names:
            return self.names.index(upper) + self.low
        if not text.isdigit():
            raise ValueError(f"{self.name} {text!r} is not a number{self._names_hint()}")
        value = int(text)
        if not self.low <= value <= self.high:
            raise ValueError(f"{self.name} {value} is out of range {self.low}-{self.high}")
        return value

    def _names_hint(self) -> str:
        return f" or one of {', '.join(self.names)}" if self.names else ""


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_FIELDS = (
    _CronField("minute", 0, 59),
    _CronField("hour", 0, 23),
    _CronField("day of month", 1, 31),
    _CronField("month", 1, 12, _MONTHS),
    _CronField("day of week", 0, 7, _DAYS),  # 0 and 7 are both Sunday
)
_SECONDS = _CronField("second", 0, 59)
MACROS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)


def check_cron(expression: str) -> str:
    """``expression`` normalised (single spaces), or ValueError saying which part is wrong."""
    text = " ".join(expression.split())
    if text.startswith("@"):
        if text.lower() not in MACROS:
            raise ValueError(f"unknown macro; use one of {', '.join(sorted(MACROS))}")
        return text.lower()
    parts = text.split()
    fields = (_SECONDS, *_FIELDS) if len(parts) == len(_FIELDS) + 1 else _FIELDS
    if len(parts) != len(fields):
        raise ValueError(
            f"has {len(parts)} fields; a cron expression has 5: "
            "minute hour day-of-month month day-of-week (e.g. '*/15 * * * *'), "
            "or 6 with seconds in front"
        )
    for spec, part in zip(fields, parts, strict=True):
        for item in part.split(","):
            _check_item(spec, item)
    return text


def _check_item(spec: _CronField, item: str) -> None:
    base, slash, step = item.partition("/")
    if slash and (not step.isdigit() or int(step) < 1):
        raise ValueError(f"{spec.name} step {step!r} must be a whole number of at least 1")
    if base == "*":
        return
    low_text, dash, high_text = base.partition("-")
    if not low_text or (dash and not high_text):
        raise ValueError(f"{spec.name} {item!r} is not *, a value, a range a-b or a step /n")
    low = spec.number(low_text)
    if dash and spec.number(high_text) < low:
        raise ValueError(f"{spec.name} range {base!r} ends before it starts")


#: Files of the zone database that load as zones but name none: this machine's own zone (it
#: differs from machine to machine), and the copies under ``posix/`` and ``right/`` (the latter
#: counting leap seconds).
_NOT_ZONES = ("localtime", "posixrules")
_NOT_ZONE_DIRS = ("posix/", "right/")


def check_timezone(name: str) -> str:
    """``name`` if it is an IANA time zone this machine knows, or ValueError."""
    try:
        if name in _NOT_ZONES or name.startswith(_NOT_ZONE_DIRS):
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{name!r} is not a time zone; use an IANA name such as 'UTC', 'Europe/Berlin' "
            "or 'America/New_York'"
        ) from None
    return name


_DURATION_PART = re.compile(r"(\d+)([wdhms])")
_UNITS = {"w": 604_800, "d": 86_400, "h": 3_600, "m": 60, "s": 1}


def parse_duration(text: str) -> timedelta:
    """``"24h"``, ``"90m"``, ``"1h30m"``, ``"7d"``, ``"2w"``, ``"45s"`` as a positive timedelta."""
    compact = text.replace(" ", "").lower()
    if not compact or _DURATION_PART.sub("", compact):
        raise ValueError(
            "is not a duration; write whole numbers with units w, d, h, m, s "
            "(e.g. '24h', '1h30m', '7d')"
        )
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _DURATION_PART.findall(compact))
    if seconds <= 0:
        raise ValueError("must be longer than 0 (e.g. '24h')")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The compact form :func:`parse_duration` reads (``86400 s`` -> ``"1d"``)."""
    remaining = int(value.total_seconds())
    parts: list[str] = []
    for unit, size in _UNITS.items():
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
