"""Shared factories for the tests: small item pools (JSON dicts) and batteries (TOML files) written to tmp_path.

Nothing here reads ``item_pools/``; every test builds what it needs.

* :func:`make_item` / :func:`make_pool_dict` build pool dicts in the format of ``docs/pool-format.md``;
  :func:`make_pool` validates one into a :class:`~cat_engine.pool.Pool`.
* :func:`subtest_dict` / :func:`battery_dict` build battery dicts in the format of ``docs/battery-format.md``;
  :func:`write_battery` writes one as TOML (plus any pool files it names that do not exist yet) and returns its
  path; :func:`load` does that and loads it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from cat_engine.battery import Battery, load_battery
from cat_engine.irt import DICHOTOMOUS, GPCM, GRM, ItemParams
from cat_engine.pool import Pool

__all__ = [
    "battery_dict",
    "dump_toml",
    "load",
    "make_item",
    "make_params",
    "make_pool",
    "make_pool_dict",
    "subtest_dict",
    "write_battery",
    "write_pool",
]

# --- pools -----------------------------------------------------------------------------------------------------


def make_item(
    item_id: str,
    *,
    model: str = "3PL",
    a: float = 1.0,
    b: float | Sequence[float] = 0.0,
    c: float = 0.2,
    d: float = 1.0,
    area: str = "A",
    n_options: int = 4,
    key: int = 0,
    enemies: Sequence[str] = (),
    exposure_k: float | None = None,
) -> dict[str, Any]:
    """One item dict. For GPCM/GRM ``b`` is the list of steps and the item gets ``len(b) + 1`` options."""
    params: dict[str, Any]
    if model == "1PL":
        params = {"b": b}
    elif model == "2PL":
        params = {"a": a, "b": b}
    elif model == "3PL":
        params = {"a": a, "b": b, "c": c}
    elif model == "4PL":
        params = {"a": a, "b": b, "c": c, "d": d}
    else:
        assert isinstance(b, Sequence)
        params = {"a": a, "b": list(b)}
        n_options = len(b) + 1
    item: dict[str, Any] = {
        "id": item_id,
        "model": model,
        "params": params,
        "content_area": area,
        "stem": f"Stem of {item_id}?",
        "options": [f"{item_id} option {o}" for o in range(n_options)],
    }
    if model in ("GPCM", "GRM"):
        item["option_weights"] = list(range(1, n_options + 1))
    else:
        item["key"] = key
    if enemies:
        item["enemies"] = list(enemies)
    if exposure_k is not None:
        item["exposure_k"] = exposure_k
    return item


def make_pool_dict(
    n_items: int = 60,
    *,
    areas: Sequence[str] = ("A", "B"),
    seed: int = 0,
    pool_id: str = "pool",
    pool_version: str = "1.0",
    D: float = 1.0,
    n_polytomous: int = 0,
    items: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """A valid pool dict.

    Without ``items``: ``n_items`` random 3PL items (a ~ U(0.7, 2.2), b ~ N(0, 1.2), c ~ U(0, 0.25), 4 options,
    key ``i % 4``), areas assigned round-robin, followed by ``n_polytomous`` GPCM items with 4 steps (5 options).
    """
    if items is None:
        rng = np.random.default_rng(seed)
        a = rng.uniform(0.7, 2.2, n_items)
        b = rng.normal(0.0, 1.2, n_items)
        c = rng.uniform(0.0, 0.25, n_items)
        built = [
            make_item(
                f"{pool_id}-{i:04d}",
                a=round(float(a[i]), 6),
                b=round(float(b[i]), 6),
                c=round(float(c[i]), 6),
                area=areas[i % len(areas)],
                key=i % 4,
            )
            for i in range(n_items)
        ]
        for j in range(n_polytomous):
            steps = sorted(round(float(s), 4) for s in rng.normal(0.0, 1.0, 4))
            built.append(
                make_item(
                    f"{pool_id}-P{j:03d}",
                    model="GPCM",
                    a=round(float(rng.uniform(0.7, 1.8)), 4),
                    b=steps,
                    area=areas[j % len(areas)],
                )
            )
        items = built
    return {
        "format_version": 1,
        "pool_id": pool_id,
        "pool_version": pool_version,
        "name": f"Pool {pool_id}",
        "calibration": {"note": "synthetic test pool", "synthetic": True},
        "theta_scale": {"mean": 0.0, "sd": 1.0, "D": D},
        "content_areas": list(areas),
        "items": [dict(it) for it in items],
    }


def make_pool(**kwargs: Any) -> Pool:
    """:func:`make_pool_dict` validated into a Pool."""
    return Pool.from_dict(make_pool_dict(**kwargs), source="<test>")


def write_pool(path: Path, data: Mapping[str, Any]) -> Path:
    """Write a pool dict as JSON."""
    path.write_bytes(orjson.dumps(data))
    return path


def make_params(specs: Sequence[tuple[Any, ...]], D: float = 1.0) -> ItemParams:
    """ItemParams of a (possibly mixed) pool from spec tuples, built without cat_engine.pool.

    A spec is ``("dich", a, b, c, d)``, ``("gpcm", a, [steps])`` or ``("grm", a, [thresholds])``.
    """
    n = len(specs)
    max_steps = max((len(s[2]) for s in specs if s[0] != "dich"), default=1)
    model = np.zeros(n, dtype=np.int8)
    a, b, c, d = np.ones(n), np.zeros(n), np.zeros(n), np.ones(n)
    steps = np.full((n, max_steps), np.nan)
    n_cat = np.full(n, 2, dtype=np.intp)
    for i, spec in enumerate(specs):
        if spec[0] == "dich":
            model[i] = DICHOTOMOUS
            a[i], b[i], c[i], d[i] = spec[1:]
        else:
            model[i] = GPCM if spec[0] == "gpcm" else GRM
            a[i] = spec[1]
            steps[i, : len(spec[2])] = spec[2]
            b[i] = float(np.mean(spec[2]))
            n_cat[i] = len(spec[2]) + 1
    return ItemParams(model=model, a=a, b=b, c=c, d=d, steps=steps, n_categories=n_cat, D=D)


# --- batteries -------------------------------------------------------------------------------------------------

DEFAULT_CUTS = [-1.5, -0.5, 0.5, 1.5]


def subtest_dict(
    sid: str = "s1",
    pool: str | None = None,
    *,
    max_items: int = 10,
    min_items: int = 1,
    se_target: float | None = 0.3,
    time_limit_s: float | None = 600,
    estimator: Mapping[str, Any] | None = None,
    selection: Mapping[str, Any] | None = None,
    blueprint: Mapping[str, Any] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One ``[[subtests]]`` table; the pool defaults to ``f"{sid}.json"``."""
    stopping: dict[str, Any] = {"min_items": min_items, "max_items": max_items}
    if se_target is not None:
        stopping["se_target"] = se_target
    out: dict[str, Any] = {
        "id": sid,
        "name": f"Subtest {sid}",
        "pool": pool if pool is not None else f"{sid}.json",
        "level_cuts": list(DEFAULT_CUTS),
        "estimator": dict(estimator) if estimator is not None else {"method": "eap"},
        "selection": dict(selection)
        if selection is not None
        else {"randomesque": 1, "first_item_randomesque": 5, "start_theta": 0.0, "exposure_control": "none"},
        "stopping": stopping,
    }
    if time_limit_s is not None:
        out["time_limit_s"] = time_limit_s
    if blueprint is not None:
        out["blueprint"] = dict(blueprint)
    out.update(extra)
    return out


