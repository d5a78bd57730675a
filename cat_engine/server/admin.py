"""The admin HTTP API (docs/protocol.md): rooms, rosters, status, results; plus /healthz and /metrics.

Errors are :class:`~.wire_errors.Refusal` rows of the one table, answered as ``{"error": {"code", "message",
...fields}}`` with the row's HTTP status; an unreachable store is ``unavailable`` (503).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from .. import codec
from ..view import session_view
from .auth import bearer_matches, bearer_token
from .frames import session_summary
from .hub import Hub
from .results import result_rows, rows_to_csv
from .rooms import create_room, parse_roster_csv, register
from .store import RoomRecord, SessionRecord, StoreUnavailable, room_of
from .wire_errors import Refusal

__all__ = ["admin_routes"]

_MAX_BODY = 1 << 20
_DRAIN_LIMIT = 16 << 20
_DRAIN_S = 1.0


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def _error(hub: Hub, refusal: Refusal) -> Response:
    hub.metrics.error(refusal.code)
    status = refusal.row.http_status or 500
    body = {"code": refusal.code, "message": refusal.message(hub.settings.lang), **refusal.fields}
    return _json({"error": body}, status)


Handler = Callable[[Request, Hub], Awaitable[Response]]


def _admin(handler: Handler, *, room_proctor_reads: bool = False) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a handler with the bearer check and the JSON error mapping.

    With ``room_proctor_reads`` the proctor token of the room the path names is accepted too (read-only endpoints a
    proctor console uses: a room's results).
    """

    async def endpoint(request: Request) -> Response:
        hub: Hub = request.app.state.hub
        header = request.headers.get("authorization")
        try:
            if not bearer_matches(header, hub.admin_token) and not (
                room_proctor_reads and await _is_room_proctor(hub, header, request.path_params["room_id"])
            ):
                who = "an admin or the room's proctor" if room_proctor_reads else "an admin"
                return _error(hub, Refusal("unauthorized", f"{who} bearer token is required"))
            return await handler(request, hub)
        except Refusal as refusal:
            return _error(hub, refusal)
        except StoreUnavailable:
            return _error(hub, Refusal("unavailable"))

    return endpoint


async def _is_room_proctor(hub: Hub, header: str | None, room_id: str) -> bool:
    token = bearer_token(header)
    if token is None or len(token) > 200:  # proctor tokens are 32 characters: a longer one costs no store call
        return False
    return await hub.store.room_for_proctor_token(token) == room_id


async def _body_json(request: Request) -> Any:
    body = await _body(request)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        raise Refusal("bad_request", "the body is not valid JSON") from None


