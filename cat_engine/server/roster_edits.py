"""Correcting a roster before the test: edit or remove a candidate who has not started.

A slip with a misspelt name, or a person registered in the wrong room, is fixed before the candidate begins: while
the session is ``ready`` (the battery not started; the candidate may be at the welcome) an administrator may change
the employee id and the name, or remove the session altogether (its token then leads nowhere). Once the battery has
started the record is evidence: ``started`` (409), and nothing changes. The store applies a change only to the
version of the session that was checked, so a candidate who starts at that very moment is never edited or removed.
"""

from __future__ import annotations

from typing import Any

from ..session import Phase
from .rooms import check_text
from .transaction import Loaded, Transactions
from .wire_errors import Refusal

__all__ = ["edit_candidate", "remove_candidate"]

_ATTEMPTS = 5


async def _not_started(tx: Transactions, session_id: str) -> Loaded:
    try:
        loaded = await tx.load(session_id)
    except Refusal as refusal:
        raise Refusal("not_found", f"no session {session_id}") from refusal
    if loaded.state.phase is not Phase.READY:
        raise Refusal("started", f"session {session_id} is {loaded.state.phase.value}")
    return loaded


def _field(body: dict[str, Any], name: str, current: str) -> str:
    if name not in body:
        return current
    try:
        return check_text(body[name])
    except ValueError as exc:
        raise Refusal("bad_request", f"'{name}' {exc}") from None


async def edit_candidate(tx: Transactions, session_id: str, body: Any) -> dict[str, str]:
    """Change the employee id and/or name of a candidate who has not started; the candidate as it is now."""
    if not isinstance(body, dict) or not body or set(body) - {"employee_id", "name"}:
        raise Refusal("bad_request", 'expected {"employee_id": string, "name": string} (either or both)')
    for _ in range(_ATTEMPTS):
        loaded = await _not_started(tx, session_id)
        old = loaded.record.candidate
        employee_id, name = _field(body, "employee_id", old.employee_id), _field(body, "name", old.name)
        if await tx.store.edit_candidate(session_id, loaded.record.version, employee_id, name):
            tx.forget(session_id)
            return {"session_id": session_id, "employee_id": employee_id, "name": name}
        tx.forget(session_id)  # it moved on meanwhile: check it again
    raise Refusal("internal", "the session kept changing under us")


async def remove_candidate(tx: Transactions, session_id: str) -> dict[str, str]:
    """Remove a candidate who has not started, with all that is kept of the session."""
    for _ in range(_ATTEMPTS):
        loaded = await _not_started(tx, session_id)
        if await tx.store.remove_candidate(session_id, loaded.record.version):
            tx.forget(session_id)
            return {"removed": session_id}
        tx.forget(session_id)
    raise Refusal("internal", "the session kept changing under us")
