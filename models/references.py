"""Short references people can say aloud, e.g. QI-2027-0042: the year an intervention started
and its number in that year's sequence for this deployment. Pure: allocating one is
`core.references`' job. A reference holds nothing about the provider, the concern or a learner.
"""

from __future__ import annotations

import re

__all__ = ["PREFIX", "format_reference", "parse_reference"]

PREFIX = "QI"
# Case and leading zeros do not matter when typed: qi-2027-42 is QI-2027-0042.
_PATTERN = re.compile(rf"^{PREFIX}-(\d{{4}})-(\d{{1,9}})$", re.IGNORECASE)


def format_reference(year: int, number: int) -> str:
    return f"{PREFIX}-{year:04d}-{number:04d}"


def parse_reference(text: str) -> tuple[int, int] | None:
    """The year and number of a reference as someone typed it, or None if it is not one."""
    match = _PATTERN.match(text.strip())
    if match is None or int(match.group(2)) == 0:
        return None
    return int(match.group(1)), int(match.group(2))
