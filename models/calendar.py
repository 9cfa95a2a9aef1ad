"""Working days on the England and Wales bank-holiday calendar.

A `Calendar` answers working-day questions from a set of bank holidays. The workflow gets its
bank holidays in its input (`BankHolidays`, from the `holidays` package when it starts), so
its date arithmetic is pure, costs no round trip, and replays the same whatever that package
says later. Everything outside a workflow may use `ENGLAND_AND_WALES`, which reads the package
year by year.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache

import holidays
from pydantic import BaseModel, ConfigDict

__all__ = [
    "ENGLAND_AND_WALES",
    "BankHolidays",
    "Calendar",
    "add_working_days",
    "bank_holidays",
    "is_working_day",
    "previous_working_day",
    "subtract_working_days",
    "working_days_between",
]

# How many years from the start year a workflow's own calendar covers; beyond them it counts
# weekends only. Interventions last months, and progress reminders stop after three years.
YEARS_AHEAD = 10


class Calendar:
    """Working days: Monday to Friday, except the bank holidays `holidays(year)` names."""

    def __init__(self, holidays: Callable[[int], frozenset[date]]) -> None:
        self._holidays = holidays

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays(day.year)

    def add_working_days(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (start itself is not counted)."""
        return self._walk(start, days, timedelta(days=1))

    def previous_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the last working day before it."""
        current = day
        while not self.is_working_day(current):
            current -= timedelta(days=1)
        return current

    def subtract_working_days(self, day: date, days: int) -> date:
        """The working day `days` working days before `day`."""
        return self.previous_working_day(self._walk(day, days, timedelta(days=-1)))

    def _walk(self, start: date, days: int, step: timedelta) -> date:
        """The day reached from `start` after passing `days` working days, a `step` at a time."""
        if days < 0:
            raise ValueError(f"days: must be zero or more, got {days}")
        current = start
        remaining = days
        while remaining:
            current += step
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in [start, end): how many a clock paused from `start` to `end` missed."""
        count = 0
        current = start
        while current < end:
            if self.is_working_day(current):
                count += 1
            current += timedelta(days=1)
        return count


@lru_cache(maxsize=64)
def _england_and_wales(year: int) -> frozenset[date]:
    # England and Wales share one bank-holiday calendar; the package files it under ENG.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


ENGLAND_AND_WALES = Calendar(_england_and_wales)


class BankHolidays(BaseModel):
    """The bank holidays of a span of years, carried in a workflow's input."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    first_year: int
    last_year: int
    days: tuple[date, ...]

    def calendar(self) -> Calendar:
        return _calendar_of(self)


@lru_cache(maxsize=16)
def _calendar_of(holidays: BankHolidays) -> Calendar:
    # One calendar for every intervention started in the same year: a worker holding
    # thousands of them keeps one copy. It is a pure function of its input, so sharing it
    # between workflows changes nothing they compute.
    by_year: dict[int, frozenset[date]] = {
        year: frozenset(d for d in holidays.days if d.year == year)
        for year in range(holidays.first_year, holidays.last_year + 1)
    }
    empty: frozenset[date] = frozenset()
    return Calendar(lambda year: by_year.get(year, empty))


def bank_holidays(from_year: int, years_ahead: int = YEARS_AHEAD) -> BankHolidays:
    """England and Wales bank holidays from `from_year - 1` to `from_year + years_ahead`."""
    first, last = from_year - 1, from_year + years_ahead
    days = sorted(d for year in range(first, last + 1) for d in _england_and_wales(year))
    return BankHolidays(first_year=first, last_year=last, days=tuple(days))


is_working_day = ENGLAND_AND_WALES.is_working_day
add_working_days = ENGLAND_AND_WALES.add_working_days
previous_working_day = ENGLAND_AND_WALES.previous_working_day
subtract_working_days = ENGLAND_AND_WALES.subtract_working_days
working_days_between = ENGLAND_AND_WALES.working_days_between
