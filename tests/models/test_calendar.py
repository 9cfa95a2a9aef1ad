"""Working days on the England and Wales bank-holiday calendar.

Expected dates are the published England and Wales bank holidays (gov.uk/bank-holidays),
written out here so that a wrong calendar fails the tests.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from models.calendar import (
    add_working_days,
    is_working_day,
    previous_working_day,
    subtract_working_days,
    working_days_between,
)

BANK_HOLIDAYS = {
    date(2026, 1, 1): "New Year's Day (Thu)",
    date(2026, 4, 3): "Good Friday",
    date(2026, 4, 6): "Easter Monday",
    date(2026, 5, 4): "Early May bank holiday",
    date(2026, 5, 25): "Spring bank holiday",
    date(2026, 8, 31): "Summer bank holiday",
    date(2026, 12, 25): "Christmas Day (Fri)",
    date(2026, 12, 28): "Boxing Day, substitute day (26 Dec is a Saturday)",
    date(2027, 1, 1): "New Year's Day (Fri)",
    date(2027, 3, 26): "Good Friday",
    date(2027, 3, 29): "Easter Monday",
    date(2027, 5, 3): "Early May bank holiday",
    date(2027, 5, 31): "Spring bank holiday",
    date(2027, 8, 30): "Summer bank holiday",
    date(2027, 12, 27): "Christmas Day, substitute day (25 Dec is a Saturday)",
    date(2027, 12, 28): "Boxing Day, substitute day (26 Dec is a Sunday)",
}


def test_weekdays_off_in_2026_and_2027_are_exactly_the_bank_holidays() -> None:
    day, off = date(2026, 1, 1), set()
    while day <= date(2027, 12, 31):
        if day.weekday() < 5 and not is_working_day(day):
            off.add(day)
        day += timedelta(days=1)
    assert off == set(BANK_HOLIDAYS)


@pytest.mark.parametrize(
    "day",
    [date(2026, 12, 26), date(2026, 12, 27), date(2027, 1, 2), date(2027, 12, 25)],
    ids=str,
)
def test_weekends_are_not_working_days(day: date) -> None:
    assert not is_working_day(day)


@pytest.mark.parametrize(
    "day", [date(2026, 12, 24), date(2026, 12, 29), date(2026, 12, 31), date(2027, 1, 4)], ids=str
)
def test_ordinary_weekdays_are_working_days(day: date) -> None:
    assert is_working_day(day)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Year end 2026/27: Christmas Fri 25, Boxing Day substitute Mon 28, New Year Fri 1 Jan.
        (date(2026, 12, 24), 1, date(2026, 12, 29)),
        (date(2026, 12, 23), 3, date(2026, 12, 30)),
        (date(2026, 12, 31), 1, date(2027, 1, 4)),
        (date(2026, 12, 24), 5, date(2027, 1, 5)),
        (date(2026, 12, 18), 10, date(2027, 1, 6)),
        # Easter 2026: Good Friday 3 April, Easter Monday 6 April.
        (date(2026, 4, 2), 1, date(2026, 4, 7)),
        (date(2026, 3, 31), 10, date(2026, 4, 16)),
        # Easter 2027: Good Friday 26 March, Easter Monday 29 March.
        (date(2027, 3, 25), 1, date(2027, 3, 30)),
        (date(2027, 3, 22), 5, date(2027, 3, 31)),
        # Early May (4 May 2026, 3 May 2027) and spring (25 May 2026, 31 May 2027) holidays.
        (date(2026, 5, 1), 1, date(2026, 5, 5)),
        (date(2026, 5, 22), 1, date(2026, 5, 26)),
        (date(2026, 4, 30), 20, date(2026, 6, 1)),
        (date(2027, 4, 30), 1, date(2027, 5, 4)),
        (date(2027, 5, 28), 1, date(2027, 6, 1)),
        # Christmas 2027 falls on a weekend: substitutes Mon 27 and Tue 28 December.
        (date(2027, 12, 24), 1, date(2027, 12, 29)),
        # Starting on a weekend or a holiday counts from the next working day.
        (date(2026, 12, 26), 1, date(2026, 12, 29)),
        (date(2026, 4, 3), 1, date(2026, 4, 7)),
    ],
    ids=str,
)
def test_add_working_days_skips_weekends_and_bank_holidays(
    start: date, days: int, expected: date
) -> None:
    assert add_working_days(start, days) == expected


@pytest.mark.parametrize("start", [date(2026, 3, 2), date(2026, 12, 25), date(2026, 12, 27)])
def test_add_zero_working_days_is_the_same_date(start: date) -> None:
    assert add_working_days(start, 0) == start


def test_add_negative_working_days_is_refused_naming_days() -> None:
    with pytest.raises(ValueError, match=r"^days: must be zero or more, got -1$"):
        add_working_days(date(2026, 3, 2), -1)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 3, 4), date(2026, 3, 4)),  # a working day is its own answer
        (date(2026, 3, 7), date(2026, 3, 6)),  # Saturday
        (date(2026, 3, 8), date(2026, 3, 6)),  # Sunday
        (date(2026, 12, 28), date(2026, 12, 24)),  # Boxing Day substitute, back past Christmas
        (date(2027, 1, 1), date(2026, 12, 31)),  # New Year's Day, back into the old year
        (date(2026, 4, 6), date(2026, 4, 2)),  # Easter Monday, back past Good Friday
        (date(2026, 5, 25), date(2026, 5, 22)),  # spring bank holiday
    ],
    ids=str,
)
def test_previous_working_day(day: date, expected: date) -> None:
    assert previous_working_day(day) == expected


@pytest.mark.parametrize(
    ("day", "days", "expected"),
    [
        (date(2026, 12, 29), 1, date(2026, 12, 24)),
        (date(2027, 1, 4), 2, date(2026, 12, 30)),
        (date(2026, 4, 7), 1, date(2026, 4, 2)),
        (date(2026, 12, 28), 0, date(2026, 12, 24)),
    ],
    ids=str,
)
def test_subtract_working_days_skips_weekends_and_bank_holidays(
    day: date, days: int, expected: date
) -> None:
    assert subtract_working_days(day, days) == expected


def test_subtract_negative_working_days_is_refused_naming_days() -> None:
    with pytest.raises(ValueError, match=r"^days: must be zero or more"):
        subtract_working_days(date(2026, 3, 2), -2)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2026, 12, 24), date(2027, 1, 4), 4),  # 24, 29, 30, 31 December
        (date(2026, 4, 2), date(2026, 4, 8), 2),  # 2 and 7 April
        (date(2026, 3, 2), date(2026, 3, 2), 0),
    ],
    ids=str,
)
def test_working_days_between_counts_the_half_open_range(
    start: date, end: date, expected: int
) -> None:
    assert working_days_between(start, end) == expected
