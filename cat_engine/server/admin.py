"""The admin HTTP API (docs/protocol.md): rooms, rosters, status, results, evidence; plus /healthz and /metrics.

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
from starlette.responses import Response
from starlette.routing import Route

from .. import codec
from ..view import session_view
from . import evidence
from .auth import bearer_matches, bearer_token, is_room_id, is_session_id, normalise_proctor_token
from .frames import room_gate_event, session_summary
from .hub import Hub
from .integrity import get_integrity
from .metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from .responses import get_responses
from .results import result_rows, rows_to_csv, rows_to_xlsx
from .rooms import create_room, parse_roster_csv, register
from .roster_edits import edit_candidate, remove_candidate
from .spreadsheet import XLSX_MEDIA_TYPE, export_request, to_xlsx
from .store import RoomRecord, SessionRecord, StoreUnavailable, room_of
from .tokens import reissue_candidate_tokens, reissue_proctor_token
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

    Once the caller is allowed, a ``{room_id}`` or ``{session_id}`` of the path that is not of the form of an id
    (:func:`.auth.is_room_id`, :func:`.auth.is_session_id`) is ``not_found`` before the handler runs: no crafted id
    names a store key.
    """

    async def endpoint(request: Request) -> Response:
        hub: Hub = request.app.state.hub
        header = request.headers.get("authorization")
        params = request.path_params
        try:
            if not bearer_matches(header, hub.admin_token) and not (
                room_proctor_reads
                and is_room_id(params["room_id"])
                and await _is_room_proctor(hub, header, params["room_id"])
            ):
                who = "an admin or the room's proctor" if room_proctor_reads else "an admin"
                return _error(hub, Refusal("unauthorized", f"{who} bearer token is required"))
            if "room_id" in params and not is_room_id(params["room_id"]):
                raise Refusal("not_found", f"no room {params['room_id'][:40]!a}")
            if "session_id" in params and not is_session_id(params["session_id"]):
                raise Refusal("not_found", f"no session {params['session_id'][:40]!a}")
            return await handler(request, hub)
        except Refusal as refusal:
            return _error(hub, refusal)
        except StoreUnavailable:
            return _error(hub, Refusal("unavailable"))

    return endpoint


async def _is_room_proctor(hub: Hub, header: str | None, room_id: str) -> bool:
    token = bearer_token(header)
    if token is None or len(token) > 200:  # proctor tokens are 28 to 40 characters: a longer one costs no store call
        return False
    return await hub.store.room_for_proctor_token(normalise_proctor_token(token)) == room_id


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
    if not is_room_id(room_id):
        raise Refusal("not_found", f"no room {room_id[:40]!a}")
    room = await hub.store.get_room(room_id)
    if room is None:
        raise Refusal("not_found", f"no room {room_id!r}")
    return room


async def get_info(request: Request, hub: Hub) -> Response:
    """What the admin page needs of the server's settings: the address printed on slips (null: the page's own)."""
    return _json({"public_url": hub.settings.public_url})


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
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("name"), str)
        or not isinstance(data.get("battery"), str)
        or not isinstance(data.get("open", False), bool)
    ):
        raise Refusal("bad_request", 'expected {"name": string, "battery": battery id, "open": true or false}')
    return _json(await create_room(hub.tx, data["name"], data["battery"], is_open=data.get("open", False)), 201)


async def list_rooms(request: Request, hub: Hub) -> Response:
    rooms = await hub.store.list_rooms()
    return _json(
        {
            "rooms": [
                {"room_id": r.room_id, "name": r.name, "battery": r.battery_id, "open": r.open, "archived": r.archived}
                for r in rooms
            ]
        }
    )


async def post_candidates(request: Request, hub: Hub) -> Response:
    room_id = request.path_params["room_id"]
    await _room(hub, room_id)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("text/csv", "application/csv"):
        body = await _body(request)
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = body[: exc.start].replace(b"\r\n", b"\n").replace(b"\r", b"\n").count(b"\n") + 1
            raise Refusal("bad_request", f"CSV roster: line {line}: not UTF-8 ({exc.reason})") from None
        rows: Any = parse_roster_csv(text)  # checked rows (bad_request naming the line and field)
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
    # no token: the store keeps only digests (a lost token is replaced: POST /api/rooms/{room_id}/tokens)
    return _json(
        {"candidates": [{"employee_id": c.employee_id, "name": c.name, "session_id": c.session_id} for c in cands]}
    )


