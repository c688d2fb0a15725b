"""Medians, spreads and ratios of interleaved rounds, as the serving benchmarks print them."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (`share` 0.95 for p95): a value that was measured, never an interpolation."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def with_spread(values: Sequence[float], digits: int = 1, unit: str = "") -> str:
    """`12.3 (11.9–13.0)`: the median, then the lowest and highest round."""
    if not values:
        return "n/a"
    return f"{median(values):.{digits}f}{unit} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def ratio(numerator: Sequence[float], denominator: Sequence[float]) -> str:
    """The ratio of the medians, `2.7x`."""
    bottom = median(denominator)
    return f"{median(numerator) / bottom:.2f}x" if bottom else "n/a"
