"""A recipe's check (a measured statement: a metric, when, a test, over how many seeds) and what
measuring it gave."""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Check", "CheckResult", "OPS"]


OPS: dict[str, Callable[[Any, Any], Any]] = {"<=": operator.le, ">=": operator.ge,
                                             "<": operator.lt, ">": operator.gt}


_SYMBOL = {"<=": "≤", ">=": "≥", "<": "<", ">": ">"}


@dataclass(frozen=True)
class Check:
    """A measured statement: ``metric`` at ``when`` passes ``test`` in at least ``at_least`` seeds."""

    metric: str
    test: str
    at_least: int
    when: str = "final"
    variant: str = ""

    @property
    def op(self) -> str:
        return self.test.split()[0]

    @property
    def against(self) -> str:
        return self.test.split(maxsplit=1)[1]

    def describe(self) -> str:
        where = f"{self.variant}: " if self.variant else ""
        return f"{where}{self.metric} ({self.when}) {_SYMBOL[self.op]} {self.against}"


@dataclass
class CheckResult:
    """What a build measured for one check: the value per seed and how many seeds passed."""

    check: Check
    passed_seeds: int
    seeds: int
    values: list[float]
    against: list[float] | None = None  # the other variant's values, seed by seed
    passed: list[bool] = field(default_factory=list)
    """Whether the test held, seed by seed."""
    unit: str = "seeds"
    """What the values are over: seeds, or a Dirac-GAN recipe's starting points."""
    samples: int = 0
    """Generator samples per seed behind each value (the evaluation's or a snapshot's); 0 where
    the metric is not measured on samples."""

    def on_samples(self) -> str:
        return f" on {self.samples:,} samples" if self.samples else ""

    @property
    def holds(self) -> bool:
        return self.passed_seeds >= self.check.at_least

    def statement(self) -> str:
        c = self.check
        shown = ", ".join(f"{v:.3g}" for v in self.values)
        if self.against is not None:
            shown += f" (against {c.against}: {', '.join(f'{v:.3g}' for v in self.against)})"
        verdict = "holds" if self.holds else "DOES NOT HOLD"
        what = (c.describe() + self.on_samples() if self.unit == "seeds"
                else c.describe().replace(f" ({c.when})", ""))
        return (f"{what} in {self.passed_seeds} of {self.seeds} {self.unit} (claimed: at least "
                f"{c.at_least}) — {verdict}; values: {shown}")
