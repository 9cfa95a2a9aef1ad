"""Working days on the England and Wales bank-holiday calendar."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays

__all__ = [
    "add_working_days",
    "is_working_day",
    "previous_working_day",
    "subtract_working_days",
    "working_days_between",
]


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # England and Wales share one bank-holiday calendar; the package files it under ENG.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days after `start` (start itself is not counted)."""
    if days < 0:
        raise ValueError(f"days: must be zero or more, got {days}")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def previous_working_day(day: date) -> date:
    """`day` itself when it is a working day, else the last working day before it."""
    current = day
    while not is_working_day(current):
        current -= timedelta(days=1)
    return current


def subtract_working_days(day: date, days: int) -> date:
    """The working day `days` working days before `day`."""
    if days < 0:
        raise ValueError(f"days: must be zero or more, got {days}")
    current = day
    remaining = days
    while remaining:
        current -= timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return previous_working_day(current)


def working_days_between(start: date, end: date) -> int:
    """Working days in [start, end): how many a clock paused from `start` to `end` missed."""
    count = 0
    current = start
    while current < end:
        if is_working_day(current):
            count += 1
        current += timedelta(days=1)
    return count
