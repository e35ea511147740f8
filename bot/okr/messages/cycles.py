"""Plain data for the end-of-cycle score prompt."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ScoreItem:
    kr_id: int
    title: str
    objective_title: str
    progress: float
    suggested: float
    score: float | None = None


@dataclass(frozen=True)
class ScorePrompt:
    cycle_name: str
    items: tuple[ScoreItem, ...]
    guidance: str = "0.7 is a healthy score for a stretch goal."
