"""Where a run sends traffic (loopback only) and the admin HTTP API client.

A load test must never leave the machine by accident: :func:`loopback_url` refuses any host that is not a loopback
address (127.0.0.0/8, ``::1``) or ``localhost``, and names are never resolved. Every request here bypasses proxy
settings, so a loopback request cannot be sent to a proxy elsewhere either.
"""

from __future__ import annotations

import ipaddress
import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = ["AdminApi", "ApiError", "NotLoopback", "cluster_nodes", "loopback_redis_url", "loopback_url", "ws_url"]

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class NotLoopback(ValueError):
    """A target outside the loopback range."""


def loopback_url(url: str, schemes: Sequence[str] = ("http", "https")) -> str:
    """``url`` without a trailing slash, when its host is a loopback address; NotLoopback otherwise.

    Parameters
    ----------
    url : str
        e.g. ``http://127.0.0.1:8000`` or ``redis://127.0.0.1:6380/0``.
    schemes : sequence of str
        Accepted URL schemes.
    """
    parts = urlsplit(url)
    if parts.scheme not in schemes:
        raise NotLoopback(f"{url!r}: the scheme must be one of {', '.join(schemes)}")
    host = parts.hostname or ""
    if host != "localhost":
        try:
            if not ipaddress.ip_address(host).is_loopback:
                raise NotLoopback(f"{url!r}: {host} is not a loopback address; load tests target loopback only")
        except ValueError:
            raise NotLoopback(f"{url!r}: the host must be a loopback address (127.0.0.0/8, ::1) or localhost") from None
    return url.rstrip("/")


def cluster_nodes(url: str) -> list[tuple[str, int]] | None:
    """The ``(host, port)`` seeds of a ``redis+cluster://host:port[,host:port...]`` URL (the server's syntax); None
    for any other URL. ValueError when the list is malformed."""
    if not url.startswith("redis+cluster://"):
        return None
    rest = url[len("redis+cluster://") :].rsplit("@", 1)[-1].split("/", 1)[0].split("?", 1)[0]
    seeds: list[tuple[str, int]] = []
    for part in rest.split(","):
        host, _, port = part.strip().rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"{url!r}: a cluster URL is redis+cluster://host:port[,host:port...]")
        seeds.append((host.strip("[]"), int(port)))
    return seeds


def loopback_redis_url(url: str) -> str:
    """``url`` when it names a Redis on loopback: ``redis://`` (:func:`loopback_url`), or ``redis+cluster://`` whose
    every seed node is on loopback; NotLoopback otherwise."""
    try:
        seeds = cluster_nodes(url)
    except ValueError as err:
        raise NotLoopback(str(err)) from None
    if seeds is None:
        return loopback_url(url, ("redis",))
    for host, port in seeds:
        loopback_url(f"redis://{host}:{port}", ("redis",))
    return url


def ws_url(base: str, path: str) -> str:
    """The WebSocket URL of ``path`` on the HTTP base URL ``base``."""
    return "ws" + base[len("http") :] + path


class ApiError(Exception):
    """An admin API request that did not return the expected status (``status``; None: no answer at all)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def retryable(self) -> bool:
        """No answer, or ``503`` (the store unavailable for now: a Redis Cluster failing over)."""
        return self.status is None or self.status == 503


@dataclass(frozen=True)
class AdminApi:
    """The admin HTTP API of ``docs/protocol.md``, synchronous (call it from a worker thread in async code)."""

    base_url: str
    token: str
    timeout: float = 30.0

    def request(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        """Send a request and return the decoded JSON body; ApiError on another status or a network error."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base_url + path, data=data, method=method)
        req.add_header("authorization", f"Bearer {self.token}")
        if data is not None:
            req.add_header("content-type", "application/json")
        try:
            with _OPENER.open(req, timeout=self.timeout) as reply:
                status, raw = reply.status, reply.read()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read()
        except OSError as err:
            raise ApiError(f"{method} {path}: {err}") from err
        if status != expect:
            raise ApiError(f"{method} {path}: status {status}: {raw[:300]!r}", status)
        return json.loads(raw)

    def healthy(self) -> bool:
        """Whether ``GET /healthz`` answers 200."""
        try:
            self.request("GET", "/healthz")
        except ApiError:
            return False
        return True

    def create_room(self, name: str, battery: str, *, open: bool = False) -> dict[str, Any]:
        """``POST /api/rooms``: the room id and its proctor token. Closed unless ``open``, as on a test day: its
        proctor opens it (:meth:`load_tests.proctor.Proctor.open_room`) before the candidates come in."""
        body = {"name": name, "battery": battery, "open": open}
        room: dict[str, Any] = self.request("POST", "/api/rooms", body, 201)
        return room

    def register(self, room_id: str, people: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
        """``POST /api/rooms/{id}/candidates``: session ids and tokens, in roster order."""
        body = {"candidates": [{"employee_id": e, "name": n} for e, n in people]}
        created: list[dict[str, Any]] = self.request("POST", f"/api/rooms/{room_id}/candidates", body, 201)[
            "candidates"
        ]
        return created

    def session(self, session_id: str) -> dict[str, Any]:
        """``GET /api/sessions/{id}``: the summary and, once over, the full profile."""
        found: dict[str, Any] = self.request("GET", f"/api/sessions/{session_id}")
        return found

    def audit(self, session_id: str) -> list[dict[str, Any]]:
        """``GET /api/sessions/{id}/audit``: the audit entries in order."""
        entries: list[dict[str, Any]] = self.request("GET", f"/api/sessions/{session_id}/audit")["entries"]
        return entries

    def results(self, room_id: str) -> list[dict[str, Any]]:
        """``GET /api/rooms/{id}/results``: one row per candidate and finished subtest."""
        rows: list[dict[str, Any]] = self.request("GET", f"/api/rooms/{room_id}/results?format=json")["results"]
        return rows
