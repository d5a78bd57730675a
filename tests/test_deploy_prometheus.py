"""A live scrape with the shipped Prometheus config: what Prometheus sums over the server processes of a host is what
the candidates did.

One host as ``deploy/`` lays it out, on loopback: a private ``redis-server``; two server instances on ports of their
own, one of ``CAT_WORKERS=2`` processes (their metrics merged in each scrape) and one of a single process; Debian's
``prometheus`` with ``deploy/prometheus/prometheus.yml`` rendered for those two targets and a token file of the test
(load_tests/prometheus.py), scraping every second, the shipped rules loaded. Candidates of two rooms, spread over
both instances, sign in, answer, and leave; after a scrape that began later than each step, Prometheus' query API
must show exactly the sessions connected, then the answers the clients got replies to and the audit holds, in all
and per room. Every metric the dashboard and the rules read must be a series Prometheus scraped, and every rule
must evaluate without error.

Every wait is bounded; every process is stopped at the end (load_tests/procs.py kills them at exit otherwise).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from protocol_client import AdminApi, CandidateClient

from load_tests.procs import RedisServer, ServerProcess, wait_until
from load_tests.prometheus import JOB, PrometheusServer, metric_names, prometheus_binary, render_config

ROOT = Path(__file__).resolve().parents[1]
ADMIN_TOKEN = "deploy-prom-admin-" + secrets.token_hex(12)
METRICS_TOKEN = "deploy-prom-metrics-" + secrets.token_hex(12)
ROOMS = 2
PER_ROOM = 3
ANSWERS = 6  # per candidate: well within the demo battery's first subtest


@pytest.fixture
def host(tmp_path: Path) -> Iterator[tuple[list[ServerProcess], PrometheusServer]]:
    """Redis, two server instances (2 + 1 processes) and a Prometheus scraping both; all stopped at the end."""
    if prometheus_binary() is None:
        pytest.fail("prometheus not found: run ./scripts/ensure_prometheus.sh (Debian's prometheus package)")
    redis = RedisServer(tmp_path / "redis")
    servers: list[ServerProcess] = []
    prometheus: PrometheusServer | None = None
    try:
        redis.start()
        prefix = "deploy-prom-" + secrets.token_hex(4)
        for index, workers in enumerate((2, 1)):
            server = ServerProcess(
                tmp_path / f"server{index}",
                ADMIN_TOKEN,
                redis_url=redis.url,
                key_prefix=prefix,
                workers=workers,
                env={"CAT_METRICS_TOKEN": METRICS_TOKEN},
                index=index,
            )
            server.env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # each instance makes its own (server.py)
            servers.append(server)
            server.start(timeout=60)
        token_file = tmp_path / "cat_metrics_token"
        token_file.write_text(METRICS_TOKEN)
        token_file.chmod(0o600)
        config = render_config([f"127.0.0.1:{s.port}" for s in servers], token_file)
        prometheus = PrometheusServer(tmp_path / "prometheus", config)
        prometheus.start()
        prometheus.wait_targets_up(len(servers))
        yield servers, prometheus
    finally:
        if prometheus is not None:
            prometheus.stop()
        for server in servers:
            server.stop()
        redis.stop()


def scraped_after(prometheus: PrometheusServer, moment: float, timeout: float = 20.0) -> None:
    """Wait until every target's latest scrape began after ``moment`` (Unix seconds)."""

    def check() -> str | None:
        times = [float(r["value"][1]) for r in prometheus.query(f'timestamp(up{{job="{JOB}"}})')]
        ups = [float(r["value"][1]) for r in prometheus.query(f'up{{job="{JOB}"}}')]
        if len(times) < 2 or min(times) <= moment:
            return f"last scrapes at {times}, waiting for one after {moment}"
        if ups != [1.0, 1.0]:
            return f"up = {ups}"
        return None

    wait_until(check, timeout, "a scrape of every target", prometheus.proc, interval=0.2)


def by_label(prometheus: PrometheusServer, expr: str, label: str) -> dict[str, float]:
    return {r["metric"][label]: float(r["value"][1]) for r in prometheus.query(expr)}


def grafana_and_rule_metrics() -> set[str]:
    """The ``cat_`` metrics the shipped dashboard and rules read."""
    names: set[str] = set()
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "cat-engine-dashboard.json").read_text())
    for panel in dashboard["panels"]:
        for target in panel["targets"]:
            names |= metric_names(target["expr"])
    rules = (ROOT / "deploy" / "prometheus" / "cat-engine.rules.yml").read_text()
    for line in rules.splitlines():
        names |= {n for n in metric_names(line.split("expr:", 1)[-1]) if n.startswith("cat_")}
    return {n for n in names if n.startswith("cat_")}


