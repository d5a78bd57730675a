"""Replacing lost tokens: a new token for a candidate or a room's proctor, and the old one dead.

The store keeps only token digests, so a token is shown once, in the reply that made it (registration, room
creation, or these). An administrator who lost one asks for a new one: the old token leads nowhere from then on
(a connection already signed in with it goes on; its next ``hello`` needs the new token).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .auth import new_candidate_token, new_proctor_token, show_proctor_token
from .store import room_of, token_digest
from .transaction import Transactions
from .wire_errors import Refusal

__all__ = ["MAX_REISSUE", "reissue_candidate_tokens", "reissue_proctor_token"]

MAX_REISSUE = 2000  # session ids per request (a roster's size)


async def reissue_candidate_tokens(tx: Transactions, room_id: str, session_ids: Sequence[str]) -> list[dict[str, Any]]:
    """New tokens for sessions of ``room_id``, in the order asked; the reply is the only place they are shown.

    Raises
    ------
    Refusal
        ``bad_request`` for an empty or too long list or a session of another room, ``not_found`` for a session the
        room does not have (nothing is replaced then).
    """
    if not session_ids or len(session_ids) > MAX_REISSUE:
        raise Refusal("bad_request", f"'session_ids' must list 1 to {MAX_REISSUE} sessions")
    wanted = list(dict.fromkeys(session_ids))
    foreign = [s for s in wanted if room_of(s) != room_id]
    if foreign:
        raise Refusal("bad_request", f"session {foreign[0]!r} is not of room {room_id}")
    known = {c.session_id for c in await tx.store.room_candidates(room_id)}
    missing = [s for s in wanted if s not in known]
    if missing:
        raise Refusal("not_found", f"no session {missing[0]!r} in room {room_id}")
    out = []
    for session_id in wanted:
        token = new_candidate_token()
        cand = await tx.store.replace_candidate_token(session_id, token_digest(token))
        if cand is None:  # expired meanwhile
            raise Refusal("not_found", f"no session {session_id!r}")
        out.append({"employee_id": cand.employee_id, "name": cand.name, "session_id": session_id, "token": token})
    return out


async def reissue_proctor_token(tx: Transactions, room_id: str) -> dict[str, str]:
    """A new proctor token for ``room_id`` (``not_found`` when there is no such room)."""
    token = new_proctor_token()
    if not await tx.store.replace_proctor_token(room_id, token):
        raise Refusal("not_found", f"no room {room_id!r}")
    return {"room_id": room_id, "proctor_token": show_proctor_token(token)}
