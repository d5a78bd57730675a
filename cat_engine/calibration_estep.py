r"""The E-step of calibration: examinees' posteriors over a fixed quadrature grid and the expected counts.

The grid is ``n`` equally spaced nodes :math:`\theta_1..\theta_n` on a range (default :math:`[-6, 6]`) with prior
weights :math:`\pi_q \propto \phi(\theta_q)`, the N(0, 1) density normalised to sum 1 (the operational scale). An
examinee's log posterior at node :math:`q` is, up to a constant,

.. math:: \log \pi_q + \sum_{i \in \text{answered}} \log P_{i, x_i}(\theta_q),

summed over the fixed items only (OEM and the first MEM cycle) or over the free items too (later MEM cycles), and
the expected count of item :math:`i`'s category :math:`k` at node :math:`q` is
:math:`r_{iqk} = \sum_{j: x_j = k} \tilde\pi_{p(j), q}` over the rows :math:`j` answering item :math:`i`, with
:math:`\tilde\pi` the normalised posterior (Bock & Aitkin, 1981).

Every per-row quantity depends on the row only through (item, category), so it is read from a small table
``(items, Q, K)`` and summed into examinees or items by :class:`Grouper` (one sort, then ``reduceat``).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["Grouper", "log_prior", "normalise", "quadrature_nodes"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]


def quadrature_nodes(n: int, low: float = -6.0, high: float = 6.0) -> FloatArray:
    """``n`` equally spaced nodes on ``[low, high]``."""
    result: FloatArray = np.linspace(low, high, n)
    return result


def log_prior(nodes: FloatArray) -> FloatArray:
    """:math:`\\log \\pi_q`: the N(0, 1) density at the nodes, normalised to sum 1 over them."""
    raw = -0.5 * nodes * nodes
    result: FloatArray = raw - np.logaddexp.reduce(raw)
    return result


def normalise(log_post: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Posterior weights (rows sum to 1) and each row's log normaliser :math:`\\log \\sum_q e^{\\ell_q}`."""
    top = log_post.max(axis=1, keepdims=True)
    weight = np.exp(log_post - top)
    total = weight.sum(axis=1, keepdims=True)
    weight /= total
    log_norm: FloatArray = (np.log(total) + top)[:, 0]
    return weight, log_norm


class Grouper:
    """Sums rows of an array into groups (examinees, or item-category cells), with the sort done once."""

    def __init__(self, groups: IntArray, n_groups: int) -> None:
        self.order = np.argsort(groups, kind="stable")
        counts = np.bincount(groups, minlength=n_groups)
        self.present = np.flatnonzero(counts)
        self.starts = (np.cumsum(counts) - counts)[self.present]
        self.n_groups = n_groups

    def sum(self, values: FloatArray) -> FloatArray:
        """``out[g] = sum of values[rows of group g]``; shape ``(n_groups,) + values.shape[1:]``."""
        out = np.zeros((self.n_groups, *values.shape[1:]))
        if self.present.size:
            out[self.present] = np.add.reduceat(values[self.order], self.starts, axis=0)
        return out

    def sum_rows(self, table: FloatArray, first: IntArray, second: IntArray) -> FloatArray:
        """:meth:`sum` of ``table[first, :, second]`` (rows read from a per-(item, category) table), shape
        ``(n_groups, Q)``, gathering the rows already in group order."""
        out = np.zeros((self.n_groups, table.shape[1]))
        if self.present.size:
            rows = table[first[self.order], :, second[self.order]]
            out[self.present] = np.add.reduceat(rows, self.starts, axis=0)
        return out
