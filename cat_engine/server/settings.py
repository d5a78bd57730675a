"""Server settings, read once from the environment (documented in the README and docs/operations.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

__all__ = ["Settings"]

_REPO = Path(__file__).resolve().parents[2]
_DEFAULT_BATTERY = _REPO / "item_pools" / "cact_demo.toml"


Number = TypeVar("Number", int, float)


def _public_url(value: str | None) -> str | None:
    """``CAT_PUBLIC_URL`` without its trailing slash; an http(s) URL of a host, no query or fragment."""
    if value is None:
        return None
    parsed = urlsplit(value.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query or parsed.fragment:
        example = "https://cat.example.go.id"
        raise ValueError(f"CAT_PUBLIC_URL must be an http:// or https:// address like {example}, got {value!r}")
    return value.strip().rstrip("/")


def _key_file(value: str | None) -> Path | None:
    """``CAT_SIGNING_KEY_FILE``: a file that exists (its key is read and checked when the app starts)."""
    if value is None:
        return None
    path = Path(value.strip())
    if not path.is_file():
        raise ValueError(f"CAT_SIGNING_KEY_FILE must name a key file (PEM), got {value!r}: no such file")
    return path


def _number(env: Mapping[str, str], name: str, default: Number, low: Number, high: Number) -> Number:
    """``env[name]`` read as the type of ``default`` (int or float), within ``[low, high]``."""
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    kind = type(default)
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{name} must be {'an integer' if kind is int else 'a number'}, got {raw!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be 1/true/yes/on or 0/false/no/off, got {raw!r}")


@dataclass(frozen=True)
class Settings:
    """Everything the server can be told from outside.

    Attributes
    ----------
    redis_url : str or None
        ``REDIS_URL``: ``redis://host:port[/db]`` one Redis, ``redis+cluster://host:port[,host:port...]`` a Redis
        Cluster through those seed nodes; None runs the embedded in-memory store (one process, state lost on exit).
    host, port : str, int
        ``HOST`` (default 127.0.0.1) and ``PORT`` (default 8000).
    admin_token : str or None
        ``CAT_ADMIN_TOKEN``; when unset, ``python server.py`` generates one and prints it.
    key_prefix : str
        ``CAT_KEY_PREFIX``: first part of every Redis key (default ``cat``).
    batteries : tuple of Path
        ``CAT_BATTERIES``: comma-separated battery TOML files (default the demo battery).
    demo_room : bool
        ``CAT_DEMO_ROOM``: create a demo room with demo candidates at start-up (default on without Redis).
    lang : str
        ``CAT_LANG``: language of error messages (``id`` or ``en``).
    live_ttl_s : int
        ``CAT_LIVE_TTL_S``: live keys expire this long after their last change (default 3 days).
    acked_ttl_s : int
        ``CAT_ACKED_TTL_S``: results and audit expire this long after the HR system acknowledged them.
    max_frame_bytes, flood_burst, flood_rate, hello_timeout_s
        Limits on client frames (``CAT_MAX_FRAME_BYTES``, ``CAT_FLOOD_BURST``, ``CAT_FLOOD_RATE``,
        ``CAT_HELLO_TIMEOUT_S``).
    workers : int
        ``CAT_WORKERS``: uvicorn worker processes started by ``python server.py`` (Redis mode only).
    proctor_batch_ms : int
        ``CAT_PROCTOR_BATCH_MS``: a proctor that asked for batched events gets at most one ``events`` frame this
        often (default 500 ms): one frame and one stream read for all a busy room's events in that time.
    events_keep_s : int
        ``CAT_EVENTS_KEEP_S``: a room's events are kept this long for proctors who resume (default 300 s); a proctor
        always resumes with a fresh snapshot, so older events only matter to one away longer, who misses them.
    redis_wait_replicas, redis_wait_timeout_ms : int
        ``CAT_REDIS_WAIT_REPLICAS``: an answer is acknowledged only once this many Redis replicas have it
        (``WAIT``; default 0, off); ``CAT_REDIS_WAIT_TIMEOUT_MS`` (default 1000): how long to wait for them before
        the answer is not acknowledged and the client resends it.
    metrics_token : str or None
        ``CAT_METRICS_TOKEN``: bearer token that opens ``/metrics`` (for Prometheus' ``authorization``); the admin
        token always does. Unset: only the admin token.
    noise_per_minute : int
        ``CAT_NOISE_PER_MINUTE``: audit entries, and room events, that repeats, refusals and reconnects of one session
        may add per minute (default 100 of each); beyond that they are counted, not stored. Answers that advance
        the test, proctor commands and the clock are never held back.
    hello_fail_burst, hello_fail_rate : int, float
        ``CAT_HELLO_FAIL_BURST`` (default 200) and ``CAT_HELLO_FAIL_RATE`` (default 20 per second): failed hellos
        (unknown token) allowed per client address, a token bucket per process; beyond it ``rate_limited``.
    hello_token_burst, hello_token_rate : int, float
        ``CAT_HELLO_TOKEN_BURST`` (default 30) and ``CAT_HELLO_TOKEN_RATE`` (default 1 per second): hellos allowed
        per token (candidate or proctor), a token bucket per process; beyond it ``rate_limited``. A reconnecting page
        backs off long before; a hello/close loop on one token is held to about one a second.
    proctor_burst, proctor_rate : int, float
        ``CAT_PROCTOR_BURST`` (default 20) and ``CAT_PROCTOR_RATE`` (default 5 per second): ``detail`` frames and
        commands allowed per proctor token (shared by its connections on a process); beyond it ``rate_limited``.
    max_session_connections, max_proctor_connections : int
        ``CAT_MAX_SESSION_CONNECTIONS`` (default 3: the seated computer, one waiting for the proctor's approval of a
        move, and a reload's overlap) and ``CAT_MAX_PROCTOR_CONNECTIONS`` (default 4): open connections
        per candidate token and per proctor token on a process; the next is refused (``too_many_connections``).
    idle_disconnect_s : float
        ``CAT_IDLE_DISCONNECT_S`` (default 30): a candidate connection that sent no frame this long after its hello
        is closed as dead (``idle``); its session shows disconnected and its clock stops.
    signing_key_file : Path or None
        ``CAT_SIGNING_KEY_FILE``: the Ed25519 private key (PEM, PKCS#8, no password) that signs evidence bundles
        (``GET /api/rooms/{id}/evidence``, docs/verification.md); every process of a deployment must share it.
        Unset: each process makes an ephemeral key at start and prints its public key (bundles it signs can be
        checked only against that printed key, and only while it is known).
    public_url : str or None
        ``CAT_PUBLIC_URL``: the address candidates and proctors reach the server at (``https://cat.example.go.id``),
        printed on slips and in links; unset, the admin page uses its own address and the start-up banner warns when
        ``HOST`` is not a loopback address.
    intro_limit_s : float
        ``CAT_INTRO_LIMIT_S`` (default 300): a subtest's intro starts the subtest by itself this long after it was
        first shown, when the candidate has not pressed start (nobody can hold a room up).
    room_watch_s : float
        ``CAT_ROOM_WATCH_S`` (default 120; 0: off): every this many seconds the answer timing of each room whose
        sessions are answering is evaluated (by one process of all; :mod:`.room_watch`) and each new room-level flag
        (``operator``, ``lockstep``) pushed to the room's proctors once.
    limit_concurrency, keep_alive_s, max_incomplete_event_bytes : int
        uvicorn's limits (``CAT_LIMIT_CONCURRENCY`` default 5000 connections and tasks, ``CAT_KEEP_ALIVE_S``
        default 5, ``CAT_MAX_HEADER_BYTES`` default 16384: the largest request head h11 reads).
    """

    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    admin_token: str | None = None
    key_prefix: str = "cat"
    batteries: tuple[Path, ...] = (_DEFAULT_BATTERY,)
    demo_room: bool = True
    lang: str = "id"
    live_ttl_s: int = 3 * 24 * 3600
    acked_ttl_s: int = 30 * 24 * 3600
    max_frame_bytes: int = 4096
    flood_burst: int = 200
    flood_rate: float = 20.0
    hello_timeout_s: float = 10.0
    workers: int = 1
    proctor_batch_ms: int = 500
    events_keep_s: int = 300
    redis_wait_replicas: int = 0
    redis_wait_timeout_ms: int = 1000
    metrics_token: str | None = None
    noise_per_minute: int = 100
    hello_fail_burst: int = 200
    hello_fail_rate: float = 20.0
    hello_token_burst: int = 30
    hello_token_rate: float = 1.0
    proctor_burst: int = 20
    proctor_rate: float = 5.0
    max_session_connections: int = 3
    max_proctor_connections: int = 4
    limit_concurrency: int = 5000
    keep_alive_s: int = 5
    max_incomplete_event_bytes: int = 16384
    intro_limit_s: float = 300.0
    idle_disconnect_s: float = 30.0
    room_watch_s: float = 120.0
    public_url: str | None = None
    signing_key_file: Path | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``env`` (default ``os.environ``); raises ValueError naming a bad variable."""
        env = os.environ if env is None else env
        redis_url = env.get("REDIS_URL") or None
        batteries = tuple(Path(p.strip()) for p in env.get("CAT_BATTERIES", "").split(",") if p.strip())
        prefix = env.get("CAT_KEY_PREFIX") or "cat"
        if not prefix or any(c in prefix for c in "{} "):
            raise ValueError(f"CAT_KEY_PREFIX must be non-empty without braces or spaces, got {prefix!r}")
        lang = env.get("CAT_LANG") or "id"
        if lang not in ("id", "en"):
            raise ValueError(f"CAT_LANG must be 'id' or 'en', got {lang!r}")
        demo_default = "0" if redis_url else "1"
        return cls(
            redis_url=redis_url,
            host=env.get("HOST", "127.0.0.1"),
            port=_number(env, "PORT", 8000, 0, 65535),
            admin_token=env.get("CAT_ADMIN_TOKEN") or None,
            key_prefix=prefix,
            batteries=batteries or (_DEFAULT_BATTERY,),
            demo_room=_flag(env, "CAT_DEMO_ROOM", demo_default == "1"),
            lang=lang,
            live_ttl_s=_number(env, "CAT_LIVE_TTL_S", 3 * 24 * 3600, 60, 10**8),
            acked_ttl_s=_number(env, "CAT_ACKED_TTL_S", 30 * 24 * 3600, 60, 10**9),
            max_frame_bytes=_number(env, "CAT_MAX_FRAME_BYTES", 4096, 256, 1 << 20),
            flood_burst=_number(env, "CAT_FLOOD_BURST", 200, 1, 10_000),
            flood_rate=_number(env, "CAT_FLOOD_RATE", 20.0, 0.1, 10_000.0),
            hello_timeout_s=_number(env, "CAT_HELLO_TIMEOUT_S", 10.0, 0.1, 3600.0),
            workers=_number(env, "CAT_WORKERS", 1, 1, 256),
            proctor_batch_ms=_number(env, "CAT_PROCTOR_BATCH_MS", 500, 0, 10_000),
            events_keep_s=_number(env, "CAT_EVENTS_KEEP_S", 300, 10, 7 * 24 * 3600),
            redis_wait_replicas=_number(env, "CAT_REDIS_WAIT_REPLICAS", 0, 0, 16),
            redis_wait_timeout_ms=_number(env, "CAT_REDIS_WAIT_TIMEOUT_MS", 1000, 10, 60_000),
            metrics_token=env.get("CAT_METRICS_TOKEN") or None,
            noise_per_minute=_number(env, "CAT_NOISE_PER_MINUTE", 100, 10, 100_000),
            hello_fail_burst=_number(env, "CAT_HELLO_FAIL_BURST", 200, 1, 1_000_000),
            hello_fail_rate=_number(env, "CAT_HELLO_FAIL_RATE", 20.0, 0.1, 1_000_000.0),
            hello_token_burst=_number(env, "CAT_HELLO_TOKEN_BURST", 30, 1, 100_000),
            hello_token_rate=_number(env, "CAT_HELLO_TOKEN_RATE", 1.0, 0.01, 100_000.0),
            proctor_burst=_number(env, "CAT_PROCTOR_BURST", 20, 1, 100_000),
            proctor_rate=_number(env, "CAT_PROCTOR_RATE", 5.0, 0.1, 100_000.0),
            max_session_connections=_number(env, "CAT_MAX_SESSION_CONNECTIONS", 3, 1, 100),
            max_proctor_connections=_number(env, "CAT_MAX_PROCTOR_CONNECTIONS", 4, 1, 1000),
            limit_concurrency=_number(env, "CAT_LIMIT_CONCURRENCY", 5000, 10, 1_000_000),
            keep_alive_s=_number(env, "CAT_KEEP_ALIVE_S", 5, 1, 3600),
            max_incomplete_event_bytes=_number(env, "CAT_MAX_HEADER_BYTES", 16384, 1024, 1 << 20),
            intro_limit_s=_number(env, "CAT_INTRO_LIMIT_S", 300.0, 1.0, 24 * 3600.0),
            idle_disconnect_s=_number(env, "CAT_IDLE_DISCONNECT_S", 30.0, 1.0, 3600.0),
            room_watch_s=_number(env, "CAT_ROOM_WATCH_S", 120.0, 0.0, 3600.0),
            public_url=_public_url(env.get("CAT_PUBLIC_URL") or None),
            signing_key_file=_key_file(env.get("CAT_SIGNING_KEY_FILE") or None),
        )
