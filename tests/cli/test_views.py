"""Tables fit 80 columns and keep IDs whole."""

from __future__ import annotations

from io import StringIO

import pytest
from rich.console import Console

from cli.views import print_list

ID = "intervention-b0cc48c0-1658-4f3a-8bb5-3655512fd86c"


@pytest.mark.parametrize("reference", ["QI-2027-0042", None], ids=["reference", "before"])
def test_list_keeps_the_id_whole_in_80_columns(reference: str | None) -> None:
    screen = Console(file=StringIO(), width=80)
    row = {"id": ID, "reference": reference, "type_code": "learner_educator_review",
           "provider_code": "RXX01", "state": "actions_tracked", "risk_band": "extreme",
           "next_deadline": "2027-01-05", "open_actions": 3, "overdue_actions": 1}

    print_list(screen, [row], total=1, offset=0)

    text = screen.file.getvalue()  # type: ignore[attr-defined]
    assert ID in text
    assert text.splitlines()[2].split()[0] == (reference or ID)  # the reference leads the row
    assert "actions_tracked" in text
    assert max(len(line) for line in text.splitlines()) <= 80
