"""The simulation plots are real PNG images with the expected content."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from conftest import load

from cat_engine.plots import plot_simulation
from cat_engine.simulate import simulate_subtest

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_plots_are_written_as_png(tmp_path: Path) -> None:
    battery = load(tmp_path)
    results = [simulate_subtest(s, np.linspace(-2, 2, 60), np.random.default_rng(0)) for s in battery.subtests]
    written = plot_simulation(results, tmp_path / "plots", lang="en")
    assert [p.name for p in written] == ["information.png", "conditional_se.png", "exposure.png"]
    for path in written:
        data = path.read_bytes()
        assert data.startswith(PNG_MAGIC)
        assert len(data) > 10_000  # axes, curves and labels, not an empty canvas
