"""PNG plots of a run (matplotlib, Agg backend): latency histogram, latency over time with the run's events marked,
offered against achieved answer rate, connect and resume times, and server memory over time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from .phase import PhaseResult
from .stats import rate_series

__all__ = ["plot_run"]

_TITLES = {
    "id": {
        "hist": "Latensi jawaban -> butir berikutnya",
        "time": "Latensi sepanjang waktu (per detik)",
        "rate": "Laju jawaban: ditawarkan dan tercapai",
        "connect": "Waktu sambung dan pulih",
        "memory": "Memori server (RSS) sepanjang waktu",
        "ms": "ms",
        "s": "detik sejak mulai",
        "count": "jumlah",
        "per_s": "jawaban per detik",
        "server": "server",
        "floor": "lantai gema",
        "offered": "ditawarkan",
        "achieved": "tercapai",
        "connect_ms": "sambung",
        "resume_ms": "pulih setelah putus",
        "mb": "MB",
    },
    "en": {
        "hist": "Answer-to-next-item latency",
        "time": "Latency over time (per second)",
        "rate": "Answer rate: offered and achieved",
        "connect": "Connect and resume times",
        "memory": "Server memory (RSS) over time",
        "ms": "ms",
        "s": "seconds since start",
        "count": "count",
        "per_s": "answers per second",
        "server": "server",
        "floor": "echo floor",
        "offered": "offered",
        "achieved": "achieved",
        "connect_ms": "connect",
        "resume_ms": "resume after a drop",
        "mb": "MB",
    },
}


def _log_bins(*series: npt.NDArray[np.float64]) -> list[float]:
    values = np.concatenate([s for s in series if s.size]) if any(s.size for s in series) else np.ones(1)
    low = max(float(values.min()), 0.01)
    high = max(float(values.max()), low * 10)
    return [float(b) for b in np.logspace(np.log10(low), np.log10(high), 60)]


def _marks(ax: object, marks: list[tuple[float, str]]) -> None:
    for t, label in marks:
        ax.axvline(t, color="tab:red", linestyle="--", linewidth=0.8)  # type: ignore[attr-defined]
        ax.annotate(  # type: ignore[attr-defined]
            label, (t, 1.0), xycoords=("data", "axes fraction"), rotation=90, va="top", ha="right", fontsize=7
        )


def plot_run(load: PhaseResult, floor: Sequence[PhaseResult], directory: Path, lang: str) -> list[Path]:
    """Write the plots of a run into ``directory`` (``floor``: the echo-floor runs, maybe none); returns their
    paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = _TITLES.get(lang, _TITLES["id"])
    directory.mkdir(parents=True, exist_ok=True)
    rec = load.rec
    lat = np.asarray(rec.latency_ms)
    lat_t = np.asarray(rec.latency_t)
    written: list[Path] = []

    def save(fig: object, name: str) -> None:
        path = directory / name
        fig.tight_layout()  # type: ignore[attr-defined]
        fig.savefig(path, dpi=110)  # type: ignore[attr-defined]
        plt.close(fig)  # type: ignore[arg-type]
        written.append(path)

    # latency histogram, with the floor's for comparison
    fig, ax = plt.subplots(figsize=(8, 4.5))
    floor_lat = np.asarray([x for f in floor for x in f.rec.latency_ms])
    bins = _log_bins(lat, floor_lat)
    if lat.size:
        ax.hist(lat, bins=bins, alpha=0.7, label=t["server"])
        for q, style in ((50, ":"), (99, "--")):
            ax.axvline(float(np.percentile(lat, q)), color="tab:blue", linestyle=style, linewidth=1, label=f"p{q}")
    if floor_lat.size:
        ax.hist(floor_lat, bins=bins, alpha=0.5, label=t["floor"])
    ax.set_xscale("log")
    ax.set(title=t["hist"], xlabel=t["ms"], ylabel=t["count"])
    ax.legend()
    save(fig, "latency_histogram.png")

    # latency over time: p50, p99 and max per second, events marked
    fig, ax = plt.subplots(figsize=(10, 4.5))
    if lat.size:
        second = lat_t.astype(np.intp)
        order = np.argsort(second, kind="stable")
        seconds, starts = np.unique(second[order], return_index=True)
        groups = np.split(lat[order], starts[1:])
        for q, label in ((50, "p50"), (99, "p99")):
            ax.plot(seconds, [np.percentile(g, q) for g in groups], label=label, linewidth=1)
        ax.plot(seconds, [g.max() for g in groups], label="max", linewidth=0.6, alpha=0.6)
        ax.set_yscale("log")
    _marks(ax, rec.marks)
    ax.set(title=t["time"], xlabel=t["s"], ylabel=t["ms"])
    ax.legend(loc="upper left")
    save(fig, "latency_over_time.png")

    # offered against achieved answer rate
    fig, ax = plt.subplots(figsize=(10, 4.5))
    end = max(float(np.max(rec.ack_t, initial=0.0)), float(np.max(rec.due_t, initial=0.0)), 1.0)
    for times, label in ((rec.due_t, t["offered"]), (rec.ack_t, t["achieved"])):
        starts_s, rates = rate_series(times, 1.0, end)
        ax.plot(starts_s, rates, label=label, linewidth=1)
    _marks(ax, rec.marks)
    ax.set(title=t["rate"], xlabel=t["s"], ylabel=t["per_s"])
    ax.legend(loc="upper left")
    save(fig, "throughput.png")

    # connect and resume times
    fig, ax = plt.subplots(figsize=(8, 4.5))
    conn, resume = np.asarray(rec.connect_ms), np.asarray(rec.resume_ms)
    bins = _log_bins(conn, resume)
    for values, label in ((conn, t["connect_ms"]), (resume, t["resume_ms"])):
        if values.size:
            ax.hist(values, bins=bins, alpha=0.6, label=f"{label} (n={values.size})")
    ax.set_xscale("log")
    ax.set(title=t["connect"], xlabel=t["ms"], ylabel=t["count"])
    ax.legend()
    save(fig, "connect_resume.png")

    if load.rss_series:
        fig, ax = plt.subplots(figsize=(10, 4))
        xs, ys = zip(*load.rss_series, strict=True)
        ax.plot(xs, np.asarray(ys) / 2**20, linewidth=1)
        _marks(ax, rec.marks)
        ax.set(title=t["memory"], xlabel=t["s"], ylabel=t["mb"])
        save(fig, "server_memory.png")
    return written
