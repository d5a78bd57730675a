"""cat_engine.session_integrity: the screening read from a session state, and the flags a sitting raises once.

Sittings are driven through the session machine (:mod:`cat_engine.session`) on a battery of two fixed-length
subtests of timed items, by simulated examinees (:class:`Examinee`: IRT answers at their ability, lognormal times at
their speed; some guess rapidly from some answer on, change speed in the second subtest, or answer at random). After
an answer that ends nothing the session looks only at rapid guessing, and only when that answer can raise it
(``answer_only``); the flags it raises must be exactly those of the whole screening after every step, computed here
by brute force (:func:`~cat_engine.session_integrity.screen_session` on every state). The helpers are shared with
tests/test_session.py and tests/test_verify.py.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import battery_dict, load, make_pool_dict, subtest_dict

from cat_engine import session as core
from cat_engine.battery import Battery, load_battery
from cat_engine.errors import TimeUp
from cat_engine.events import Answered, Event, Flagged, ItemPresented
from cat_engine.irt import category_probabilities
from cat_engine.options import current_order
from cat_engine.response_time import TimeParams, simulate_log_times
from cat_engine.session import Phase, SessionState, SubtestRecord
from cat_engine.session_integrity import (
    flagged_event,
    is_over,
    new_flags,
    screen_session,
    session_subtests,
)
from cat_engine.stopping import StopReason

DEMO = Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml"

# --- a timed battery and simulated examinees (shared) ----------------------------------------------------------------


def timed_pool(n_items: int, seed: int, pool_id: str) -> dict[str, Any]:
    """:func:`conftest.make_pool_dict` with response-time parameters on every item: median times of 20 to 60 s at
    average speed (beta = ln 20 .. ln 60), time discrimination 1.4 to 2.2 (the demo pools' range)."""
    data = make_pool_dict(n_items, seed=seed, pool_id=pool_id)
    rng = np.random.default_rng(seed + 1000)
    for item in data["items"]:
        beta = float(rng.uniform(math.log(20.0), math.log(60.0)))
        item["time"] = {"beta": round(beta, 4), "alpha": round(float(rng.uniform(1.4, 2.2)), 4)}
    return data


def timed_battery(directory: Any, n1: int = 12, n2: int = 12, limit_s: float = 3600, **integrity: Any) -> Battery:
    """Two fixed-length subtests (``n1``, ``n2`` items, no SE target) of timed 3PL pools; ``integrity``: settings of
    the battery's ``[integrity]`` table."""
    subs = [
        subtest_dict("s1", max_items=n1, min_items=n1, se_target=None, time_limit_s=limit_s),
        subtest_dict("s2", max_items=n2, min_items=n2, se_target=None, time_limit_s=limit_s),
    ]
    top = {"integrity": integrity} if integrity else {}
    pools = {"s1.json": timed_pool(60, 1, "t1"), "s2.json": timed_pool(60, 2, "t2")}
    return load(directory, battery_dict(subs, **top), pools=pools)


@dataclass(frozen=True)
class Examinee:
    """How a simulated examinee answers.

    ``theta``, ``tau``: ability and speed (van der Linden's lognormal model); ``rapid_from``: from this answer on
    (counted from 0 over the battery) every answer is a rapid guess, an option at random in 1.0 to 2.5 s (None:
    never); ``tau_change``, ``theta_change``: added to the speed and the ability in the second subtest (another
    person taking over); ``random``: every answer an option at random;
    ``known``: the share of items the examinee knows beforehand, answered with the key in 30 % of the model's time
    (cat_engine/simulate_aberrance.py's pre-knowledge: log-time 1.2 lower).
    """

    theta: float = 0.0
    tau: float = 0.0
    rapid_from: int | None = None
    tau_change: float = 0.0
    random: bool = False
    known: float = 0.0
    theta_change: float = 0.0


@dataclass(frozen=True)
class Step:
    """One transition of a sitting: the state before, the events, the state after."""

    before: SessionState
    events: list[Event]
    after: SessionState


def answer_of(
    battery: Battery, state: SessionState, who: Examinee, n: int, rng: np.random.Generator
) -> tuple[int, int]:
    """The display position chosen and the milliseconds taken for the item presented in ``state``, the ``n``-th
    answer of the battery."""
    sub = battery.subtests[state.subtest_index]
    item = state.item_index
    order = current_order(battery, state)
    rapid = who.rapid_from is not None and n >= who.rapid_from
    known = not rapid and who.known > 0 and float(rng.random()) < who.known
    if known:
        top = int(sub.pool.params.n_categories[item]) - 1
        position = order.index(int(np.flatnonzero(sub.pool.scoring[item] == top)[0]))
    elif rapid or who.random:
        position = int(rng.integers(0, len(order)))
    else:
        theta = who.theta + (who.theta_change if state.subtest_index > 0 else 0.0)
        probs = category_probabilities(theta, sub.pool.params, [item])[0]
        category = int(rng.choice(len(probs), p=probs / probs.sum()))
        option = int(np.flatnonzero(sub.pool.scoring[item] == category)[0])
        position = order.index(option)
    if rapid:
        return position, int(rng.integers(1000, 2500))
    tau = who.tau + (who.tau_change if state.subtest_index > 0 else 0.0)
    params = TimeParams(sub.pool.time_beta[[item]], sub.pool.time_alpha[[item]])
    log_t = float(simulate_log_times(params, tau, rng)[0]) - (1.2 if known else 0.0)
    return position, round(1000 * math.exp(log_t))


def sit(battery: Battery, seed: int, who: Examinee, rng: np.random.Generator) -> list[Step]:
    """A whole sitting through the session machine: connect, the welcome, each intro started at once, every item
    answered as ``who`` does (an answer after the subtest's time ran out ends it instead: ``tick``); every
    transition."""
    steps: list[Step] = []

    def apply(before: SessionState, transition: tuple[SessionState, list[Event]]) -> SessionState:
        after, events = transition
        steps.append(Step(before, events, after))
        return after

    now = 0
    s = core.new_session(battery, seed)
    s = apply(s, core.connect(battery, s, now))
    s = apply(s, core.start(battery, s, now))
    n = 0
    while s.phase is not Phase.FINISHED:
        if s.phase is Phase.INTRO:
            s = apply(s, core.start(battery, s, now))
            continue
        position, took = answer_of(battery, s, who, n, rng)
        now += took
        try:
            s = apply(s, core.answer(battery, s, s.seq, position, now))
        except TimeUp:
            s = apply(s, core.tick(battery, s, now))
        n += 1
    return steps


def flags_of(steps: list[Step]) -> list[tuple[int, Flagged]]:
    """(step index, event) of every flag raised in a sitting."""
    return [(k, e) for k, step in enumerate(steps) for e in step.events if isinstance(e, Flagged)]


# --- the screening of a state ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def battery(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    return timed_battery(tmp_path_factory.mktemp("timed"))


def test_session_subtests_read_the_state(battery: Battery) -> None:
    done = SubtestRecord((0, 1, 2), (0, 3, 2), (4000, 5000, 6000), 0.4, 0.5, StopReason.MAX_ITEMS, 15000)
    state = SessionState(
        battery_id=battery.id,
        battery_version=battery.version,
        seed=1,
        phase=Phase.ACTIVE,
        subtest_index=1,
        item_index=7,
        items=(5, 6),
        responses=(1, 0),
        response_ms=(7000, 8000),
        theta=0.2,
        se=0.8,
        done=(done,),
    )
    first, current = session_subtests(battery, state)
    pool1, pool2 = battery.subtests[0].pool, battery.subtests[1].pool
    # make_pool_dict's keys are i % 4: item 0 key 0, item 1 key 1, item 2 key 2 (right, wrong, right)
    assert first.categories == (1, 0, 1) and first.complete and first.pool is pool1
    assert (first.theta, first.se, first.response_ms) == (0.4, 0.5, (4000, 5000, 6000))
    assert current.categories == (1, 0) and not current.complete and current.pool is pool2  # keys 1 and 2
    assert (current.theta, current.items, current.response_ms) == (0.2, (5, 6), (7000, 8000))
    for phase in (Phase.PAUSED, Phase.INTRO, Phase.TERMINATED):
        expected = 2 if phase is Phase.PAUSED else 1  # a subtest under way only while active or paused
        assert len(session_subtests(battery, replace(state, phase=phase))) == expected


def test_the_final_look_comes_once_the_sitting_is_over(battery: Battery) -> None:
    """Pre-knowledge and misfit run at the final look only: when the sitting has finished or been terminated."""
    steps = sit(battery, 3, Examinee(theta=0.3), np.random.default_rng(3))
    over = steps[-1].after
    assert over.phase is Phase.FINISHED and is_over(over)
    names = {s.name for s in screen_session(battery, over).statistics}
    assert {"rapid_guessing", "preknowledge", "lz_star", "speed_change"} <= names
    before_end = steps[-2].after  # after the last-but-one answer: still in the second subtest
    assert not is_over(before_end)
    assert not {"preknowledge", "lz_star"} & {s.name for s in screen_session(battery, before_end).statistics}
    terminated, _ = core.terminate(battery, before_end, "joki", 10**7)
    assert "lz_star" in {s.name for s in screen_session(battery, terminated).statistics}


def test_flagged_event_carries_the_flags_statistic_and_evidence(battery: Battery) -> None:
    steps = sit(battery, 4, Examinee(rapid_from=0), np.random.default_rng(4))
    flag = next(f for f in screen_session(battery, steps[-1].after).flags if f.kind == "rapid")
    e = flagged_event(flag, 123)
    assert (e.at_ms, e.kind, e.name, e.subtest_index) == (123, "rapid", "rapid_guessing", None)
    assert (e.value, e.p_value, e.threshold, e.n) == (
        flag.statistic.value,
        flag.statistic.p_value,
        flag.statistic.threshold,
        flag.statistic.n,
    )
    assert e.responses == flag.responses and len(e.responses) == int(e.value)


# --- the live flags against the whole screening after every step -------------------------------------------------


EXAMINEES = [
    Examinee(theta=0.5, tau=0.1),
    Examinee(theta=-0.5, tau=-0.2, rapid_from=5),
    Examinee(theta=1.0, rapid_from=15),
    Examinee(theta=0.0, rapid_from=2),
    Examinee(theta=0.0, tau_change=1.2),
    Examinee(theta=0.0, tau=0.3, tau_change=-1.0),
    Examinee(random=True),
    Examinee(theta=2.0, random=True, tau_change=0.8),
    Examinee(theta=-0.5, known=0.4),
    Examinee(theta=-1.5, theta_change=3.0),
]


@pytest.fixture(scope="module")
def correlated(tmp_path_factory: pytest.TempPathFactory) -> Battery:
    """The same battery with the ability-change test on (one ability for both subtests, as the examinees have)."""
    return timed_battery(tmp_path_factory.mktemp("correlated"), ability_correlation=1.0)


@pytest.mark.parametrize("which", ["battery", "correlated"])
def test_live_flags_are_the_first_flags_of_the_whole_screening_after_every_step(
    which: str, request: pytest.FixtureRequest
) -> None:
    """Brute force: after every transition, the whole screening of the state; each kind must be raised live at the
    first step where that screening flags it, once, with the statistic and evidence of that screening."""
    battery: Battery = request.getfixturevalue(which)
    rng = np.random.default_rng(20261207)
    raised_where: set[tuple[str, bool]] = set()
    for k in range(3 * len(EXAMINEES)):
        who = EXAMINEES[k % len(EXAMINEES)]
        steps = sit(battery, 100 + k, who, rng)
        expected: list[tuple[int, Flagged]] = []
        seen: set[str] = set()
        for index, step in enumerate(steps):
            at = step.events[-1].at_ms
            for flag in screen_session(battery, step.after).flags:
                if flag.kind not in seen:
                    seen.add(flag.kind)
                    expected.append((index, flagged_event(flag, at)))
        live = flags_of(steps)
        assert live == expected, (k, who)
        assert steps[-1].after.flags == tuple(e.kind for _, e in live)
        for index, e in live:
            ended = any(not isinstance(ev, Answered | ItemPresented | Flagged) for ev in steps[index].events)
            raised_where.add((e.kind, ended))
    # the sittings raised flags both where only the rapid look runs and at subtest ends (else this proves less)
    assert ("rapid", False) in raised_where
    at_ends = {"speed_change", "preknowledge"} | ({"ability_change"} if which == "correlated" else set())
    assert {kind for kind, ended in raised_where if ended} >= at_ends


def test_new_flags_raises_a_kind_not_raised_yet_only(battery: Battery) -> None:
    steps = sit(battery, 7, Examinee(rapid_from=0), np.random.default_rng(7))
    over = steps[-1].after
    last = next(e for e in steps[-1].events if isinstance(e, Answered))  # a rapid guess that ended the battery
    kinds = [f.kind for f in screen_session(battery, over).flags]
    assert "rapid" in kinds

    def raised(flags: tuple[str, ...], **step: Any) -> list[str]:
        return [e.kind for e in new_flags(battery, replace(over, flags=flags), 5, **step)]

    assert raised((), answered=last, ended=True) == kinds
    assert raised(tuple(kinds), answered=last, ended=True) == []
    assert raised(("rapid",), answered=last, ended=True) == kinds[1:]
    # the battery ending without an answer (time up, terminated) cannot raise rapid guessing: the count is as it was
    assert raised((), answered=None, ended=True) == [k for k in kinds if k != "rapid"]
    # an answer that ends nothing can raise rapid guessing only
    assert raised((), answered=last, ended=False) == ["rapid"]


def test_the_end_of_a_sitting_is_screened_once_for_its_flags_and_its_result(
    battery: Battery, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The step that ends a sitting screens it (new_flags), and the result record screens it again right after:
    the second look is the first one kept, equal to a fresh whole screening; another sitting is screened afresh."""
    import cat_engine.session_integrity as integrity
    from cat_engine.aberrance import screen

    steps = sit(battery, 7, Examinee(rapid_from=0), np.random.default_rng(7))
    over = steps[-1].after
    fresh = screen(session_subtests(battery, over), battery.integrity, final=True)
    other = sit(battery, 8, Examinee(), np.random.default_rng(8))[-1].after
    looks: list[int] = []

    def counted(*args: Any, **kwargs: Any) -> Any:
        looks.append(1)
        return screen(*args, **kwargs)

    monkeypatch.setattr(integrity, "screen", counted)
    monkeypatch.setattr(integrity, "_LAST_FINAL", integrity._LastFinalLook())  # (the sitting's own end is kept)
    last = next(e for e in steps[-1].events if isinstance(e, Answered))
    before = replace(over, flags=())
    raised = new_flags(battery, before, 5, answered=last, ended=True)
    kept = screen_session(battery, replace(before, flags=tuple(e.kind for e in raised)))
    assert len(looks) == 1 and kept == fresh and [e.kind for e in raised] == [f.kind for f in fresh.flags]
    assert screen_session(battery, other) == screen(session_subtests(battery, other), battery.integrity, final=True)
    assert len(looks) == 2


def test_the_screening_costs_little_per_answer(capsys: pytest.CaptureFixture[str]) -> None:
    """A micro-benchmark, printed and not asserted (the machine is shared): the session machine's answer with the
    screening and with it switched off, on the states of demo-battery sittings of examinees who follow the models
    (abilities N(0, 1), speeds N(0, 0.3^2)), at their own pace and at a tenth of it (the load tests' peak, where every
    answer is a rapid guess). The two must give the same states but the flags."""
    battery = load_battery(DEMO)
    rng = np.random.default_rng(11)
    for pace in (0.0, math.log(10.0)):
        answers: list[tuple[SessionState, int, int]] = []
        for k in range(12):
            who = Examinee(theta=float(rng.standard_normal()), tau=0.3 * float(rng.standard_normal()) + pace)
            for step in sit(battery, 200 + k, who, rng):
                e = next((e for e in step.events if isinstance(e, Answered)), None)
                if e is not None:
                    answers.append((step.before, e.shown, e.at_ms))

        def run(answers: list[tuple[SessionState, int, int]]) -> tuple[float, list[SessionState]]:
            started = time.perf_counter()
            out = [core.answer(battery, s, s.seq, shown, at)[0] for s, shown, at in answers]
            return (time.perf_counter() - started) / len(answers), out

        on, off = [], []
        for _ in range(5):  # interleaved, the fastest of each: the least disturbed by other work
            on.append(run(answers))
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(core, "new_flags", lambda *a, **k: [])
                off.append(run(answers))
        screened, unscreened = on[0][1], off[0][1]
        assert [replace(s, flags=()) for s in screened] == [replace(s, flags=()) for s in unscreened]
        with capsys.disabled():
            fastest_on, fastest_off = min(r[0] for r in on), min(r[0] for r in off)
            print(
                f"\ndemo battery, pace x{math.exp(pace):.0f}: answer with the integrity screening "
                f"{fastest_on * 1e6:.0f} us, without {fastest_off * 1e6:.0f} us ({len(answers)} answers)"
            )