async def get_room(request: Request, hub: Hub) -> Response:
    view = await hub.proctors.room_view(request.path_params["room_id"])
    counts = Counter(s["phase"] for s in view.summaries)
    return _json({"room": view.info(), "counts": dict(counts), "sessions": view.summaries, "at_ms": view.at_ms})


async def _session_record(hub: Hub, session_id: str) -> SessionRecord:
    if not is_session_id(session_id):
        raise Refusal("not_found", f"no session {session_id[:40]!a}")
    if await hub.store.get_room(room_of(session_id)) is None:
        raise Refusal("not_found", f"no session {session_id!r}")
    rec = await hub.store.load(session_id)
    if rec is None:
        raise Refusal("not_found", f"no session {session_id!r}")
    return rec


async def patch_session(request: Request, hub: Hub) -> Response:
    """Correct a candidate who has not started (``started`` 409 once they have)."""
    return _json(
        {"candidate": await edit_candidate(hub.tx, request.path_params["session_id"], await _body_json(request))}
    )


async def delete_session(request: Request, hub: Hub) -> Response:
    """Remove a candidate who has not started, with their session and token."""
    return _json(await remove_candidate(hub.tx, request.path_params["session_id"]))


async def get_session(request: Request, hub: Hub) -> Response:
    session_id = request.path_params["session_id"]
    rec = await _session_record(hub, session_id)
    battery = await hub.tx.battery_of(room_of(session_id))
    view = session_view(battery, codec.decode(battery, rec.state), hub.tx.now_ms())
    raw = await hub.store.result(session_id)
    profile = None if raw is None else orjson.loads(raw)["profile"]
    suppressed = {"audit": rec.suppressed[0], "events": rec.suppressed[1]}
    return _json({"session": session_summary(rec.candidate, view), "profile": profile, "suppressed": suppressed})


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
    if fmt == "xlsx":
        return _xlsx(await asyncio.to_thread(rows_to_xlsx, rows), f"results-{room_id}.xlsx")
    if fmt != "json":
        raise Refusal("bad_request", "format must be json, csv or xlsx")
    return _json({"results": rows})


async def get_evidence(request: Request, hub: Hub) -> Response:
    """The room's evidence bundle (docs/verification.md): every session's audit chain, seed and result, the battery
    and pool files' hashes, signed with the server's key; checked by ``cat-verify``."""
    room = await _room(hub, request.path_params["room_id"])
    battery = await hub.tx.battery_of(room.room_id)
    signer = evidence.signer_for(hub.settings)
    body = await evidence.room_bundle(hub.store, room, battery, signer, hub.tx.now_ms())
    headers = {"content-disposition": f'attachment; filename="evidence-{room.room_id}.json"'}
    return Response(body, media_type="application/json", headers=headers)


