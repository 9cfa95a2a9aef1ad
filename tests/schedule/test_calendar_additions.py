"""Counting back from a deadline and counting a pause, on the England and Wales calendar."""

from __future__ import annotations

from datetime import date

import pytest

from models.calendar import subtract_working_days, working_days_between


@pytest.mark.parametrize(
    ("day", "days", "expected"),
    [
        (date(2027, 1, 4), 1, date(2026, 12, 31)),  # over New Year's Day (Fri 1 Jan 2027)
        (date(2027, 1, 4), 3, date(2026, 12, 29)),  # ...and 25 and 28 December 2026
        (date(2026, 4, 7), 1, date(2026, 4, 2)),  # over Good Friday and Easter Monday 2026
        (date(2027, 3, 30), 1, date(2027, 3, 25)),  # Good Friday 26 Mar, Easter Monday 29 Mar 2027
        (date(2026, 12, 26), 0, date(2026, 12, 24)),  # a Saturday after Christmas: Thursday
    ],
)
def test_subtract_working_days(day: date, days: int, expected: date) -> None:
    assert subtract_working_days(day, days) == expected


def test_subtract_refuses_negative_days() -> None:
    with pytest.raises(ValueError, match="days: must be zero or more"):
        subtract_working_days(date(2026, 12, 1), -1)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 12, 24), date(2027, 1, 4), 4),  # 24, 29, 30, 31 December
        (date(2026, 4, 1), date(2026, 4, 8), 3),  # 1, 2 and 7 April around Easter
        (date(2026, 12, 7), date(2026, 12, 7), 0),
        (date(2026, 12, 7), date(2026, 12, 14), 5),
    ],
)
def test_working_days_between(start: date, end: date, expected: int) -> None:
    assert working_days_between(start, end) == expected
