"""The settings of the integrity statistics: levels, thresholds and minimum data (``[integrity]`` of a battery).

Kept apart from :mod:`cat_engine.aberrance` so that the battery format can hold them (that module reads batteries).
"""

from __future__ import annotations

from dataclasses import dataclass

from .rt_aberrance import FAST_Z

__all__ = ["IntegrityConfig"]


@dataclass(frozen=True)
class IntegrityConfig:
    """Levels, thresholds and minimum data of the within-session statistics.

    Parameters
    ----------
    alpha_rapid, alpha_preknowledge, alpha_misfit, alpha_speed_change, alpha_ability_change : float
        Level of each test at the final look; their sum bounds the false-alarm rate of the union of the flags there.
    interim_fraction : float
        At an interim look (a subtest has ended, the battery has not), the change tests run at this fraction of
        their level.
    rapid_fraction, rapid_cap_s : float
        The rapid-response threshold :math:`\\min(f\\,E[T \\mid \\tau=0], c)` (NT10 for 0.1 and 10 s).
    rapid_reference_speed : float
        :math:`\\tau_{ref}` of the rapid-guessing null (+2 SD of a speed population with SD 0.3).
    fast_z : float
        A correct response whose speed residual is below :math:`-z` is listed as pre-knowledge evidence, and a
        response whose standardized lz* contribution is below it as misfit evidence.
    ability_correlation : float, optional
        :math:`\\rho` between the subtests' abilities; None: no ability-change test.
    min_rapid, min_rapid_count : int
        Timed responses needed for the rapid-guessing test, and rapid responses needed for its flag.
    min_rapid_share : float
        The share of rapid responses its flag needs besides: 0.1 is Wise & Kong's (2005) criterion of low effort,
        a response-time effort of 0.90 or less.
    min_preknowledge, min_preknowledge_group : int
        Timed responses needed for the pre-knowledge test, and at least this many correct and others.
    min_misfit : int
        Responses needed for lz* (over the subtests with an estimate).
    min_change_side : int
        Timed responses needed on each side of a subtest boundary for the speed-change test.
    min_subtest_responses : int
        Responses a subtest needs for its estimate to enter the ability-change test.
    """

    alpha_rapid: float = 0.002
    alpha_preknowledge: float = 0.01
    alpha_misfit: float = 0.005
    alpha_speed_change: float = 0.0125
    alpha_ability_change: float = 0.0125
    interim_fraction: float = 0.2
    rapid_fraction: float = 0.10
    rapid_cap_s: float = 10.0
    rapid_reference_speed: float = 0.6
    fast_z: float = FAST_Z
    ability_correlation: float | None = None
    min_rapid: int = 5
    min_rapid_count: int = 3
    min_rapid_share: float = 0.1
    min_preknowledge: int = 10
    min_preknowledge_group: int = 3
    min_misfit: int = 10
    min_change_side: int = 5
    min_subtest_responses: int = 5

    def __post_init__(self) -> None:
        for name in (*_ALPHAS, "interim_fraction", "min_rapid_share"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be within [0, 1)")
        if not 0.0 < self.rapid_fraction <= 1.0 or not self.rapid_cap_s > 0.0:
            raise ValueError("rapid_fraction must be within (0, 1] and rapid_cap_s > 0")
        if self.ability_correlation is not None and not 0.0 <= self.ability_correlation <= 1.0:
            raise ValueError("ability_correlation must be within [0, 1]")
        minimums = (
            self.min_rapid,
            self.min_rapid_count,
            self.min_preknowledge,
            self.min_preknowledge_group,
            self.min_misfit,
            self.min_change_side,
            self.min_subtest_responses,
        )
        if min(minimums) < 1:
            raise ValueError("the minimum numbers of responses must be at least 1")

    def budget(self, n_subtests: int) -> float:
        """A bound on the false-alarm rate of the union of the flags over a battery's looks, rapid guessing at one
        look: the final levels plus the change tests' interim levels at the ``n_subtests - 2`` interim looks where
        they can run (``docs/integrity.md``)."""
        ability = 0.0 if self.ability_correlation is None else self.alpha_ability_change
        final = self.alpha_rapid + self.alpha_preknowledge + self.alpha_misfit + self.alpha_speed_change + ability
        interim = max(n_subtests - 2, 0) * self.interim_fraction * (self.alpha_speed_change + ability)
        return final + interim


_ALPHAS = ("alpha_rapid", "alpha_preknowledge", "alpha_misfit", "alpha_speed_change", "alpha_ability_change")
