r"""Counter-based random numbers: every draw a pure function of a key, a stream and a counter.

A live session and a simulation of thousands of examinees must make the same random choices (randomesque,
Sympson-Hetter lottery, content-area ties, option order) for the same examinee, and a restored session must repeat
its choices exactly. Seeding a generator per examinee and step costs tens of microseconds; a counter-based generator
(Salmon et al., 2011) costs a few integer operations per number and works on whole arrays of examinees at once:

.. math:: u(k_1, \dots, k_W, s, j) = 2^{-53} \left\lfloor h\big(h(\dots h(h(c_0 \oplus k_1) \oplus k_2) \dots
          \oplus s) \oplus \phi (j + 1)\big) / 2^{11} \right\rfloor

where :math:`h` is the SplitMix64 finaliser (Steele, Lea & Flood, 2014), a bijection on 64-bit words with full
avalanche, :math:`k` the examinee's key (e.g. the session's seed and the subtest's index), :math:`s` the stream
(what the numbers are for, and at which step), :math:`j = 0, 1, \dots` the counter and :math:`\phi` the 64-bit
golden-ratio constant. The result is uniform on :math:`[0, 1)` with 53 bits.

References
----------
Salmon, J. K., Moraes, M. A., Dror, R. O., & Shaw, D. E. (2011). Parallel random numbers: as easy as 1, 2, 3.
Proceedings of SC11.
Steele, G. L., Lea, D., & Flood, C. H. (2014). Fast splittable pseudorandom number generators. OOPSLA 2014.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["KeyArray", "as_keys", "permutations", "uniforms", "uniforms_one"]

#: Examinee keys, shape (N, W): one row of W unsigned 64-bit words per examinee.
KeyArray = npt.NDArray[np.uint64]
FloatArray = npt.NDArray[np.float64]

_START = np.uint64(0x243F6A8885A308D3)  # digits of pi: the hash state before the first key word
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MUL1 = np.uint64(0xBF58476D1CE4E5B9)
_MUL2 = np.uint64(0x94D049BB133111EB)
_MASK = (1 << 64) - 1


def as_keys(keys: Sequence[Sequence[int]] | npt.ArrayLike) -> KeyArray:
    """Keys as a (N, W) array of uint64; negative Python integers are taken modulo :math:`2^{64}`."""
    rows = np.asarray(keys, dtype=object)
    if rows.ndim == 1:
        rows = rows.reshape(1, -1)
    result: KeyArray = np.array([[int(word) & _MASK for word in row] for row in rows], dtype=np.uint64).reshape(
        rows.shape
    )
    return result


def _mix(z: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """The SplitMix64 finaliser, element-wise (uint64 arithmetic wraps modulo 2**64)."""
    z = (z ^ (z >> np.uint64(30))) * _MUL1
    z = (z ^ (z >> np.uint64(27))) * _MUL2
    result: npt.NDArray[np.uint64] = z ^ (z >> np.uint64(31))
    return result


def _mix_int(z: int) -> int:
    """:func:`_mix` of one word as a Python integer (numpy's per-operation cost dominates for one examinee)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def uniforms_one(key: Sequence[int], stream: int, n: int) -> FloatArray:
    """:func:`uniforms` of one key (a live session's step), shape (n,): the same numbers, computed faster."""
    state = int(_START)
    for word in key:
        state = _mix_int(state ^ (int(word) & _MASK))
    state = _mix_int(state ^ (stream & _MASK))
    if n > 64:
        bits = _mix(np.uint64(state) ^ (np.arange(1, n + 1, dtype=np.uint64) * _GOLDEN))
        result: FloatArray = (bits >> np.uint64(11)).astype(np.float64) * 2.0**-53
        return result
    golden = int(_GOLDEN)
    return np.array([(_mix_int(state ^ ((golden * j) & _MASK)) >> 11) * 2.0**-53 for j in range(1, n + 1)])


def _state(keys: KeyArray, stream: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    state = np.full(keys.shape[0], _START, dtype=np.uint64)
    for column in range(keys.shape[1]):
        state = _mix(state ^ keys[:, column])
    return _mix(state ^ stream)


def uniforms(keys: KeyArray, stream: int | npt.ArrayLike, n: int) -> FloatArray:
    """``n`` uniforms on [0, 1) for each key row: shape (N, n).

    Parameters
    ----------
    keys : ndarray of uint64, shape (N, W)
    stream : int or array_like of int, shape (N,)
        Which sequence to read (the same for every row, or one per row), in [0, 2**64).
    n : int
        How many numbers per row (counters 0 .. n-1).
    """
    streams = np.broadcast_to(np.asarray(stream, dtype=np.uint64), (keys.shape[0],))
    state = _state(keys, streams)
    counters = (np.arange(1, n + 1, dtype=np.uint64) * _GOLDEN)[None, :]
    bits = _mix(state[:, None] ^ counters)
    result: FloatArray = (bits >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return result


def permutations(keys: KeyArray, stream: int | npt.ArrayLike, n: int) -> npt.NDArray[np.intp]:
    """A uniformly random permutation of ``range(n)`` for each key row (argsort of :func:`uniforms`)."""
    result: npt.NDArray[np.intp] = np.argsort(uniforms(keys, stream, n), axis=1, kind="stable")
    return result