async def day(servers: list[ServerProcess], prometheus: PrometheusServer) -> dict[str, Any]:
    """Two rooms sign in (checked in Prometheus), answer, and leave; returns what the clients and the audit saw."""
    admin = AdminApi(servers[0].base_url, ADMIN_TOKEN)
    rooms: dict[str, list[dict[str, Any]]] = {}
    for r in range(ROOMS):
        room = await admin.create_room(f"Ruang pantau {r}", "cact-demo")
        people = [(f"PR{r}{n:03d}", f"Peserta {r}-{n}") for n in range(PER_ROOM)]
        rooms[room["room_id"]] = await admin.register(room["room_id"], people)
    clients: list[tuple[str, CandidateClient]] = []
    for n, (room_id, candidate) in enumerate((r, c) for r, cs in rooms.items() for c in cs):
        server = servers[n % len(servers)]
        clients.append((room_id, CandidateClient(server.ws_url, candidate["token"])))
    # one wrong token: an error Prometheus must count once
    stranger = CandidateClient(servers[1].ws_url, "not-a-token-" + secrets.token_hex(8))
    refused = await stranger.connect()
    assert refused.code == "bad_token", refused.raw
    await stranger.disconnect()

    for _, client in clients:
        first = await client.connect()
        assert first.type == "item", first.raw
    connected_at = time.time()
    await asyncio.to_thread(scraped_after, prometheus, connected_at)
    live = {
        "sessions": prometheus.scalar("sum(cat_live_sessions)"),
        "candidates": prometheus.scalar('sum(cat_live_connections{kind="candidate"})'),
        "per_room": by_label(prometheus, "sum by (room) (cat_room_live_candidates)", "room"),
    }

    async def sit(client: CandidateClient) -> int:
        applied = 0
        for _ in range(ANSWERS):
            assert client.current is not None and client.current.type == "item"
            reply = await client.answer(int(client.current["seq"]), 0)
            assert reply.type in ("item", "finished"), reply.raw
            applied += 1
        await client.disconnect()
        return applied

    applied = await asyncio.gather(*(sit(client) for _, client in clients))
    per_room: dict[str, int] = dict.fromkeys(rooms, 0)
    for (room_id, _), count in zip(clients, applied, strict=True):
        per_room[room_id] += count
    audited = 0
    for candidates in rooms.values():
        for candidate in candidates:
            entries = await admin.audit(candidate["session_id"])
            audited += sum(1 for e in entries if e["kind"] == "answer" and "outcome" not in e)
    return {"rooms": rooms, "live": live, "applied": sum(applied), "per_room": per_room, "audited": audited}


def test_prometheus_sums_what_the_candidates_did(host: tuple[list[ServerProcess], PrometheusServer]) -> None:
    servers, prometheus = host
    seen = asyncio.run(asyncio.wait_for(day(servers, prometheus), 120))
    left_at = time.time()
    scraped_after(prometheus, left_at)

    candidates = ROOMS * PER_ROOM
    assert seen["live"]["sessions"] == candidates
    assert seen["live"]["candidates"] == candidates
    assert seen["live"]["per_room"] == dict.fromkeys(seen["rooms"], float(PER_ROOM))

    assert seen["applied"] == seen["audited"] == candidates * ANSWERS
    assert prometheus.scalar("sum(cat_answers_total)") == seen["applied"]
    assert prometheus.scalar("sum(cat_answer_seconds_count)") == seen["applied"]
    rooms = by_label(prometheus, "sum by (room) (cat_room_answers_total)", "room")
    assert rooms == {room: float(count) for room, count in seen["per_room"].items()}
    assert prometheus.scalar('sum(cat_errors_total{code="bad_token"})') == 1
    # every instance answered some of it: the sum is over both targets, the first of them two processes
    per_target = by_label(prometheus, "sum by (instance) (cat_answers_total)", "instance")
    assert len(per_target) == len(servers) and all(v > 0 for v in per_target.values()), per_target
    # and the candidates have left
    assert prometheus.scalar("sum(cat_live_sessions)") == 0
    assert prometheus.scalar('sum(cat_live_connections{kind="candidate"})') == 0

    # what the dashboard and the alerts read is there
    held = {r["metric"]["__name__"] for r in prometheus.query('group by (__name__) ({__name__=~"cat_.+"})')}
    wanted = grafana_and_rule_metrics()
    assert wanted and wanted <= held, wanted - held

    # the shipped rules are loaded and evaluate without error
    def evaluated() -> str | None:
        groups = prometheus.api("rules")["groups"]
        health = {rule["name"]: rule["health"] for group in groups for rule in group["rules"]}
        bad = {name: h for name, h in health.items() if h != "ok"}
        return None if health and not bad else f"rules {bad or 'not loaded'}"

    wait_until(evaluated, 20, "the shipped rules", prometheus.proc, interval=0.2)
    firing = prometheus.query('ALERTS{alertstate="firing", alertname=~"CatInternalErrors|CatStoreUnavailable"}')
    assert firing == [], firing