def battery_dict(subtests: Sequence[Mapping[str, Any]] | None = None, **top: Any) -> dict[str, Any]:
    """A whole battery dict (two default subtests unless given)."""
    data: dict[str, Any] = {
        "format_version": 1,
        "id": "test-battery",
        "version": "2026.1",
        "name": "Test battery",
        "show_profile_to_candidate": True,
        "reporting": {"scale_mean": 500, "scale_sd": 100, "scale_min": 100, "scale_max": 900},
        "subtests": [dict(s) for s in subtests] if subtests is not None else [subtest_dict("s1"), subtest_dict("s2")],
    }
    data.update(top)
    return data


def _toml_key(key: str) -> str:
    return json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _toml_table(lines: list[str], table: Mapping[str, Any], path: list[str]) -> None:
    for key, value in table.items():
        if not isinstance(value, Mapping) and not _is_table_array(value):
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in table.items():
        if isinstance(value, Mapping):
            lines.append(f"[{'.'.join(_toml_key(p) for p in [*path, key])}]")
            _toml_table(lines, value, [*path, key])
    for key, value in table.items():
        if _is_table_array(value):
            for element in value:
                lines.append(f"[[{'.'.join(_toml_key(p) for p in [*path, key])}]]")
                _toml_table(lines, element, [*path, key])


def dump_toml(data: Mapping[str, Any]) -> str:
    """A small TOML writer for battery dicts (scalars, lists, tables, arrays of tables)."""
    lines: list[str] = []
    _toml_table(lines, data, [])
    return "\n".join(lines) + "\n"


def write_battery(
    tmp_path: Path,
    data: Mapping[str, Any] | None = None,
    *,
    pools: Mapping[str, Mapping[str, Any]] | None = None,
    filename: str = "battery.toml",
) -> Path:
    """Write ``data`` (default :func:`battery_dict`) as TOML into ``tmp_path`` and return the file's path.

    ``pools`` maps pool file names to pool dicts to write; every other pool file a subtest names that does not
    exist yet gets a random 3PL pool (60 items, areas A and B, pool id = the file's stem).
    """
    data = battery_dict() if data is None else data
    for name, pool in (pools or {}).items():
        write_pool(tmp_path / name, pool)
    subtests = data.get("subtests", [])
    if isinstance(subtests, list):
        for n, sub in enumerate(subtests):
            if isinstance(sub, Mapping) and isinstance(sub.get("pool"), str):
                target = tmp_path / sub["pool"]
                if not target.exists():
                    write_pool(target, make_pool_dict(seed=100 + n, pool_id=Path(sub["pool"]).stem))
    path = tmp_path / filename
    path.write_text(dump_toml(data), encoding="utf-8")
    return path


