"""Run the CAT server: ``python server.py`` (settings from the environment; see the README).

Without ``REDIS_URL`` it runs the embedded in-memory store in one process with a demo room and prints where to
point a browser and the tokens. With ``REDIS_URL`` all state lives in Redis; ``CAT_WORKERS`` processes (or
``uvicorn server:app --workers N``, or several hosts) share it.

uvicorn's limits come from the settings (:func:`uvicorn_options`), the same in every worker and each per process.
What they do and do not bound was measured (docs/operations.md, "Behind a reverse proxy"): uvicorn has no timeout for
a request head and ``timeout_keep_alive`` only runs between requests; ``CAT_MAX_HEADER_BYTES`` bounds a head because
the h11 parser is used (httptools reads heads of any size). A reverse proxy in front closes slow heads.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypedDict

# A server process computes one examinee's step at a time on arrays of a few hundred numbers: BLAS threads would
# only spin beside it (about 2 % of a process's CPU measured) and crowd the other worker processes. Set before numpy
# is first imported; an operator's own setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import uvicorn  # noqa: E402 (after the thread settings above)

from cat_engine.server.app import create_app  # noqa: E402
from cat_engine.server.auth import new_admin_token  # noqa: E402
from cat_engine.server.demo import demo_banner  # noqa: E402
from cat_engine.server.metrics import MULTIPROC_ENV, prepare_multiprocess_dir  # noqa: E402
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
    # h11, not httptools: only h11 bounds a request head (h11_max_incomplete_event_size); the parser runs once per
    # connection (the WebSocket handshake), never per answer
    "http": "h11",
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


def forwarded_allow_ips(env: Mapping[str, str]) -> list[str]:
    """``CAT_FORWARDED_ALLOW_IPS``: the proxies whose ``X-Forwarded-For``/``X-Forwarded-Proto`` are believed.

    Comma-separated addresses or networks (``10.0.0.5``, ``10.0.0.0/24``, ``::1``) or ``*`` (any peer: only when
    nothing but the proxy can reach the port). Unset or empty: none, so a client's address is its TCP peer's and a
    header cannot forge it (uvicorn's own default believes 127.0.0.1, and its ``FORWARDED_ALLOW_IPS`` is not read).
    Raises ValueError naming the variable for anything else.
    """
    raw = env.get("CAT_FORWARDED_ALLOW_IPS", "")
    items = [item.strip() for item in raw.split(",") if item.strip()]
    for item in items:
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ValueError(
                f"CAT_FORWARDED_ALLOW_IPS must be comma-separated IP addresses or networks, or *; got {item!r}"
            ) from None
    return items


def uvicorn_options(settings: Settings, env: Mapping[str, str]) -> dict[str, Any]:
    """The keyword arguments of ``uvicorn.run`` for ``settings`` (every one a ``uvicorn.Config`` parameter).

    ``limit_concurrency`` (``CAT_LIMIT_CONCURRENCY``) counts a process's open connections, WebSockets included, and
    its tasks: beyond it uvicorn answers HTTP requests 503, but it refuses no WebSocket upgrade.
    ``timeout_keep_alive`` (``CAT_KEEP_ALIVE_S``) closes a connection idle after a response, never one that has not
    finished its first request. ``h11_max_incomplete_event_size`` (``CAT_MAX_HEADER_BYTES``) bounds a request head
    (the h11 parser set here: httptools would read heads of any size).
    """
    trusted = forwarded_allow_ips(env)
    return {
        "host": settings.host,
        "port": settings.port,
        "workers": settings.workers,
        # the app answers frames over CAT_MAX_FRAME_BYTES with `too_large`; the WebSocket layer closes (1009)
        # only on frames so large that reading them whole would already be a cost
        "ws_max_size": ws_max_size(settings),
        "limit_concurrency": settings.limit_concurrency,
        "timeout_keep_alive": settings.keep_alive_s,
        "h11_max_incomplete_event_size": settings.max_incomplete_event_bytes,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": trusted or None,
        **UVICORN_OPTIONS,
    }


def _app() -> Starlette:
    return create_app(announce=os.environ.get("CAT_ANNOUNCE") == "1")


def main() -> int:
    try:
        settings = Settings.from_env()
        options = uvicorn_options(settings, os.environ)
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
        print(demo_banner(settings, os.environ["CAT_ADMIN_TOKEN"], None), flush=True)
    # metrics that add up over the processes (cat_engine/server/metrics.py): each writes its values to files in one
    # directory, named in the environment before uvicorn spawns the workers (prometheus_client reads it at import)
    made = None
    if settings.workers > 1 or os.environ.get(MULTIPROC_ENV):
        made = prepare_multiprocess_dir(os.environ)
    try:
        uvicorn.run("server:_app", factory=True, **options)
    finally:
        if made is not None:
            shutil.rmtree(made, ignore_errors=True)
    return 0


def __getattr__(name: str) -> object:
    # ``uvicorn server:app`` builds the app on first access, so importing this module stays cheap
    if name == "app":
        return _app()
    raise AttributeError(name)


if __name__ == "__main__":
    sys.exit(main())
