"""Percentiles and rates of what a run measured.

Percentiles interpolate linearly between order statistics (numpy's default, type 7 of Hyndman & Fan), so the
p99.9 of a run with fewer than 1,000 values lies between its two largest values rather than being the maximum.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["PERCENTILES", "central_rate", "mean_rate", "rate_series", "summarise"]

#: Report keys and the percentiles behind them.
PERCENTILES: tuple[tuple[str, float], ...] = (("p50", 50.0), ("p95", 95.0), ("p99", 99.0), ("p99.9", 99.9))


def summarise(values: Sequence[float] | npt.NDArray[np.float64], digits: int = 3) -> dict[str, float | int | None]:
    """Count, mean, percentiles and maximum of ``values``.

    Parameters
    ----------
    values : sequence of float
    digits : int
        Decimal places kept in the report.

    Returns
    -------
    dict
        ``{"n", "mean", "p50", "p95", "p99", "p99.9", "max"}``; every statistic is None when ``values`` is empty.
    """
    data = np.asarray(values, dtype=np.float64)
    out: dict[str, float | int | None] = {"n": int(data.size)}
    if data.size == 0:
        out.update({"mean": None, **{key: None for key, _ in PERCENTILES}, "max": None})
        return out
    out["mean"] = round(float(data.mean()), digits)
    qs = np.percentile(data, [q for _, q in PERCENTILES])
    out.update({key: round(float(v), digits) for (key, _), v in zip(PERCENTILES, qs, strict=True)})
    out["max"] = round(float(data.max()), digits)
    return out


def rate_series(
    times: Sequence[float] | npt.NDArray[np.float64], bin_s: float = 1.0, end: float | None = None
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Events per second in consecutive bins of ``bin_s`` seconds from 0.

    Parameters
    ----------
    times : sequence of float
        Event times in seconds from the start of the run.
    bin_s : float
        Width of a bin.
    end : float, optional
        Last time covered (default: the last event).

    Returns
    -------
    starts, rates : ndarray
        Start of each bin and the events per second in it.
    """
    data = np.asarray(times, dtype=np.float64)
    last = float(data.max()) if end is None and data.size else (end or 0.0)
    n_bins = max(int(np.ceil(last / bin_s)), 1)
    counts = np.bincount(np.clip((data // bin_s).astype(np.intp), 0, n_bins - 1), minlength=n_bins)
    starts: npt.NDArray[np.float64] = np.arange(n_bins, dtype=np.float64) * bin_s
    return starts, counts / bin_s


def mean_rate(times: Sequence[float] | npt.NDArray[np.float64]) -> float | None:
    """Events per second between the first and the last event (None for fewer than two)."""
    data = np.asarray(times, dtype=np.float64)
    if data.size < 2 or data.max() <= data.min():
        return None
    return float((data.size - 1) / (data.max() - data.min()))


def central_rate(times: Sequence[float] | npt.NDArray[np.float64], share: float = 0.9) -> float | None:
    """Events per second over the central ``share`` of the events (between the 5th and 95th percentile times by
    default): the sustained rate, without the ramp-up and the long tail of the longest tests."""
    data = np.asarray(times, dtype=np.float64)
    if data.size < 10:
        return mean_rate(data)
    low, high = np.percentile(data, [50 * (1 - share), 100 - 50 * (1 - share)])
    return None if high <= low else float(share * data.size / (high - low))