def load(
    tmp_path: Path,
    data: Mapping[str, Any] | None = None,
    *,
    pools: Mapping[str, Mapping[str, Any]] | None = None,
) -> Battery:
    """:func:`write_battery` then :func:`~cat_engine.battery.load_battery`."""
    return load_battery(write_battery(tmp_path, data, pools=pools))


# --- a private redis-server for the store tests ----------------------------------------------------------------

from collections.abc import Callable, Iterator  # noqa: E402
from uuid import uuid4  # noqa: E402

import pytest  # noqa: E402

from load_tests.cluster import LocalCluster, cluster_available  # noqa: E402
from load_tests.procs import RedisServer  # noqa: E402


@pytest.fixture(scope="session")
def private_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """One private ``redis-server`` (never the shared one on 6379) for the whole test session."""
    redis = RedisServer(tmp_path_factory.mktemp("redis"))
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
def own_cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    """A Redis Cluster of the test's own (3 masters + 3 replicas, node timeout 1000 ms): its nodes may be killed."""
    why = cluster_available()
    if why is not None:
        pytest.fail(f"cannot start a private Redis Cluster: {why}")
    cluster = LocalCluster(tmp_path / "cluster", node_timeout_ms=1000)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def private_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """One private Redis Cluster (3 masters + 3 replicas on free loopback ports, never 6379, node timeout 1000 ms)
    for the whole test session; a test must not kill its nodes (a failover test starts its own cluster).

    It fails, not skips, when the cluster cannot start: the test command installs redis.
    """
    why = cluster_available()
    if why is not None:
        pytest.fail(f"cannot start a private Redis Cluster: {why}")
    cluster = LocalCluster(tmp_path_factory.mktemp("cluster"), node_timeout_ms=1000)
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


# --- the real app under uvicorn in a background thread, for the server tests ------------------------------------

import asyncio  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from collections.abc import Coroutine  # noqa: E402


class AppServer:
    """``create_app(settings, store)`` served by uvicorn on a free loopback port, in a thread with its own loop.

    :meth:`call` runs a coroutine on the server's loop (the store's connections belong to it), e.g.
    ``server.call(server.hub.store.load_room(room_id))``.
    """

    def __init__(self, settings: Any, store: Any = None, *, ws_max_size: int = 65536) -> None:
        import uvicorn

        from cat_engine.server.app import create_app

        self.app = create_app(settings, store)
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self.port = int(self._sock.getsockname()[1])
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            ws="websockets-sansio",
            loop="asyncio",
            lifespan="on",
            log_level="warning",
            ws_max_size=ws_max_size,
        )
        self.server = uvicorn.Server(config)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=f"uvicorn-{self.port}", daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self.server.serve(sockets=[self._sock]))
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def hub(self) -> Any:
        return self.app.state.hub

    def start(self, timeout: float = 10.0) -> AppServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the app server stopped during start-up")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the app server did not start within {timeout} s")
            time.sleep(0.01)
        return self

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float = 10.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self.loop.close()
        self._sock.close()


@pytest.fixture(scope="session")
def app_server() -> Iterator[Callable[..., AppServer]]:
    """A factory ``app_server(settings, store=None)`` of started :class:`AppServer`; all stopped at the end."""
    started: list[AppServer] = []

    def start(settings: Any, store: Any = None, **kwargs: Any) -> AppServer:
        server = AppServer(settings, store, **kwargs).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(params=["memory", "redis"])
def new_store(request: pytest.FixtureRequest) -> Callable[[], Any]:
    """Makes a fresh store of each kind: in memory, and on the private Redis under a key prefix of its own."""
    from cat_engine.server.memory_store import MemoryStore
    from cat_engine.server.redis_store import RedisStore

    if request.param == "memory":
        return MemoryStore
    server: RedisServer = request.getfixturevalue("private_redis")
    return lambda: RedisStore(server.url, prefix=f"t{uuid4().hex[:8]}")


def server_on(request: pytest.FixtureRequest, app_server: Callable[..., AppServer], **settings: Any) -> AppServer:
    """An :class:`AppServer` on the store ``request.param`` names (``memory``, or ``redis``: the private Redis under
    a key prefix of its own), with the other ``settings``."""
    from cat_engine.server.settings import Settings

    if request.param == "redis":
        redis: RedisServer = request.getfixturevalue("private_redis")
        settings = {**settings, "redis_url": redis.url, "key_prefix": f"t{uuid4().hex[:8]}"}
    return app_server(Settings(**settings))


def run_bounded(factory: Callable[[], Coroutine[Any, Any, Any]], timeout: float = 60.0) -> Any:
    """Run one test coroutine with a hard bound on its time; its result."""

    async def bounded() -> Any:
        return await asyncio.wait_for(factory(), timeout)

    return asyncio.run(bounded())