def _xlsx(body: bytes, filename: str) -> Response:
    headers = {"content-disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=XLSX_MEDIA_TYPE, headers=headers)


async def post_export_xlsx(request: Request, hub: Hub) -> Response:
    """A table the admin page holds (the tokens, which the server keeps only as hashes) as an XLSX file."""
    req = export_request(await _body_json(request))
    return _xlsx(await asyncio.to_thread(to_xlsx, req.columns, req.rows, req.title), req.filename)


async def _room_session_ids(request: Request, hub: Hub) -> tuple[str, list[str]]:
    """The path's room (``not_found`` when none) and the body's ``{"session_ids": [...]}``; a malformed id is
    ``not_found`` before anything is done."""
    room_id = request.path_params["room_id"]
    await _room(hub, room_id)
    data = await _body_json(request)
    ids = data.get("session_ids") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise Refusal("bad_request", 'expected {"session_ids": [string, ...]}')
    malformed = next((i for i in ids if not is_session_id(i)), None)
    if malformed is not None:
        raise Refusal("not_found", f"no session {malformed[:40]!a}")
    return room_id, ids


async def ack_results(request: Request, hub: Hub) -> Response:
    room_id, ids = await _room_session_ids(request, hub)
    return _json({"acknowledged": await hub.store.ack_results(room_id, ids)})


async def post_tokens(request: Request, hub: Hub) -> Response:
    """New tokens for sessions of the room (lost slips): the old ones lead nowhere from now on."""
    room_id, ids = await _room_session_ids(request, hub)
    return _json({"candidates": await reissue_candidate_tokens(hub.tx, room_id, ids)})


async def post_archive(request: Request, hub: Hub) -> Response:
    """Archive a room: closed for good (running tests go on), its roster frozen; its results stay until
    acknowledged. Proctors hear it as a room event."""
    room_id = request.path_params["room_id"]
    event = room_gate_event(False, hub.tx.now_ms(), archived=True)
    if not await hub.store.archive_room(room_id, event):
        raise Refusal("not_found", f"no room {room_id!r}")
    return _json({"room_id": room_id, "open": False, "archived": True})


async def post_proctor_token(request: Request, hub: Hub) -> Response:
    """A new proctor token for the room: the old one leads nowhere from now on."""
    return _json(await reissue_proctor_token(hub.tx, request.path_params["room_id"]))


async def healthz(request: Request) -> Response:
    hub: Hub = request.app.state.hub
    ok = await hub.store.ping()
    return _json({"status": "ok" if ok else "unavailable", "store": hub.store.kind}, 200 if ok else 503)


async def metrics(request: Request) -> Response:
    """The Prometheus text, for the admin token or ``CAT_METRICS_TOKEN`` (a scraper need not hold the admin's)."""
    hub: Hub = request.app.state.hub
    header = request.headers.get("authorization")
    scrape_token = hub.settings.metrics_token
    if not bearer_matches(header, hub.admin_token) and not (scrape_token and bearer_matches(header, scrape_token)):
        return _error(hub, Refusal("unauthorized", "the admin or metrics bearer token is required"))
    # off the event loop: with several processes it reads and merges every process's file
    return Response(await asyncio.to_thread(hub.metrics.render), media_type=METRICS_CONTENT_TYPE)


def admin_routes() -> list[Route]:
    return [
        Route("/api/info", _admin(get_info), methods=["GET"]),
        Route("/api/batteries", _admin(list_batteries), methods=["GET"]),
        Route("/api/rooms", _admin(post_room), methods=["POST"]),
        Route("/api/rooms", _admin(list_rooms), methods=["GET"]),
        Route("/api/rooms/{room_id}", _admin(get_room), methods=["GET"]),
        Route("/api/rooms/{room_id}/candidates", _admin(post_candidates), methods=["POST"]),
        Route("/api/rooms/{room_id}/candidates", _admin(get_candidates), methods=["GET"]),
        Route("/api/rooms/{room_id}/results", _admin(get_results, room_proctor_reads=True), methods=["GET"]),
        Route("/api/rooms/{room_id}/results/ack", _admin(ack_results), methods=["POST"]),
        Route("/api/rooms/{room_id}/evidence", _admin(get_evidence), methods=["GET"]),
        Route("/api/rooms/{room_id}/integrity", _admin(get_integrity), methods=["GET"]),
        Route("/api/rooms/{room_id}/responses", _admin(get_responses), methods=["GET"]),
        Route("/api/rooms/{room_id}/tokens", _admin(post_tokens), methods=["POST"]),
        Route("/api/rooms/{room_id}/proctor-token", _admin(post_proctor_token), methods=["POST"]),
        Route("/api/rooms/{room_id}/archive", _admin(post_archive), methods=["POST"]),
        Route("/api/export.xlsx", _admin(post_export_xlsx), methods=["POST"]),
        Route("/api/sessions/{session_id}", _admin(get_session), methods=["GET"]),
        Route("/api/sessions/{session_id}", _admin(patch_session), methods=["PATCH"]),
        Route("/api/sessions/{session_id}", _admin(delete_session), methods=["DELETE"]),
        Route("/api/sessions/{session_id}/audit", _admin(get_audit), methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
