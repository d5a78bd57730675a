r"""Pretest items in a live sitting: which an examinee gets, where they come, and their answers, kept apart from the
operational test.

A subtest with a ``[subtests.pretest]`` table (:class:`~cat_engine.subtest_pretest.SubtestPretest`) seeds K of its
N pretest items into every sitting by the design of :mod:`cat_engine.pretest`: pretest item :math:`j` comes right
after operational answer :math:`p_j`, with :math:`\text{after} \le p_j \le \text{min\_items} - 2`.

The plan of a sitting
---------------------
A sitting is examinee :math:`e` of a design seed :math:`\delta`, its *pretest key* :math:`(\delta, e)`
(``SessionState.pretest_key``), and subtest :math:`s` gets

.. math:: \text{plan} = \texttt{plan\_examinee}(\text{design}, (\delta, s), e):

its K items are K cyclically consecutive entries of its block's random permutation of the N items, in a random order, at
random positions. The server gives the sitting of session id ``ROOMID-NNNN`` the key :func:`pretest_key_of`:
:math:`\delta` the first 62 bits of SHA-256 of :data:`KEY_DOMAIN` and the room id, :math:`e = \text{NNNN} - 1` (the
store numbers a room's sessions 1, 2, 3, ... in the order they are registered, over all its registrations). The key is a
pure function of the session id (SHA-256, not Python's salted ``hash``), so every server process and ``cat-verify``,
which derives it from the session id it replays, get the same one: nothing more goes into the evidence. A state without
a key (one made before keys existed, or by a caller that gives none) is examinee 0 of the design seeded by its own seed
:math:`\sigma`: ``plan_examinee(design, (sigma, s), 0)``, a uniformly random K-subset.

The draws come from numpy generators keyed by :math:`(\delta, s)` or :math:`(\sigma, s)` and the word
:data:`~cat_engine.pretest.PRETEST_STREAM`, never from the counter-based streams that select operational items, draw the
Sympson-Hetter lottery or shuffle options (:mod:`cat_engine.draws`, :mod:`cat_engine.options`, all keyed by the
session's own seed), so the operational test is exactly the one the same seed gives without pretest items, whatever the
key.

**Balance.** The sessions of one room share :math:`\delta` and take the consecutive indices :math:`0, 1, \dots, E - 1`,
so the cyclic block design (:mod:`cat_engine.pretest`) gives every pretest item of a subtest
:math:`\lfloor EK/N \rfloor` or :math:`\lceil EK/N \rceil` of the room's E plans: the items' counts are **within one of
each other** after any number of registrations (400 sittings with N = 40, K = 4: exactly 40 each). That is the count of
plans; the count of responses follows it for the sittings that reach the slots, i.e. for a subtest every sitting
completes (a candidate who never sits, a termination, or a test cut short by an exhausted pool leaves its items' counts
one short), and a run of missing indices (numbers reserved by a registration that then registered nobody: a refused
roster, a repeated request) widens the spread by at most two, since a run of consecutive examinees covers consecutive
slots of the cycles of at most two blocks. Different rooms have independent :math:`\delta`, so independent permutations:
over many rooms the items still come in every combination and order. Without keys (independent seeds) an item's count
would be :math:`\text{Binomial}(E, K/N)`: 40 ± 6 in the example above.

The sitting
-----------
The operational step runs as if there were no pretest items: after operational answer :math:`n` it has already
chosen the next operational item, which waits in ``item_index`` while pretest item :math:`j` is shown
(``pretest_item``) when :math:`p_j \le n` and :math:`j` pretest items were given. So a pretest item always has an
operational item after it (never the last item of the subtest), and one whose slot the operational part never
reaches (it stopped first) is not given. Its answer goes to ``pretest_items``, ``pretest_responses`` and
``pretest_response_ms`` only: theta, SE, stopping, exposure, selection, content balancing, level, profile and the
integrity statistics read the operational answers alone. The pretest time (``time_per_item_s`` per pretest item)
is allowed from the start of the subtest (:attr:`cat_engine.battery.Subtest.time_allowed_s`).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from .errors import TimeUp
from .events import Event, ItemPresented, PretestAnswered, PretestPresented
from .options import item_option_order, stored_option
from .pool import Pool
from .pretest import PretestDesign, plan_examinee

if TYPE_CHECKING:  # the session module uses this one
    from .battery import Battery
    from .session import SessionState

__all__ = [
    "CLEARED",
    "KEY_DOMAIN",
    "PretestKey",
    "answer_pretest",
    "plan",
    "present",
    "presented_item",
    "presented_item_id",
    "pretest_key_of",
]

#: The pretest fields of a state outside a subtest (or of a subtest before its first pretest item).
CLEARED: dict[str, Any] = {"pretest_item": -1, "pretest_items": (), "pretest_responses": (), "pretest_response_ms": ()}


#: ``(design seed, examinee index)``: which examinee of which design a sitting is (module docstring).
PretestKey = tuple[int, int]

#: Mixed into the hash of a room id, so that its design seed is no other hash of it.
KEY_DOMAIN = b"cat-engine/pretest-design/v1\x00"
_SESSION_ID = re.compile(r"(?P<room>[0-9A-Za-z]+)-(?P<number>[0-9]{4,12})", re.ASCII)


def pretest_key_of(session_id: str) -> PretestKey | None:
    """The pretest key of the server's session ``ROOMID-NNNN`` (module docstring): the room's design seed, the first
    62 bits of ``SHA-256(KEY_DOMAIN + room id)``, and the examinee index ``NNNN - 1`` (the store numbers a room's
    sessions from 1); None for an id not of that shape, or numbered 0."""
    match = _SESSION_ID.fullmatch(session_id)
    if match is None or int(match["number"]) < 1:
        return None
    digest = hashlib.sha256(KEY_DOMAIN + match["room"].encode("ascii")).digest()
    return int.from_bytes(digest[:8], "big") >> 2, int(match["number"]) - 1


@lru_cache(maxsize=4096)  # asked after every answer of a sitting with pretest items
def _plan(
    design: PretestDesign, seed: int, subtest_index: int, examinee: int
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    p = plan_examinee(design, (seed, subtest_index), examinee)
    return tuple(int(i) for i in p.items), tuple(int(a) for a in p.after_answer)


def plan(
    battery: Battery, subtest_index: int, seed: int, pretest_key: PretestKey | None = None
) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """The session's pretest plan of subtest ``subtest_index`` (module docstring): ``(items, after_answer)``,
    pretest pool indices in the order given and the operational answers before each; None without pretest items.
    With ``pretest_key`` ``(δ, e)`` examinee e of the design seeded ``(δ, subtest_index)``, else examinee 0 of the one
    seeded ``(seed, subtest_index)``."""
    sub = battery.subtests[subtest_index]
    if sub.pretest is None:
        return None
    design = sub.pretest.design(sub.stopping.min_items)
    if pretest_key is None:
        return _plan(design, seed, subtest_index, 0)
    return _plan(design, pretest_key[0], subtest_index, pretest_key[1])


def present(battery: Battery, state: SessionState, now_ms: int) -> tuple[SessionState, ItemPresented]:
    """Present the next item of a state whose ``seq`` is already the new item's and whose ``item_index`` is the next
    operational item: the pretest item due now, if any, else that operational item."""
    index = state.subtest_index
    given = len(state.pretest_items)
    answered = len(state.items)
    schedule = plan(battery, index, state.seed, state.pretest_key)
    if schedule is not None and given < len(schedule[0]) and schedule[1][given] <= answered:
        item = schedule[0][given]
        new = replace(state, pretest_item=item)
        return new, PretestPresented(now_ms, new.seq, index, item, given + 1, state.theta, state.se)
    new = replace(state, pretest_item=-1)
    return new, ItemPresented(now_ms, new.seq, index, new.item_index, answered + 1, state.theta, state.se)


def answer_pretest(
    battery: Battery, state: SessionState, shown: int, now_ms: int, left_ms: int | None, used_ms: int
) -> tuple[SessionState, list[Event]]:
    """Record the answer at display position ``shown`` to the pretest item presented and present the next item;
    ``left_ms`` and ``used_ms`` are the subtest's clock at ``now_ms``. The caller checked the phase and the seq.

    Raises
    ------
    ResponseOutOfRange
        When ``shown`` is not an option position of the item.
    TimeUp
        When the subtest's time has run out (nothing changes).
    """
    index, item = state.subtest_index, state.pretest_item
    pretest = battery.subtests[index].pretest
    assert pretest is not None and item >= 0  # a pretest item is presented
    order = item_option_order(pretest.pool, state.seed, index, item, pretest=True)
    response = stored_option(order, shown)  # raises ResponseOutOfRange
    category = pretest.pool.score(item, response)
    if left_ms is not None and left_ms <= 0:
        raise TimeUp("the time for this subtest has run out")
    took = used_ms - state.item_shown_at_ms
    # a pretest item comes after at least one operational answer, so the estimate exists
    theta, se = (state.theta, state.se) if state.theta is not None and state.se is not None else (0.0, 0.0)
    answered = PretestAnswered(now_ms, state.seq, index, item, response, shown, category, took, theta, se)
    recorded = replace(
        state,
        pretest_items=(*state.pretest_items, item),
        pretest_responses=(*state.pretest_responses, response),
        pretest_response_ms=(*state.pretest_response_ms, took),
        pretest_item=-1,
        seq=state.seq + 1,
        item_shown_at_ms=used_ms,
        last_seen_ms=now_ms,
    )
    new, presented = present(battery, recorded, now_ms)
    return new, [answered, presented]


def presented_item(battery: Battery, state: SessionState) -> tuple[Pool, int, bool]:
    """The item being presented: its pool (the subtest's pretest pool for a pretest item), its index there, and
    whether it is a pretest item (``state.item_index >= 0``)."""
    sub = battery.subtests[state.subtest_index]
    if state.pretest_item >= 0 and sub.pretest is not None:
        return sub.pretest.pool, state.pretest_item, True
    return sub.pool, state.item_index, False


def presented_item_id(battery: Battery, state: SessionState) -> str | None:
    """The id of the item being presented, or None when none is."""
    if state.item_index < 0:
        return None
    pool, item, _ = presented_item(battery, state)
    return pool.items[item].id