async def _body(request: Request) -> bytes:
    stream = request.stream()
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > _MAX_BODY:
        await _drain(stream)
        raise Refusal("too_large", f"bodies are limited to {_MAX_BODY} bytes")
    chunks, size = [], 0
    async for chunk in stream:
        size += len(chunk)
        if size > _MAX_BODY:
            await _drain(stream)
            raise Refusal("too_large", f"bodies are limited to {_MAX_BODY} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _drain(stream: AsyncIterator[bytes]) -> None:
    """Read (and drop) what is left of a refused body, up to a bound, so that a simple client that sends its whole
    body before reading sees the 413 rather than a connection reset."""
    size = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(_DRAIN_S):  # a client that declared a length and sends nothing is not waited for
            async for chunk in stream:
                size += len(chunk)
                if size > _DRAIN_LIMIT:
                    return


async def _room(hub: Hub, room_id: str) -> RoomRecord:
    room = await hub.store.get_room(room_id)
    if room is None:
        raise Refusal("not_found", f"no room {room_id!r}")
    return room


async def list_batteries(request: Request, hub: Hub) -> Response:
    return _json(
        {
            "batteries": [
                {
                    "id": b.id,
                    "version": b.version,
                    "name": b.name,
                    "subtests": [{"id": s.id, "name": s.name} for s in b.subtests],
                }
                for b in hub.batteries.values()
            ]
        }
    )


async def post_room(request: Request, hub: Hub) -> Response:
    data = await _body_json(request)
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or not isinstance(data.get("battery"), str):
        raise Refusal("bad_request", 'expected {"name": string, "battery": battery id}')
    return _json(await create_room(hub.tx, data["name"], data["battery"]), 201)


async def list_rooms(request: Request, hub: Hub) -> Response:
    rooms = await hub.store.list_rooms()
    return _json({"rooms": [{"room_id": r.room_id, "name": r.name, "battery": r.battery_id} for r in rooms]})


async def post_candidates(request: Request, hub: Hub) -> Response:
    room_id = request.path_params["room_id"]
    await _room(hub, room_id)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("text/csv", "application/csv"):
        try:
            text = (await _body(request)).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise Refusal("bad_request", f"CSV roster: {exc}") from None
        rows: Any = parse_roster_csv(text)
    elif kind in ("application/json", ""):
        data = await _body_json(request)
        rows = data.get("candidates") if isinstance(data, dict) else None
    else:
        raise Refusal("unsupported_media_type", "send application/json or text/csv")
    key = request.headers.get("idempotency-key")
    if key is not None and not 1 <= len(key) <= 200:
        raise Refusal("bad_request", "Idempotency-Key must be 1 to 200 characters")
    return _json({"candidates": await register(hub.tx, room_id, rows, key)}, 201)


async def get_candidates(request: Request, hub: Hub) -> Response:
    room_id = request.path_params["room_id"]
    await _room(hub, room_id)
    cands = await hub.store.room_candidates(room_id)
    return _json(
        {
            "candidates": [
                {"employee_id": c.employee_id, "name": c.name, "session_id": c.session_id, "token": c.token}
                for c in cands
            ]
        }
    )


async def get_room(request: Request, hub: Hub) -> Response:
    view = await hub.proctors.room_view(request.path_params["room_id"])
    counts = Counter(s["phase"] for s in view.summaries)
    return _json({"room": view.info(), "counts": dict(counts), "sessions": view.summaries, "at_ms": view.at_ms})


async def _session_record(hub: Hub, session_id: str) -> SessionRecord:
    if "-" not in session_id or await hub.store.get_room(room_of(session_id)) is None:
        raise Refusal("not_found", f"no session {session_id!r}")
    rec = await hub.store.load(session_id)
    if rec is None:
        raise Refusal("not_found", f"no session {session_id!r}")
    return rec


async def get_session(request: Request, hub: Hub) -> Response:
    session_id = request.path_params["session_id"]
    rec = await _session_record(hub, session_id)
    battery = await hub.tx.battery_of(room_of(session_id))
    view = session_view(battery, codec.decode(battery, rec.state), hub.tx.now_ms())
    raw = await hub.store.result(session_id)
    profile = None if raw is None else orjson.loads(raw)["profile"]
    return _json({"session": session_summary(rec.candidate, view), "profile": profile})


async def get_audit(request: Request, hub: Hub) -> Response:
    session_id = request.path_params["session_id"]
    await _session_record(hub, session_id)
    entries = [{"id": i, **orjson.loads(e)} for i, e in await hub.store.audit(session_id)]
    return _json({"entries": entries})


async def get_results(request: Request, hub: Hub) -> Response:
    room_id = request.path_params["room_id"]
    await _room(hub, room_id)
    rows = await result_rows(hub.store, room_id)
    fmt = request.query_params.get("format", "json")
    if fmt == "csv":
        return Response(
            rows_to_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="results-{room_id}.csv"'},
        )
    if fmt != "json":
        raise Refusal("bad_request", "format must be json or csv")
    return _json({"results": rows})


async def ack_results(request: Request, hub: Hub) -> Response:
    room_id = request.path_params["room_id"]
    await _room(hub, room_id)
    data = await _body_json(request)
    ids = data.get("session_ids") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise Refusal("bad_request", 'expected {"session_ids": [string, ...]}')
    return _json({"acknowledged": await hub.store.ack_results(room_id, ids)})


async def healthz(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    ok = await hub.store.ping()
    return _json({"status": "ok" if ok else "unavailable", "store": hub.store.kind}, 200 if ok else 503)


async def metrics(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    return PlainTextResponse(hub.metrics.render(hub.live_sessions), media_type="text/plain; version=0.0.4")


def admin_routes() -> list[Route]:
    return [
        Route("/api/batteries", _admin(list_batteries), methods=["GET"]),
        Route("/api/rooms", _admin(post_room), methods=["POST"]),
        Route("/api/rooms", _admin(list_rooms), methods=["GET"]),
        Route("/api/rooms/{room_id}", _admin(get_room), methods=["GET"]),
        Route("/api/rooms/{room_id}/candidates", _admin(post_candidates), methods=["POST"]),
        Route("/api/rooms/{room_id}/candidates", _admin(get_candidates), methods=["GET"]),
        Route("/api/rooms/{room_id}/results", _admin(get_results, room_proctor_reads=True), methods=["GET"]),
        Route("/api/rooms/{room_id}/results/ack", _admin(ack_results), methods=["POST"]),
        Route("/api/sessions/{session_id}", _admin(get_session), methods=["GET"]),
        Route("/api/sessions/{session_id}/audit", _admin(get_audit), methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
