r"""The order a candidate sees an item's options in: a per-session permutation, the same on every resume.

Options shown in the pool's stored order to everyone let "item X: C" pass from one sitting to the next. So each
session shows the options of an item whose pool entry allows it (``shuffle_options``: by default one-key items,
never graded ones, whose options form an ordered scale) in its own order, drawn from the session's seed with the
counter-based generator of :mod:`cat_engine.draws`:

.. math:: \pi = \operatorname{argsort}\big(u(\text{seed}, s, S + i, 0), \dots,
          u(\text{seed}, s, S + i, n - 1)\big)

where :math:`s` is the subtest's index in the battery, :math:`i` the item's index in the subtest's pool,
:math:`n` its number of options and :math:`S` = :data:`OPTION_STREAM` (:math:`2^{40}`, far from the streams item
selection reads: :math:`4k + p` for the :math:`k`-th step, below :math:`2^{33}`, and the Sympson-Hetter lottery's
:math:`2^{41}`); a pretest item :math:`j` of the subtest's pretest pool reads :math:`S_p + j` instead, with
:math:`S_p` = :data:`PRETEST_OPTION_STREAM` (:math:`2^{40} + 2^{39}`: no operational item's stream, whatever the
pool's size below :math:`2^{39}`). Display position :math:`p` shows stored option :math:`\pi_p`; an item that does
not shuffle has :math:`\pi_p = p`. A pure function of the state's seed, subtest and item, so a restored session,
the item frame, the answer and the audit all see the same order without storing it.

Where each form lives: a candidate sees and sends **display positions** (the item frame's ``options`` in display
order, the answer's ``response``); :func:`cat_engine.session.answer` maps the position to the stored option with
:func:`stored_option` before scoring, so everything that scores or stores (``SessionState.responses``, replay,
results, exports) keeps **stored option indices**.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from .draws import KeyArray, permutations, uniforms_one
from .errors import ResponseOutOfRange
from .pool import Pool

if TYPE_CHECKING:  # the session module uses this one
    from .battery import Battery
    from .session import SessionState

__all__ = [
    "OPTION_STREAM",
    "PRETEST_OPTION_STREAM",
    "current_order",
    "item_option_order",
    "option_order",
    "option_orders",
    "shown_position",
    "stored_option",
]

#: Base stream of option orders: item ``i`` reads stream ``OPTION_STREAM + i``.
OPTION_STREAM = 2**40
#: Base stream of the option orders of pretest items: pretest item ``j`` reads ``PRETEST_OPTION_STREAM + j``.
PRETEST_OPTION_STREAM = 2**40 + 2**39


def option_order(
    seed: int, subtest_index: int, item_index: int, n_options: int, shuffle: bool, stream: int = OPTION_STREAM
) -> tuple[int, ...]:
    """The order item ``item_index`` of subtest ``subtest_index`` shows its options in, for the session ``seed``.

    Parameters
    ----------
    seed : int
        The session's seed.
    subtest_index, item_index : int
        The subtest's index in the battery and the item's index in its pool.
    n_options : int
        How many options the item has.
    shuffle : bool
        Whether the item's options may be reordered (false: the stored order).
    stream : int
        The base stream: :data:`OPTION_STREAM` for an operational item, :data:`PRETEST_OPTION_STREAM` for a
        pretest item (``item_index`` then in the pretest pool).

    Returns
    -------
    tuple of int
        ``order[p]`` is the stored index of the option shown at display position ``p``: a permutation of
        ``range(n_options)``.
    """
    if not shuffle or n_options < 2:
        return tuple(range(n_options))
    return _shuffled(seed, subtest_index, stream + item_index, n_options)


@lru_cache(maxsize=4096)  # an item's order is asked for by its frame, its answer and its audit entry
def _shuffled(seed: int, subtest_index: int, stream: int, n_options: int) -> tuple[int, ...]:
    draws = uniforms_one((seed, subtest_index), stream, n_options).tolist()
    # a stable sort, as :func:`cat_engine.draws.permutations`'s argsort, so both give the same order
    return tuple(sorted(range(n_options), key=draws.__getitem__))


def option_orders(keys: KeyArray, item_index: int | npt.ArrayLike, n_options: int) -> npt.NDArray[np.intp]:
    """:func:`option_order` of many sessions at once (every item shuffled), shape (N, n_options).

    ``keys`` holds one ``(seed, subtest_index)`` row per session (:func:`cat_engine.draws.as_keys`); ``item_index``
    is one item for all rows or one per row.
    """
    streams = np.asarray(item_index, dtype=np.uint64) + np.uint64(OPTION_STREAM)
    return permutations(keys, streams, n_options)


def item_option_order(
    pool: Pool, seed: int, subtest_index: int, item_index: int, pretest: bool = False
) -> tuple[int, ...]:
    """:func:`option_order` of item ``item_index`` of ``pool`` (its option count and ``shuffle_options``);
    ``pretest``: ``pool`` is the subtest's pretest pool."""
    item = pool.items[item_index]
    stream = PRETEST_OPTION_STREAM if pretest else OPTION_STREAM
    return option_order(seed, subtest_index, item_index, len(item.options), item.shuffle_options, stream)


def current_order(battery: Battery, state: SessionState) -> tuple[int, ...]:
    """The order the item being presented in ``state`` shows its options in (``state.item_index >= 0``): the pretest
    item's when one is presented (``state.pretest_item >= 0``)."""
    if state.item_index < 0:
        raise ValueError("no item is being presented")
    sub = battery.subtests[state.subtest_index]
    if state.pretest_item >= 0 and sub.pretest is not None:
        return item_option_order(sub.pretest.pool, state.seed, state.subtest_index, state.pretest_item, pretest=True)
    return item_option_order(sub.pool, state.seed, state.subtest_index, state.item_index)


def stored_option(order: Sequence[int], shown: int) -> int:
    """The stored index of the option shown at display position ``shown``: ``order[shown]``.

    Raises
    ------
    ResponseOutOfRange
        When ``shown`` is not a display position of the item (not an int, a bool, or outside ``0..n-1``).
    """
    n = len(order)
    if isinstance(shown, bool) or not isinstance(shown, int) or not 0 <= shown < n:
        raise ResponseOutOfRange(f"response must be an option position 0..{n - 1}, got {shown!r}")
    return order[shown]


def shown_position(order: Sequence[int], option: int) -> int:
    """The display position the stored option ``option`` is shown at: the inverse of :func:`stored_option`.

    Raises
    ------
    ValueError
        When ``option`` is not one of the item's stored options.
    """
    return list(order).index(option)
