"""PNG plots of item fit (``cat-calibrate run --plot``): for each item, the observed mean score of each ability
group (:class:`cat_engine.calibration_fit.FitGroups`, with the model's ±2 SE) against the item's model curve.

Needs matplotlib (the ``plot`` extra); imported only when a plot is drawn, with the Agg backend, like
:mod:`cat_engine.plots`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .calibration_fit import FitGroups, expected_score
from .irt import ItemParams
from .plots import _pyplot, _save

__all__ = ["plot_item_fit"]

_LABELS = {
    "id": {
        "theta": "theta (EAP tanpa butir ini)",
        "score": "skor rata-rata",
        "observed": "teramati (±2 SE model)",
        "model": "kurva model",
        "title": "{id}: n = {n}, X² = {stat:.1f}, df = {df}, p = {p:.3g}",
    },
    "en": {
        "theta": "theta (EAP without this item)",
        "score": "mean score",
        "observed": "observed (±2 model SE)",
        "model": "model curve",
        "title": "{id}: n = {n}, X² = {stat:.1f}, df = {df}, p = {p:.3g}",
    },
}


def _file_name(item_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", item_id) + ".png"


def plot_item_fit(
    params: ItemParams,
    items: Sequence[tuple[int, str, FitGroups, float, int, float]],
    directory: str | Path,
    lang: str = "id",
) -> list[Path]:
    """One PNG per item of ``items`` — ``(index in params, id, groups, statistic, df, p-value)`` — into
    ``directory``; returns the files written."""
    plt = _pyplot()
    labels = _LABELS.get(lang, _LABELS["id"])
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    grid = np.linspace(-4.0, 4.0, 161)
    written = []
    for index, item_id, groups, statistic, df, p in items:
        fig, ax = plt.subplots(figsize=(5, 3.6))
        ax.plot(grid, expected_score(params, index, grid), color="C0", label=labels["model"])
        ax.errorbar(groups.theta, groups.observed, yerr=2 * groups.se, fmt="o", color="C1", label=labels["observed"])
        ax.set_xlabel(labels["theta"])
        ax.set_ylabel(labels["score"])
        ax.set_ylim(-0.05, params.n_categories[index] - 0.95)
        ax.set_title(labels["title"].format(id=item_id, n=int(groups.n.sum()), stat=statistic, df=df, p=p), fontsize=9)
        ax.legend(fontsize=8, loc="upper left")
        fig.tight_layout()
        written.append(_save(fig, out / _file_name(item_id), plt))
    return written
