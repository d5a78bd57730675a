"""Tokens and identifiers: generation, normalisation and constant-time checks.

* Candidate tokens are typed by people: 12 symbols from an alphabet without look-alikes (0/O, 1/I/L), about 59
  bits, shown as ``ABCD-EFGH-JKMN``; case, spaces and dashes do not matter when typed.
* Proctor tokens are 28 symbols of the same alphabet (about 139 bits), shown in dashed groups of four like the
  candidate slips (``ABCD-EFGH-...``) and, like them, read without regard to case, spaces or dashes. A proctor token
  of the earlier form (a URL-safe secret, case-sensitive) still works as it was issued.
* Admin tokens are long URL-safe secrets (256 bits).
* Room ids are 6 symbols of the same alphabet (no ``-``, so a session id ``R7K2QX-0001`` splits back); a session
  id is ``<room id>-<n>``, ``n`` the session's number in its room, at least 4 ASCII digits (``{n:04d}``).
  :func:`is_room_id` and :func:`is_session_id` check that form (at most 12 digits, far beyond any room) wherever an
  id comes in, before it names a store key: a crafted id such as ``R7K2QX-0001:audit`` is unknown, not a key of
  another type.
"""

from __future__ import annotations

import hmac
import re
import secrets
from typing import Any

__all__ = [
    "ALPHABET",
    "bearer_matches",
    "bearer_token",
    "is_room_id",
    "is_session_id",
    "new_admin_token",
    "new_candidate_token",
    "new_proctor_token",
    "new_room_id",
    "normalise_candidate_token",
    "normalise_proctor_token",
    "show_candidate_token",
    "show_proctor_token",
]

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_CANDIDATE_LEN = 12
_PROCTOR_LEN = 28
_PROCTOR_TOKEN = re.compile(f"[{ALPHABET}]{{{_PROCTOR_LEN}}}")
_ROOM_ID = re.compile(f"[{ALPHABET}]{{6}}")
_SESSION_ID = re.compile(f"[{ALPHABET}]{{6}}-[0-9]{{4,12}}")


def _symbols(n: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(n))


def new_candidate_token() -> str:
    return _symbols(_CANDIDATE_LEN)


def show_candidate_token(token: str) -> str:
    """``ABCDEFGHJKMN`` -> ``ABCD-EFGH-JKMN`` for printing."""
    return "-".join(token[i : i + 4] for i in range(0, len(token), 4))


def normalise_candidate_token(typed: str) -> str:
    """What a person typed, reduced to the stored form (upper case, no spaces or dashes)."""
    return "".join(c for c in typed.upper() if c not in " -\t")


def new_proctor_token() -> str:
    """A proctor token in its stored form (28 symbols, no dashes); :func:`show_proctor_token` is its printed form."""
    return _symbols(_PROCTOR_LEN)


def show_proctor_token(token: str) -> str:
    """The printed form of a proctor token: groups of four joined by dashes (an older token is shown as it is)."""
    return show_candidate_token(token) if _PROCTOR_TOKEN.fullmatch(token) else token


def normalise_proctor_token(typed: str) -> str:
    """What a person typed or pasted, reduced to the stored form: case, spaces and dashes ignored when it then has
    the form of a proctor token; otherwise unchanged (a token of the earlier, case-sensitive form)."""
    reduced = normalise_candidate_token(typed)
    return reduced if _PROCTOR_TOKEN.fullmatch(reduced) else typed


def new_admin_token() -> str:
    return secrets.token_urlsafe(32)


def new_room_id() -> str:
    return _symbols(6)


def is_room_id(value: Any) -> bool:
    """Whether ``value`` has the form of a room id (a string of 6 symbols of :data:`ALPHABET`)."""
    return isinstance(value, str) and _ROOM_ID.fullmatch(value) is not None


def is_session_id(value: Any) -> bool:
    """Whether ``value`` has the form of a session id: a room id, ``-``, then 4 to 12 ASCII digits."""
    return isinstance(value, str) and _SESSION_ID.fullmatch(value) is not None


def bearer_token(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme in any case), None for anything else."""
    scheme, _, value = (header or "").partition(" ")
    token = value.strip()
    return token if scheme.lower() == "bearer" and token else None


def bearer_matches(header: str | None, admin_token: str) -> bool:
    """Whether an ``Authorization`` header carries ``Bearer <admin_token>`` (constant-time comparison)."""
    token = bearer_token(header)
    return token is not None and hmac.compare_digest(token.encode(), admin_token.encode())
