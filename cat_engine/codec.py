"""The session state as compact bytes: what the store keeps of a sitting, and how it comes back.

:func:`encode` writes orjson of a positional list led by a layout version; :func:`decode` reads every layout it
has ever written and checks that the state fits the battery it is decoded for, so a state can never continue on a
battery or pool version other than the one it began with.

Layouts
-------
1. The first release. It did not hold theta/SE, the pause reason or when the candidate was last seen (the server
   kept them beside the state); decoding recomputes theta and SE from the stored answers with the subtest's own
   estimator and leaves the pause reason empty and ``last_seen_ms`` None.
2. Layout 1 plus ``theta``, ``se``, ``pause_reason`` and ``last_seen_ms``.
3. Layout 2 plus ``intro_at_ms`` (subtest intros: phase ``intro``), ``device``, ``seat_request``, ``notes``
   (``[[at_ms, text], ...]``) and ``seat_request_at_ms``.
4. Layout 3 plus ``flags`` (the integrity flag kinds raised, in order); an older state decodes with none.
5. Layout 4 plus ``pretest_item``, ``pretest_items``, ``pretest_responses``, ``pretest_response_ms`` and
   ``pretest_key`` (``[design seed, examinee index]`` or null) (pretest items in live sittings,
   :mod:`cat_engine.session_pretest`); an older state decodes with none given and no key.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson

from .battery import Battery
from .errors import CatError, StateCorrupted
from .estimation import estimate
from .pool import Pool
from .session import Note, Phase, SessionState, SubtestRecord
from .stopping import StopReason

__all__ = ["decode", "encode"]

_LAYOUT = 5  # bump when the layout of encode() changes, and keep decoding the old ones
_V1_FIELDS = 19
_FIELDS = {1: _V1_FIELDS, 2: _V1_FIELDS + 4, 3: _V1_FIELDS + 9, 4: _V1_FIELDS + 10, 5: _V1_FIELDS + 15}


def encode(state: SessionState) -> bytes:
    """Compact bytes of a state (orjson of a positional list; a finished 40-item subtest takes well under 1 KB)."""
    done = [
        [list(d.items), list(d.responses), list(d.response_ms), d.theta, d.se, int(d.stop_reason), d.time_used_ms]
        for d in state.done
    ]
    return orjson.dumps(
        [
            _LAYOUT,
            state.battery_id,
            state.battery_version,
            state.seed,
            list(state.pools),
            state.phase.value,
            state.connected,
            state.subtest_index,
            state.seq,
            state.item_index,
            list(state.items),
            list(state.responses),
            list(state.response_ms),
            state.used_ms,
            state.running_since_ms,
            state.extra_ms,
            state.item_shown_at_ms,
            done,
            state.terminated_reason,
            state.theta,
            state.se,
            state.pause_reason,
            state.last_seen_ms,
            state.intro_at_ms,
            state.device,
            state.seat_request,
            [[n.at_ms, n.text] for n in state.notes],
            state.seat_request_at_ms,
            list(state.flags),
            state.pretest_item,
            list(state.pretest_items),
            list(state.pretest_responses),
            list(state.pretest_response_ms),
            None if state.pretest_key is None else list(state.pretest_key),
        ]
    )


def decode(battery: Battery, data: bytes) -> SessionState:
    """Restore a state from :func:`encode` bytes (any layout), checking it fits ``battery``.

    Raises
    ------
    StateCorrupted
        When the bytes are not a state of this battery (wrong battery or version, bad indices, bad shape).
    """
    try:
        raw = orjson.loads(data)
        if not isinstance(raw, list) or not raw or raw[0] not in _FIELDS:
            layout = raw[0] if isinstance(raw, list) and raw else raw
            raise StateCorrupted(f"unknown state encoding version {layout!r}")
        state = _from_fields(raw)
    except CatError:
        raise
    except (ValueError, TypeError, IndexError, KeyError, orjson.JSONDecodeError) as exc:
        raise StateCorrupted(f"stored session state does not decode: {exc}") from exc
    _check_fits(battery, state)
    if raw[0] == 1:
        state = _with_recomputed_estimate(battery, state)
    return state


def _from_fields(raw: list[Any]) -> SessionState:
    if len(raw) != _FIELDS[raw[0]]:
        raise StateCorrupted(f"a layout {raw[0]} state has {len(raw)} fields")
    (
        _,
        battery_id,
        battery_version,
        seed,
        pools,
        phase,
        connected,
        subtest_index,
        seq,
        item_index,
        items,
        responses,
        response_ms,
        used_ms,
        running_since,
        extra_ms,
        shown_at,
        done_raw,
        terminated_reason,
    ) = raw[:_V1_FIELDS]
    theta, se, pause_reason, last_seen = raw[_V1_FIELDS : _V1_FIELDS + 4] if raw[0] >= 2 else (None, None, "", None)
    late = raw[_V1_FIELDS + 4 : _V1_FIELDS + 9] if raw[0] >= 3 else (None, None, None, [], None)
    intro_at, device, seat_request, notes, seat_request_at = late
    flags = raw[_V1_FIELDS + 9] if raw[0] >= 4 else []
    if not isinstance(flags, list) or not all(isinstance(k, str) for k in flags) or len(set(flags)) != len(flags):
        raise StateCorrupted("the flags raised must be distinct kinds")
    pretest = raw[_V1_FIELDS + 10 : _V1_FIELDS + 15] if raw[0] >= 5 else (-1, [], [], [], None)
    pretest_item, pretest_items, pretest_responses, pretest_response_ms, key = pretest
    if key is not None and not (
        isinstance(key, list) and len(key) == 2 and all(isinstance(k, int) and not isinstance(k, bool) for k in key)
    ):
        raise StateCorrupted("the pretest key must be null or two integers")
    done = tuple(
        SubtestRecord(tuple(d[0]), tuple(d[1]), tuple(d[2]), float(d[3]), float(d[4]), StopReason(d[5]), int(d[6]))
        for d in done_raw
    )
    return SessionState(
        battery_id=battery_id,
        battery_version=battery_version,
        seed=int(seed),
        pools=tuple(str(p) for p in pools),
        phase=Phase(phase),
        connected=bool(connected),
        subtest_index=int(subtest_index),
        seq=int(seq),
        item_index=int(item_index),
        items=tuple(int(i) for i in items),
        responses=tuple(int(r) for r in responses),
        response_ms=tuple(int(t) for t in response_ms),
        theta=None if theta is None else float(theta),
        se=None if se is None else float(se),
        used_ms=int(used_ms),
        running_since_ms=None if running_since is None else int(running_since),
        extra_ms=int(extra_ms),
        item_shown_at_ms=int(shown_at),
        done=done,
        pause_reason=str(pause_reason),
        terminated_reason=str(terminated_reason),
        last_seen_ms=None if last_seen is None else int(last_seen),
        intro_at_ms=None if intro_at is None else int(intro_at),
        device=None if device is None else str(device),
        seat_request=None if seat_request is None else str(seat_request),
        notes=tuple(Note(int(at), str(text)) for at, text in notes),
        seat_request_at_ms=None if seat_request_at is None else int(seat_request_at),
        flags=tuple(flags),
        pretest_item=int(pretest_item),
        pretest_items=tuple(int(i) for i in pretest_items),
        pretest_responses=tuple(int(r) for r in pretest_responses),
        pretest_response_ms=tuple(int(t) for t in pretest_response_ms),
        pretest_key=None if key is None else (key[0], key[1]),
    )


def _with_recomputed_estimate(battery: Battery, state: SessionState) -> SessionState:
    """A layout-1 state's theta and SE: the estimate after the current subtest's last answer; once the sitting is
    over, the last subtest's final estimate (None when it had no answer)."""
    if state.phase in (Phase.FINISHED, Phase.TERMINATED):
        last = state.done[-1] if state.done else None
        return state if last is None or not last.items else replace(state, theta=last.theta, se=last.se)
    if not state.items:
        return state
    sub = battery.subtests[state.subtest_index]
    categories = sub.pool.categories(state.items, state.responses)
    theta, se = estimate(sub.estimator, sub.pool.params, list(state.items), categories, sub.log_table)
    return replace(state, theta=theta, se=se)


