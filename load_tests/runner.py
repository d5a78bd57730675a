"""One run of a scenario, from start to report.

1. The deployment (:mod:`.deployment`): servers started here (on a private Redis, a private Redis Cluster or the
   memory store), or a running one on loopback.
2. The cat-sim reference for the same battery and the same true thetas (it also tells how many answers to
   expect, which places the storm and the restarts).
3. Redis memory before; rooms (created closed, as on a test day) and rosters through the admin API.
4. The first floor run (:func:`_floor_run`): the same examinees, arrival rate and pacing against the echo floor,
   each answering as many items as in the cat-sim reference.
5. Each room opened by its proctor (``open_room``, :meth:`.proctor.Proctor.open_room`); then the load phase
   (:mod:`.phase`): proctors first, then examinees arriving at a fixed rate (each through the welcome and the
   intro of every subtest, :mod:`.candidate`), the scenario's disruption (:mod:`.disruptions`), CPU of the server,
   Redis and the generator.
6. A failover's killed node back (:class:`.disruptions.Failover`); Redis memory after, and ``MEMORY USAGE`` of the
   keys of a sample of finished sessions (:func:`.redisdata.session_memory`); the exactly-once check, profiles and
   results rows from the admin API (:mod:`.verify`); with operator groups (``--operator-groups``: seats paced by
   one simulated person, :mod:`.operator`), each room's answer timing statistics from the sessions' audits.
7. The second floor run, each examinee answering as many items as it did in the load phase (no disruption). The
   floor's CPU per answer is taken over both floor runs, one before and one after the load phase, so a drift of
   the shared machine's speed during the run (other tenants, clock changes) moves the floor as it moves the server.
8. The report (:mod:`.report`) and its plots (:mod:`.plots`).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import redis

from cat_engine.battery import load_battery

from .candidate import Candidate, Pacing
from .deployment import Deployment, Sitter, setup_rooms
from .disruptions import Failover, network_drops, restart_controller, storm_controller, storm_summary
from .examinee import ItemBank, RandomResponder, SimulatedExaminee, ThinkTime
from .floor import KEY_PATTERN as FLOOR_KEYS
from .messages import message
from .operator import GROUP_SIZE, Operator, OperatorPacing, operator_report, plant_groups
from .phase import Controller, PhaseResult, progress_bar, run_async, run_phase
from .procs import REPO_ROOT, CpuMeter, FloorProcess, RedisServer, raise_open_files_limit
from .proctor import Proctor
from .recorder import Recorder
from .redisdata import RedisData, session_memory
from .report import Measurements, build_report, write_report
from .scenarios import Scenario
from .target import ws_url
from .verify import accuracy, reference, rmse_comparison, verify_run

__all__ = ["DEFAULT_BATTERY", "RunOptions", "run"]

DEFAULT_BATTERY = REPO_ROOT / "item_pools" / "cact_demo.toml"


@dataclass
class RunOptions:
    """How to run a scenario (the scenario itself carries sizes, pacing, deployment and disruptions)."""

    scenario: Scenario
    report_dir: Path
    seed: int = 1
    battery: Path = DEFAULT_BATTERY
    target: str | None = None
    admin_token: str | None = None
    redis_url: str | None = None
    server_pids: tuple[int, ...] = ()
    key_prefix: str | None = None
    floor: bool = True
    plots: bool = True
    progress: bool = True
    lang: str = "id"
    reply_timeout: float = 30.0


def _say(opts: RunOptions, key: str, **values: object) -> None:
    if opts.progress:
        print(message(key, opts.lang, **values), file=sys.stderr, flush=True)


def _rotated(urls: list[str], n: int) -> list[str]:
    """``urls`` starting from the ``n``-th: examinees and proctors spread over the instances."""
    return [urls[(n + k) % len(urls)] for k in range(len(urls))]


def run(opts: RunOptions) -> dict[str, Any]:
    """Run the scenario of ``opts``; write ``report.json``, ``summary.txt`` and the plots; return the report."""
    raise_open_files_limit()
    workdir = opts.report_dir / "work"
    workdir.mkdir(parents=True, exist_ok=True)
    dep = Deployment(
        opts.scenario,
        workdir,
        opts.battery,
        target=opts.target,
        admin_token=opts.admin_token,
        redis_url=opts.redis_url,
        server_pids=opts.server_pids,
        key_prefix=opts.key_prefix,
    )
    try:
        _say(opts, "starting", what="server")
        dep.start()
        return _run(opts, dep, workdir)
    finally:
        dep.close()


def _run(opts: RunOptions, dep: Deployment, workdir: Path) -> dict[str, Any]:
    sc = opts.scenario
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    load0 = os.getloadavg()[0]
    battery = load_battery(opts.battery)
    bank = ItemBank(battery)
    thetas = np.random.default_rng(opts.seed).standard_normal(sc.examinees)
    ref, ref_answers = reference(battery, thetas, opts.seed)
    expected = max(sum(row["mean_length"] for row in ref.values()) * sc.examinees, 1.0)

    memory_before = dep.redis_memory()
    rooms, sitters = setup_rooms(dep.admin, battery.id, thetas, sc.rooms)
    pacing = Pacing(sc.mode, ThinkTime.parse(sc.think), sc.time_scale)
    # operator groups: each group's seats are paced by one simulated person (load_tests/operator.py)
    room_seats = [[s.index for s in sitters if s.room == r] for r in range(len(rooms))]
    groups = plant_groups(room_seats, sc.operator_groups, opts.seed)
    op_think = ThinkTime.parse(sc.operator_think) if sc.operator_think else pacing.think.scaled(1 / GROUP_SIZE)
    paced: dict[int, Pacing] = {}
    for g, seats in enumerate(groups):
        operator = Operator(op_think, sc.time_scale, np.random.default_rng([opts.seed, 5, g]))
        paced.update({i: OperatorPacing.of(pacing, operator) for i in seats})
    n_sub = len(battery.subtests)
    floor_before = (
        _floor_run(opts, dep, workdir, sitters, ref_answers, None, pacing, n_sub, "before") if opts.floor else None
    )
    candidate_urls = [ws_url(b, "/ws/candidate") for b in dep.base_urls]
    drops = network_drops(sc.examinees, sc.drop_share, opts.seed)

    def examinee(s: Sitter, rec: Recorder) -> Candidate:
        return Candidate(
            s.token,
            _rotated(candidate_urls, s.index),
            SimulatedExaminee(s.theta, bank, np.random.default_rng([opts.seed, 1, s.index])),
            paced.get(s.index, pacing),
            np.random.default_rng([opts.seed, 2, s.index]),
            rec,
            time.monotonic() + sc.max_seconds,
            reply_timeout=opts.reply_timeout,
            drop_after=drops.get(s.index),
            device=f"lt-seat-{s.index:06d}",
        )

    proctor_urls = [ws_url(b, "/ws/proctor") for b in dep.base_urls]
    proctors: list[Proctor] = []
    room_of_proctor: list[int] = []
    openers: list[Proctor] = []  # who opens each room: its first proctor, or one that only opens it
    for r, room in enumerate(rooms):
        for k in range(sc.proctors_per_room):
            urls = _rotated(proctor_urls, r + k)
            proctors.append(Proctor(room.proctor_token, urls, Recorder(), time.monotonic() + sc.max_seconds + 60))
            room_of_proctor.append(r)
        if sc.proctors_per_room:
            openers.append(proctors[-sc.proctors_per_room])
        else:
            openers.append(Proctor(room.proctor_token, _rotated(proctor_urls, r), Recorder(), time.monotonic()))

    storm: dict[str, Any] = {}
    controller: Controller | None = None
    failover: Failover | None = None
    if sc.storm_at is not None:
        controller = storm_controller(sc, expected, storm)
    elif sc.restarts:
        controller = restart_controller(sc, dep, expected)
    elif sc.failover_at is not None:
        failover = Failover.of(sc, dep, rooms, expected)
        controller = failover.controller

    server_meter = CpuMeter(dep.server_pids) if dep.server_pids() else None
    redis_meter = CpuMeter(dep.redis_pids) if dep.redis_pids() else None
    _say(opts, "opening_rooms", n=len(openers))
    run_async(_open_rooms(openers))  # the proctors open their rooms before the first candidate comes in
    with progress_bar(
        opts.progress, sc.examinees, message("phase_server", opts.lang, scenario=sc.name), opts.lang
    ) as bar:
        load = run_async(
            run_phase(
                sitters,
                examinee,
                arrival_rate=sc.arrival_rate,
                max_seconds=sc.max_seconds,
                server_meter=server_meter,
                redis_meter=redis_meter,
                proctors=proctors,
                room_of_proctor=room_of_proctor,
                controller=controller,
                bar=bar,
                lang=opts.lang,
            )
        )
    if failover is not None:
        failover.finish()  # the killed node back (as a replica) before anything is read from the cluster
    memory_after = dep.redis_memory()
    finished = [
        (rooms[s.room].room_id, s.session_id, s.token)
        for s, c in zip(sitters, load.clients, strict=False)
        if c.outcome == "finished"
    ]
    per_session = _session_memory(dep, finished, {room.room_id: len(room.session_ids) for room in rooms})

    _say(opts, "verifying", n=len(sitters))
    checked = verify_run(dep.admin, sitters, load.clients, rooms, proctors, room_of_proctor, openers=openers)
    if checked.unreadable:
        load.rec.errors["client:verify_failed"] += checked.unreadable
    rmse_rows, worst = rmse_comparison(accuracy({s.session_id: s.theta for s in sitters}, checked.profiles), ref)
    operators: dict[str, Any] | None = None
    if groups:
        _say(opts, "operator_check", n=len(sitters))
        sessions = [room.session_ids for room in rooms]
        operators = operator_report(dep.admin, sessions, {s.index: s.session_id for s in sitters}, groups)

    floor: list[PhaseResult] = []
    if floor_before is not None:
        answered = [len(c.acked) for c in load.clients]
        after = _floor_run(opts, dep, workdir, sitters, answered, load.rec.mean_frame_bytes, pacing, n_sub)
        floor = [floor_before, after]
    m = Measurements(
        scenario=sc,
        settings={
            "seed": opts.seed,
            "battery": str(opts.battery),
            "target": opts.target or "own",
            "store": dep.store,
            "node_timeout_ms": sc.node_timeout_ms if dep.cluster is not None else None,
            "server_env": dict(sc.server_env) if opts.target is None else None,
            "rooms": len(rooms),
            "proctors_per_room": sc.proctors_per_room,
            "instances": len(dep.base_urls),
            "workers": sc.workers if opts.target is None else None,
            "mode": sc.mode,
            "think": str(pacing.think),
            "time_scale": sc.time_scale,
            "mean_think_s": round(pacing.mean_delay, 3),
            "arrival_rate": sc.arrival_rate,
            "drop_share": sc.drop_share,
            "storm_at": sc.storm_at,
            "restarts": list(sc.restarts),
            "failover_at": sc.failover_at,
            "max_seconds": sc.max_seconds,
            "expected_answers": round(expected),
            "operator_groups": sc.operator_groups,
            "operator_think": str(op_think) if groups else None,
        },
        started_at=started_at,
        machine={"cores": os.cpu_count(), "load0": round(load0, 2), "load1": round(os.getloadavg()[0], 2)},
        load=load,
        floor=floor,
        floor_redis=dep.redis_url is not None,
        answers=checked.answers,
        rmse_by_subtest=rmse_rows,
        rmse_max_deviation=worst,
        redis_memory=_memory(memory_before, memory_after, len(sitters), load.rec.answers),
        session_memory=per_session,
        failover=None if failover is None else failover.summary(load.clients),
        proctors=checked.proctors,
        storm=storm_summary(storm) if sc.storm_at is not None else None,
        results=checked.results,
    )
    report = build_report(m)
    if operators is not None:  # every planted group found as one operator group, and no other seat flagged
        report["operator"] = operators
        report["checks"] += [
            {"name": name, "value": value, "op": "==", "limit": limit, "passed": value == limit}
            for name, value, limit in (
                ("operator_detected", operators["detected"], operators["groups"]),
                ("operator_no_false_flag", operators["other_seats_flagged"], 0),
            )
        ]
    path, text = write_report(report, opts.report_dir, opts.lang)
    if opts.plots:
        from .plots import plot_run

        plot_run(load, floor, opts.report_dir, opts.lang)
    print(text, end="")
    _say(opts, "written", path=path)
    return report


async def _open_rooms(openers: list[Proctor]) -> None:
    """Every room opened by its proctor (``open_room``), at most 20 at a time."""
    gate = asyncio.Semaphore(20)

    async def one(proctor: Proctor) -> None:
        async with gate:
            await proctor.open_room()

    await asyncio.gather(*(one(p) for p in openers))


def _session_memory(
    dep: Deployment, finished: list[tuple[str, str, str]], room_sizes: dict[str, int]
) -> dict[str, Any] | None:
    """``MEMORY USAGE`` of up to 50 finished sessions spread over the rooms (:func:`.redisdata.session_memory`);
    None without Redis, without a finished session, or when Redis does not answer."""
    data = dep.redis_data()
    if data is None or not finished:
        return None
    try:
        with data:
            return session_memory(data, dep.key_prefix, finished, room_sizes)
    except (redis.RedisError, OSError) as err:
        print(f"MEMORY USAGE: {err!r}", file=sys.stderr)
        return None


def _memory(before: int | None, after: int | None, sessions: int, answers: int) -> dict[str, Any] | None:
    """Redis ``used_memory`` before and after the load phase, per session and per answer."""
    if before is None or after is None:
        return None
    delta = after - before
    return {
        "before_bytes": before,
        "after_bytes": after,
        "delta_bytes": delta,
        "sessions": sessions,
        "per_session_bytes": round(delta / sessions) if sessions else None,
        "per_answer_bytes": round(delta / answers) if answers else None,
    }


def _floor_run(
    opts: RunOptions,
    dep: Deployment,
    workdir: Path,
    sitters: list[Sitter],
    answers: list[int],
    frame_bytes: int | None,
    pacing: Pacing,
    n_subtests: int,
    when: str = "after",
) -> PhaseResult:
    """The same examinees, arrival rate and pacing against the echo floor, the ``n``-th answering ``answers[n]``
    items, with item frames of ``frame_bytes`` (the server's mean; before the load phase has measured it, the
    floor's default of 800 bytes, about the demo battery's).

    The floor gets as many processes as the server had, and a Redis round trip per answer when the server ran on
    Redis: the run's own private Redis or Redis Cluster (each key to the master of its slot), or, against a target,
    a private Redis started for the floor (a target's Redis is not written to).
    """
    sc = opts.scenario
    which = message(f"floor_{when}", opts.lang)
    _say(opts, "starting", what=which)
    own_redis: RedisServer | None = None
    redis_url: str | None = None
    redis_pids: Callable[[], list[int]] = dep.redis_pids
    if opts.target is None:
        redis_url = dep.redis_url
    elif dep.redis_url is not None:
        own = own_redis = RedisServer(workdir / "floor")
        own.start()
        redis_url = own.url
        redis_pids = lambda: [] if own.pid is None else [own.pid]  # noqa: E731
    # the floor's conversation has the server's shape: an intro (and its start) every mean subtest length
    subtest_items = max(round(sum(answers) / max(len(answers), 1) / max(n_subtests, 1)), 1)
    floor = FloorProcess(
        workdir, redis_url=redis_url, workers=dep.workers, frame_bytes=frame_bytes or 800, subtest_items=subtest_items
    )
    try:
        floor.start()
        url = ws_url(floor.base_url, "/ws/candidate")

        def client(s: Sitter, rec: Recorder) -> Candidate:
            return Candidate(
                "floor",
                [url],
                RandomResponder(np.random.default_rng([opts.seed, 3, s.index])),
                pacing,
                np.random.default_rng([opts.seed, 2, s.index]),
                rec,
                time.monotonic() + sc.max_seconds,
                reply_timeout=opts.reply_timeout,
                max_answers=max(answers[s.index] if s.index < len(answers) else 1, 1),
            )

        floor_meter = CpuMeter(lambda: [] if floor.pid is None else [floor.pid])
        redis_meter = None if redis_url is None else CpuMeter(redis_pids)
        desc = message("phase_floor", opts.lang, scenario=sc.name, which=which)
        with progress_bar(opts.progress, sc.examinees, desc, opts.lang) as bar:
            return run_async(
                run_phase(
                    sitters,
                    client,
                    arrival_rate=sc.arrival_rate,
                    max_seconds=sc.max_seconds,
                    server_meter=floor_meter,
                    redis_meter=redis_meter,
                    bar=bar,
                    lang=opts.lang,
                )
            )
    finally:
        floor.stop()
        if own_redis is not None:
            own_redis.stop()
        elif redis_url is not None:  # the run's own Redis: its memory figures count the server's keys only
            with RedisData(redis_url) as data:
                data.delete(FLOOR_KEYS)
