"""The 5x5 risk matrix as the start pages show it: every likelihood x impact cell with its score
and band, banded by the catalogue's `RiskBands` (the banding the start's own check uses). A band
is always said in words; its colour (the design system's tag colours) only repeats it."""

from __future__ import annotations

from dataclasses import dataclass

from models.catalogue import RiskBand, RiskBands

__all__ = ["BAND_COLOURS", "RiskCell", "risk_cell", "risk_grid"]

SCALE = range(1, 6)

BAND_COLOURS: dict[RiskBand, str] = {
    RiskBand.LOW: "green",
    RiskBand.MODERATE: "yellow",
    RiskBand.HIGH: "orange",
    RiskBand.EXTREME: "red",
}


@dataclass(frozen=True)
class RiskCell:
    likelihood: int
    impact: int
    score: int
    band: RiskBand
    chosen: bool = False

    @property
    def colour(self) -> str:
        return BAND_COLOURS[self.band]

    @property
    def label(self) -> str:
        """The cell in words: "Likelihood 4, impact 5: score 20, extreme"."""
        return (f"Likelihood {self.likelihood}, impact {self.impact}: score {self.score}, "
                f"{self.band}")


def risk_cell(bands: RiskBands, likelihood: int, impact: int, chosen: bool = False) -> RiskCell:
    score = likelihood * impact
    return RiskCell(likelihood, impact, score, bands.band(score), chosen)


def risk_grid(bands: RiskBands, chosen: tuple[int, int] | None = None) -> list[list[RiskCell]]:
    """Rows from the most likely (5) down, as risk matrices are drawn; impact across."""
    return [[risk_cell(bands, likelihood, impact, (likelihood, impact) == chosen)
             for impact in SCALE]
            for likelihood in reversed(SCALE)]
