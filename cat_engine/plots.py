"""PNG plots of a simulation study: test information, conditional SE and item exposure.

Needs matplotlib (the ``plot`` extra); it is imported only when a plot is drawn, with the Agg backend so no
screen is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .irt import information
from .simulate import SubtestSimulation

__all__ = ["plot_simulation"]

_LABELS = {
    "id": {
        "info_title": "Fungsi informasi bank soal dan tes",
        "theta": "theta",
        "pool_info": "informasi bank soal (semua butir / 10)",
        "test_info": "rata-rata informasi tes yang diberikan",
        "se_title": "SE dan RMSE bersyarat menurut theta sebenarnya",
        "true_theta": "theta sebenarnya",
        "mean_se": "rata-rata SE",
        "rmse": "RMSE",
        "target": "target SE",
        "exp_title": "Paparan butir (diurutkan)",
        "item_rank": "peringkat butir",
        "exposure": "laju paparan",
    },
    "en": {
        "info_title": "Pool and test information",
        "theta": "theta",
        "pool_info": "pool information (all items / 10)",
        "test_info": "mean information of administered tests",
        "se_title": "Conditional SE and RMSE by true theta",
        "true_theta": "true theta",
        "mean_se": "mean SE",
        "rmse": "RMSE",
        "target": "SE target",
        "exp_title": "Item exposure (sorted)",
        "item_rank": "item rank",
        "exposure": "exposure rate",
    },
}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_simulation(results: Sequence[SubtestSimulation], directory: str | Path, lang: str = "id") -> list[Path]:
    """Write ``information.png``, ``conditional_se.png`` and ``exposure.png`` into ``directory``."""
    plt = _pyplot()
    labels = _LABELS.get(lang, _LABELS["id"])
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    grid = np.linspace(-4, 4, 161)
    n = len(results)
    written = []

    fig, axes = plt.subplots(1, n, figsize=(5 * n, 4), squeeze=False)
    for ax, res in zip(axes[0], results, strict=True):
        params = res.subtest.pool.params
        pool_info = information(grid[:, None], params).sum(axis=1)
        taken = res.items[res.items >= 0]
        test_info = information(grid[:, None], params, taken).sum(axis=1) / res.items.shape[0]
        ax.plot(grid, pool_info / 10, label=labels["pool_info"])
        ax.plot(grid, test_info, label=labels["test_info"])
        ax.set_title(res.subtest.name)
        ax.set_xlabel(labels["theta"])
        ax.legend(fontsize=8)
    fig.suptitle(labels["info_title"])
    fig.tight_layout()
    written.append(_save(fig, out / "information.png", plt))

    fig, axes = plt.subplots(1, n, figsize=(5 * n, 4), squeeze=False)
    edges = np.linspace(-3, 3, 13)
    centres = (edges[:-1] + edges[1:]) / 2
    for ax, res in zip(axes[0], results, strict=True):
        band = np.digitize(res.true_theta, edges) - 1
        mean_se = np.full(centres.shape, np.nan)
        rmse = np.full(centres.shape, np.nan)
        for b in range(centres.size):
            members = band == b
            if members.sum() >= 5:
                mean_se[b] = res.se[members].mean()
                rmse[b] = np.sqrt(np.mean((res.theta[members] - res.true_theta[members]) ** 2))
        ax.plot(centres, mean_se, "o-", label=labels["mean_se"])
        ax.plot(centres, rmse, "s--", label=labels["rmse"])
        if res.subtest.stopping.se_target is not None:
            ax.axhline(res.subtest.stopping.se_target, color="grey", lw=1, ls=":", label=labels["target"])
        ax.set_ylim(bottom=0)
        ax.set_title(res.subtest.name)
        ax.set_xlabel(labels["true_theta"])
        ax.legend(fontsize=8)
    fig.suptitle(labels["se_title"])
    fig.tight_layout()
    written.append(_save(fig, out / "conditional_se.png", plt))

    fig, axes = plt.subplots(1, n, figsize=(5 * n, 4), squeeze=False)
    for ax, res in zip(axes[0], results, strict=True):
        rates = np.sort(res.exposure)[::-1]
        ax.bar(np.arange(rates.size), rates, width=1.0)
        ax.set_title(res.subtest.name)
        ax.set_xlabel(labels["item_rank"])
        ax.set_ylabel(labels["exposure"])
    fig.suptitle(labels["exp_title"])
    fig.tight_layout()
    written.append(_save(fig, out / "exposure.png", plt))
    return written


def _save(fig: Any, path: Path, plt: Any) -> Path:
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
