"""A subtest's pretest table (``[subtests.pretest]`` of a battery, docs/battery-format.md): the pool of new items
seeded into live sittings, how many each examinee gets, where, and the time they add.

Only the settings live here (parsed by :mod:`cat_engine.battery`); which items an examinee gets and where is the
design of :mod:`cat_engine.pretest`, and how a sitting gives them is :mod:`cat_engine.session_pretest`.
"""

from __future__ import annotations

from dataclasses import dataclass

from .pool import Pool
from .pretest import PretestDesign

__all__ = ["DEFAULT_AFTER", "SubtestPretest"]

#: Operational answers before the first pretest item unless the battery says otherwise.
DEFAULT_AFTER = 3


@dataclass(frozen=True, eq=False)
class SubtestPretest:
    """The pretest items of one subtest.

    Attributes
    ----------
    pool : Pool
        The pretest items (the pool format; their parameters provisional, used by nothing in the sitting).
    count : int
        K, pretest items per examinee (``1 <= K <=`` the pool's size).
    after : int
        No pretest item before this many operational answers (at least 1: the first item is operational).
    time_per_item_s : float
        Seconds added to the subtest's time limit per pretest item (0: none).
    """

    pool: Pool
    count: int
    after: int = DEFAULT_AFTER
    time_per_item_s: float = 0.0

    def design(self, min_items: int) -> PretestDesign:
        """The seeding design of a subtest whose stopping rule gives at least ``min_items`` operational items.

        Raises
        ------
        ValueError
            When ``min_items < after + 2`` (no slot leaves two operational items after the last pretest item).
        """
        return PretestDesign(n_items=self.pool.size, per_examinee=self.count, min_items=min_items, after=self.after)
