"""Fixtures for the pure model tests: the shipped catalogue and interventions built from it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from models.catalogue import Catalogue, load_catalogue
from models.intervention import Concern, InterventionData, Provider

STARTED_AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # a Monday


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture
def intervention(catalogue: Catalogue) -> Callable[..., InterventionData]:
    """`intervention(type_code, **fields)`: a planned intervention of that type, started on
    Monday 2 March 2026, with any fields replaced."""

    def build(type_code: str = "urgent_risk_review", **fields: Any) -> InterventionData:
        data = InterventionData(
            intervention_id="QI-2026-0001",
            type=catalogue.get(type_code),
            risk_bands=catalogue.risk_bands,
            provider=Provider(
                code="RXX",
                name="Example Hospitals NHS Foundation Trust",
                site="City General",
                lead_name="Sam Patel",
                lead_email="sam.patel@provider.example.nhs.uk",
            ),
            concern=Concern(likelihood=4, impact=4, summary="Night-time supervision gaps"),
            coordinator="qt.officer",
            coordinator_email="qt.officer@quality.example.nhs.uk",
            started_at=STARTED_AT,
        )
        return data.model_copy(update=fields)

    return build


@pytest.fixture
def override_file(tmp_path: Path) -> Callable[[str], Path]:
    """`override_file(toml)`: a deployment's catalogue override, written to a file."""

    def write(text: str) -> Path:
        path = tmp_path / "catalogue.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return write
