"""PNG plots of the pool report: information and depth along theta, exposure parameters, simulated exposure.

Needs matplotlib (the ``plot`` extra), imported only when a plot is drawn, with the Agg backend so no screen is
needed. Labels are in Bahasa Indonesia (``id``, default) or English (``en``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .pool_report import PoolReport

__all__ = ["PLOT_FILES", "plot_pool_report"]

#: The files :func:`plot_pool_report` writes, in order.
PLOT_FILES = ("pool_information.png", "exposure_k.png", "exposure.png")

_LABELS = {
    "id": {
        "info_title": "Informasi dan kedalaman bank soal: {name}",
        "theta": "theta",
        "information": "informasi bank soal I(θ)",
        "depth": "kedalaman (butir dengan I_i(θ) > {tau:.2f})",
        "required": "kedalaman yang diperlukan (panjang / r)",
        "thin": "tipis",
        "area_depth": "kedalaman per area (- - diperlukan)",
        "k_title": "Parameter paparan Sympson-Hetter: {name}",
        "k_heat_title": "Parameter paparan K per strata θ̂: {name}",
        "difficulty": "tingkat kesulitan b",
        "k": "K",
        "items_by_b": "butir, diurutkan menurut b",
        "stratum": "strata θ̂",
        "exp_title": "Paparan butir dalam simulasi: {name}",
        "overall": "laju paparan keseluruhan",
        "band_max": "laju paparan maksimum di suatu rentang θ",
        "target": "batas r = {r:.2f}",
        "exposure": "laju paparan",
    },
    "en": {
        "info_title": "Pool information and depth: {name}",
        "theta": "theta",
        "information": "pool information I(θ)",
        "depth": "depth (items with I_i(θ) > {tau:.2f})",
        "required": "required depth (length / r)",
        "thin": "thin",
        "area_depth": "depth per area (- - required)",
        "k_title": "Sympson-Hetter exposure parameters: {name}",
        "k_heat_title": "Exposure parameter K per stratum of θ̂: {name}",
        "difficulty": "difficulty b",
        "k": "K",
        "items_by_b": "items, sorted by b",
        "stratum": "stratum of θ̂",
        "exp_title": "Item exposure in the simulation: {name}",
        "overall": "overall exposure rate",
        "band_max": "largest exposure rate in a θ band",
        "target": "limit r = {r:.2f}",
        "exposure": "exposure rate",
    },
}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_pool_report(report: PoolReport, directory: str | Path, lang: str = "id") -> list[Path]:
    """Write the :data:`PLOT_FILES` of ``report`` into ``directory`` (created if needed); returns their paths."""
    plt = _pyplot()
    labels = _LABELS.get(lang, _LABELS["id"])
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    pool = report.pool
    name = pool.name
    return [
        _information(report, labels, name, plt, out / PLOT_FILES[0]),
        _exposure_k(report, labels, name, plt, out / PLOT_FILES[1]),
        _exposure(report, labels, name, plt, out / PLOT_FILES[2]),
    ]


def _information(report: PoolReport, labels: dict[str, str], name: str, plt: Any, path: Path) -> Path:
    profile = report.profile
    theta = profile.theta
    areas = report.pool.content_areas
    rows = 3 if len(areas) > 1 else 2
    fig, axes = plt.subplots(rows, 1, figsize=(8, 3 * rows), sharex=True)
    axes[0].plot(theta, profile.information)
    axes[0].set_ylabel(labels["information"])
    ax = axes[1]
    ax.plot(theta, profile.depth, label=labels["depth"].format(tau=report.threshold))
    ax.plot(theta, report.required, color="black", ls="--", label=labels["required"])
    with np.errstate(invalid="ignore"):
        thin = profile.depth < report.required
    top = float(np.nanmax(np.concatenate([profile.depth.astype(float), report.required, [1.0]])))
    ax.fill_between(theta, 0, top, where=thin, color="tab:red", alpha=0.15, step="mid", label=labels["thin"])
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    if rows == 3:
        for a, area in enumerate(areas):
            (line,) = axes[2].plot(theta, profile.depth_by_area[a], lw=1, label=area)
            if report.required_by_area is not None:
                axes[2].plot(theta, report.required_by_area[a], lw=1, ls="--", color=line.get_color())
        axes[2].set_ylim(bottom=0)
        axes[2].set_ylabel(labels["area_depth"])
        axes[2].legend(fontsize=6, ncol=2)
    axes[-1].set_xlabel(labels["theta"])
    fig.suptitle(labels["info_title"].format(name=name))
    fig.tight_layout()
    return _save(fig, path, plt)


def _exposure_k(report: PoolReport, labels: dict[str, str], name: str, plt: Any, path: Path) -> Path:
    pool = report.pool
    b = pool.params.b
    k = pool.exposure_k
    if k.shape[0] == 1:
        fig, ax = plt.subplots(figsize=(8, 4))
        ax.scatter(b, k[0], s=8)
        ax.set_xlabel(labels["difficulty"])
        ax.set_ylabel(labels["k"])
        ax.set_ylim(0, 1.05)
        ax.set_title(labels["k_title"].format(name=name))
    else:
        order = np.argsort(b, kind="stable")
        fig, ax = plt.subplots(figsize=(10, 1.2 + 0.5 * k.shape[0]))
        image = ax.imshow(k[:, order], aspect="auto", vmin=0, vmax=1, cmap="viridis", interpolation="nearest")
        edges: list[float | None] = [None, *pool.exposure_strata, None]
        ax.set_yticks(range(k.shape[0]))
        ax.set_yticklabels([_stratum(edges[s], edges[s + 1]) for s in range(k.shape[0])], fontsize=8)
        ax.set_ylabel(labels["stratum"])
        ax.set_xlabel(labels["items_by_b"])
        fig.colorbar(image, ax=ax, label=labels["k"])
        ax.set_title(labels["k_heat_title"].format(name=name))
    fig.tight_layout()
    return _save(fig, path, plt)


def _exposure(report: PoolReport, labels: dict[str, str], name: str, plt: Any, path: Path) -> Path:
    b = report.pool.params.b
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.scatter(b, report.band_max, s=8, color="tab:red", label=labels["band_max"])
    ax.scatter(b, report.exposure, s=8, color="tab:blue", label=labels["overall"])
    ax.axhline(report.target, color="black", ls="--", lw=1, label=labels["target"].format(r=report.target))
    ax.set_xlabel(labels["difficulty"])
    ax.set_ylabel(labels["exposure"])
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=8)
    ax.set_title(labels["exp_title"].format(name=name))
    fig.tight_layout()
    return _save(fig, path, plt)


def _stratum(low: float | None, high: float | None) -> str:
    lo = "-inf" if low is None else f"{low:+g}"
    hi = "+inf" if high is None else f"{high:+g}"
    return f"({lo}, {hi}]"


def _save(fig: Any, path: Path, plt: Any) -> Path:
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
