"""Limits of one server process on what a client may cost it: token buckets and connection counts.

* :class:`TokenBucket`: ``burst`` at once, then ``rate`` per second (the flood limit of one connection).
* :class:`KeyedBuckets`: a token bucket per key (a client address, a proctor token) in a table bounded in memory.
* :class:`ConnectionCounts`: open connections per key (a candidate token, a proctor token), at most ``limit``.
* :class:`Limits`: those a process keeps, built from the settings.

Everything is per process: with N processes behind a load balancer a client may get up to N times as much. Times
are seconds of a monotonic clock, passed in (``now``), so the limits are pure and tested with a fake clock.

Invariants
----------
* A key missing from a :class:`KeyedBuckets` table is a full bucket. A bucket is dropped once it has refilled
  (then it is the same as a missing one); buckets are kept in the order of their last change, so the oldest are
  checked first. Beyond ``max_keys`` the oldest bucket is dropped even when not full: a client spreading its
  tries over more addresses than that gets more tries, never a table that grows without bound.
* A :class:`ConnectionCounts` key is present exactly while it has open connections, so the table holds at most
  one key per open connection.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from .settings import Settings
from .wire_errors import Refusal

__all__ = ["ConnectionCounts", "KeyedBuckets", "Limits", "TokenBucket", "address_key"]

MAX_ADDRESSES = 100_000  # client addresses whose failed hellos are remembered (about 240 bytes each: 24 MB)
MAX_PROCTOR_TOKENS = 10_000  # proctor tokens whose rate is remembered
MAX_HELLO_TOKENS = 100_000  # tokens (either kind) whose hellos are remembered


class TokenBucket:
    """Flood limit: ``burst`` frames at once, refilled at ``rate`` frames per second."""

    def __init__(self, burst: int, rate: float, now: float) -> None:
        self.burst, self.rate = float(burst), rate
        self.tokens, self.at = float(burst), now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1.0:
            return False
        self.tokens -= 1.0
        return True


class KeyedBuckets:
    """A token bucket of ``burst`` tokens refilled at ``rate`` per second for each key, at most ``max_keys`` kept.

    :meth:`wait_ms` looks without taking, :meth:`take` takes a token when there is one, :meth:`give` gives one back
    (see the module docstring for how the table stays bounded).
    """

    def __init__(self, burst: int, rate: float, max_keys: int) -> None:
        self.burst, self.rate, self.max_keys = float(burst), rate, max_keys
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at), oldest first

    def __len__(self) -> int:
        return len(self._buckets)

    def tokens(self, key: str, now: float) -> float:
        """The tokens ``key`` has at ``now``."""
        kept = self._buckets.get(key)
        if kept is None:
            return self.burst
        tokens, at = kept
        return min(self.burst, tokens + max(now - at, 0.0) * self.rate)

    def wait_ms(self, key: str, now: float) -> int | None:
        """None when ``key`` has a token at ``now``; otherwise the milliseconds until one has refilled (at least 1)."""
        tokens = self.tokens(key, now)
        if tokens >= 1.0:
            return None
        return max(1, math.ceil((1.0 - tokens) / self.rate * 1000))

    def take(self, key: str, now: float) -> int | None:
        """Take a token of ``key``: None when taken; otherwise, taking nothing, :meth:`wait_ms`."""
        tokens = self.tokens(key, now)
        if tokens < 1.0:
            return self.wait_ms(key, now)
        self._buckets[key] = (tokens - 1.0, now)
        self._buckets.move_to_end(key)
        self._sweep(now)
        return None

    def give(self, key: str, now: float) -> None:
        """Give back a token taken from ``key`` for something that turned out not to count."""
        if key not in self._buckets:
            return  # full already (or dropped as the oldest: as good as full)
        tokens = min(self.burst, self.tokens(key, now) + 1.0)
        if tokens >= self.burst:
            del self._buckets[key]
        else:
            self._buckets[key] = (tokens, now)
            self._buckets.move_to_end(key)

    def _sweep(self, now: float) -> None:
        """Drop the oldest buckets while they are full again, then any beyond ``max_keys``."""
        while self._buckets:
            key, (tokens, at) = next(iter(self._buckets.items()))
            if tokens + max(now - at, 0.0) * self.rate < self.burst:
                break
            del self._buckets[key]
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)


class ConnectionCounts:
    """Open connections per key, at most ``limit`` each (``code`` is the refusal beyond it)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._open: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._open)

    def count(self, key: str) -> int:
        return self._open.get(key, 0)

    def acquire(self, key: str) -> None:
        """Count one more connection of ``key``; ``too_many_connections`` when it has ``limit`` already."""
        n = self._open.get(key, 0)
        if n >= self.limit:
            raise Refusal("too_many_connections", f"at most {self.limit} open connections per token on a process")
        self._open[key] = n + 1

    def release(self, key: str) -> None:
        """One connection of ``key`` ended (once per :meth:`acquire`)."""
        n = self._open.get(key, 0) - 1
        if n > 0:
            self._open[key] = n
        else:
            self._open.pop(key, None)


def address_key(host: str | None) -> str:
    """The key of a client address: an IPv4 address as it is, an IPv6 address by its /64 network (one site's
    LAN; a single client may hold a whole /64), anything else (no address, a name) as it is."""
    if not host:
        return ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


@dataclass
class Limits:
    """The limits of one process (docs/protocol.md lists them with their settings), and the clock they read."""

    hello_failures: KeyedBuckets  # failed hellos per client address, both sockets
    hellos: KeyedBuckets  # hellos per token (either kind): a hello/close loop on one token
    proctor_moves: KeyedBuckets  # detail frames and commands per proctor token
    sessions: ConnectionCounts  # open connections per candidate token
    proctors: ConnectionCounts  # open connections per proctor token
    clock: Callable[[], float] = field(default=time.monotonic)  # seconds; a test may set a fake one

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            KeyedBuckets(settings.hello_fail_burst, settings.hello_fail_rate, MAX_ADDRESSES),
            KeyedBuckets(settings.hello_token_burst, settings.hello_token_rate, MAX_HELLO_TOKENS),
            KeyedBuckets(settings.proctor_burst, settings.proctor_rate, MAX_PROCTOR_TOKENS),
            ConnectionCounts(settings.max_session_connections),
            ConnectionCounts(settings.max_proctor_connections),
        )
