"""``python -m load_tests SCENARIO [--examinees N] [--report-dir DIR]``: see :mod:`load_tests.cli`."""

from __future__ import annotations

from .cli import main

raise SystemExit(main())
