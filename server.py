"""Run the CAT server: ``python server.py`` (settings from the environment; see the README).

Without ``REDIS_URL`` it runs the embedded in-memory store in one process with a demo room and prints where to
point a browser and the tokens. With ``REDIS_URL`` all state lives in Redis; ``CAT_WORKERS`` processes (or
``uvicorn server:app --workers N``, or several hosts) share it.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, TypedDict

# A server process computes one examinee's step at a time on arrays of a few hundred numbers: BLAS threads would
# only spin beside it (about 2 % of a process's CPU measured) and crowd the other worker processes. Set before numpy
# is first imported; an operator's own setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import uvicorn  # noqa: E402 (after the thread settings above)

from cat_engine.server.app import create_app  # noqa: E402
from cat_engine.server.auth import new_admin_token  # noqa: E402
from cat_engine.server.demo import demo_banner  # noqa: E402
from cat_engine.server.settings import Settings  # noqa: E402

if TYPE_CHECKING:
    from starlette.applications import Starlette


class UvicornOptions(TypedDict):
    """The keyword arguments of ``uvicorn.run`` that every server process shares (load_tests' echo floor too)."""

    loop: str
    http: str
    ws: str
    ws_per_message_deflate: bool
    ws_ping_interval: float
    ws_ping_timeout: float
    timeout_graceful_shutdown: int
    log_level: str


UVICORN_OPTIONS: UvicornOptions = {
    "loop": "uvloop",
    "http": "httptools",
    "ws": "websockets-sansio",
    "ws_per_message_deflate": False,  # small JSON frames: compression costs CPU and latency for nothing
    "ws_ping_interval": 20.0,
    "ws_ping_timeout": 20.0,
    "timeout_graceful_shutdown": 5,
    "log_level": "warning",
}


def ws_max_size(settings: Settings) -> int:
    """Largest frame the WebSocket layer reads: four times the protocol's limit, at least 16 KiB."""
    return max(4 * settings.max_frame_bytes, 16 * 1024)


def _app() -> Starlette:
    return create_app(announce=os.environ.get("CAT_ANNOUNCE") == "1")


def main() -> int:
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        print(f"server.py: {exc}", file=sys.stderr)
        return 2
    if settings.redis_url and not settings.admin_token:
        os.environ["CAT_ADMIN_TOKEN"] = new_admin_token()  # shared by the workers, printed by the banner
    if not settings.redis_url and settings.workers > 1:
        print("server.py: CAT_WORKERS > 1 needs REDIS_URL (the memory store lives in one process)", file=sys.stderr)
        return 2
    if settings.workers == 1:
        os.environ["CAT_ANNOUNCE"] = "1"  # the one process prints the banner, with its demo room
    else:  # every worker would print it, and make a demo room of its own: the banner comes from here, no room
        if settings.demo_room:
            print("server.py: no demo room with CAT_WORKERS > 1 (each worker would create one)", file=sys.stderr)
        os.environ["CAT_DEMO_ROOM"] = "0"
        base = f"http://{settings.host}:{settings.port}"
        print(demo_banner(base, os.environ["CAT_ADMIN_TOKEN"], None, settings.lang), flush=True)
    uvicorn.run(
        "server:_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        # the app answers frames over CAT_MAX_FRAME_BYTES with `too_large`; the WebSocket layer closes (1009)
        # only on frames so large that reading them whole would already be a cost
        ws_max_size=ws_max_size(settings),
        **UVICORN_OPTIONS,
    )
    return 0


def __getattr__(name: str) -> object:
    # ``uvicorn server:app`` builds the app on first access, so importing this module stays cheap
    if name == "app":
        return _app()
    raise AttributeError(name)


if __name__ == "__main__":
    sys.exit(main())