def _check_fits(battery: Battery, state: SessionState) -> None:
    if state.seed < 0:
        raise StateCorrupted("the seed must be non-negative")
    if state.pretest_key is not None and min(state.pretest_key) < 0:
        raise StateCorrupted("the pretest key must be non-negative")
    if (state.battery_id, state.battery_version) != (battery.id, battery.version):
        raise StateCorrupted(
            f"state belongs to battery {state.battery_id} {state.battery_version}, not {battery.id} {battery.version}"
        )
    if state.pools != battery.pool_versions:
        # New parameters (a recalibration, new exposure parameters) would change how the sitting continues.
        raise StateCorrupted(
            f"state was made with pools {', '.join(state.pools)}, "
            f"the battery now has {', '.join(battery.pool_versions)}"
        )
    n_sub = len(battery.subtests)
    index = state.subtest_index
    # Each ended subtest leaves one SubtestRecord; termination also records the interrupted one.
    allowed_done = {index, index + 1} if state.phase is Phase.TERMINATED else {index}
    if not 0 <= index <= n_sub or len(state.done) not in allowed_done or len(state.done) > n_sub:
        raise StateCorrupted("subtest index and finished subtests disagree")
    live = state.phase in (Phase.ACTIVE, Phase.PAUSED)
    if live and not (index < n_sub and 0 <= state.item_index < battery.subtests[index].pool.size):
        raise StateCorrupted("an active session must present an item of its subtest's pool")
    if state.phase is Phase.INTRO and not (
        index < n_sub and state.item_index == -1 and state.intro_at_ms is not None and not state.items
    ):
        raise StateCorrupted("a session in an intro must have a subtest to come, no item and the intro's time")
    if not len(state.items) == len(state.responses) == len(state.response_ms):
        raise StateCorrupted("items, responses and response times differ in length")
    for sub, d in zip(battery.subtests, state.done, strict=False):
        _check_answers(sub.pool, d.items, d.responses)
    if index < n_sub:
        _check_answers(battery.subtests[index].pool, state.items, state.responses)
    _check_pretest(battery, state, live)


def _check_pretest(battery: Battery, state: SessionState, live: bool) -> None:
    """A pretest item is presented only in a live subtest with pretest items; its answers fit the pretest pool."""
    index = state.subtest_index
    pretest = battery.subtests[index].pretest if index < len(battery.subtests) else None
    given = (state.pretest_items, state.pretest_responses, state.pretest_response_ms)
    if len({len(g) for g in given}) != 1:
        raise StateCorrupted("pretest items, responses and response times differ in length")
    if pretest is None:
        if state.pretest_item != -1 or state.pretest_items:
            raise StateCorrupted("a pretest item outside a subtest with pretest items")
        return
    if state.pretest_item != -1 and not (live and 0 <= state.pretest_item < pretest.pool.size):
        raise StateCorrupted("a pretest item presented must be one of the subtest's pretest pool, in a live subtest")
    if len(state.pretest_items) > pretest.count:
        raise StateCorrupted("more pretest items than the subtest gives")
    _check_answers(pretest.pool, state.pretest_items, state.pretest_responses)


def _check_answers(pool: Pool, items: tuple[int, ...], responses: tuple[int, ...]) -> None:
    if len(items) != len(responses):
        raise StateCorrupted("items and responses differ in length")
    n_items, counts = pool.size, pool.option_counts
    for i, r in zip(items, responses, strict=True):
        if not 0 <= i < n_items or not 0 <= r < counts[i]:
            raise StateCorrupted(f"answer ({i}, {r}) does not fit pool {pool.pool_id}")
