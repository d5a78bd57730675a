"""The embedded demo: a room with demo candidates, and the lines that tell a person where to point a browser."""

from __future__ import annotations

from typing import Any

from .auth import show_candidate_token
from .rooms import create_room, register
from .settings import Settings
from .transaction import Transactions

__all__ = ["create_demo_room", "demo_banner", "public_base"]

_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def public_base(settings: Settings) -> str:
    """The address people reach the server at: ``CAT_PUBLIC_URL``, else ``http://HOST:PORT``."""
    return settings.public_url or f"http://{settings.host}:{settings.port}"


def _public_url_warning(settings: Settings, en: bool) -> list[str]:
    """A warning for the banner when slips would carry an address lab computers cannot reach."""
    if settings.public_url is not None or settings.host in _LOOPBACK:
        return []
    if en:
        return [
            "",
            "WARNING: CAT_PUBLIC_URL is not set: slips and links will carry the admin browser's own address.",
            "  Set it to the address lab computers use, e.g. CAT_PUBLIC_URL=http://10.20.30.40:8000",
        ]
    return [
        "",
        "PERINGATAN: CAT_PUBLIC_URL belum diatur: slip dan tautan akan memuat alamat peramban admin sendiri.",
        "  Atur ke alamat yang dipakai komputer lab, mis. CAT_PUBLIC_URL=http://10.20.30.40:8000",
    ]


DEMO_CANDIDATES = 30


async def create_demo_room(tx: Transactions, battery_id: str) -> dict[str, Any]:
    """A room "Ruang Demo" with :data:`DEMO_CANDIDATES` candidates; returns the room and its roster."""
    room = await create_room(tx, "Ruang Demo", battery_id, is_open=True)  # the demo room opens itself
    roster = [{"employee_id": f"DEMO{i:04d}", "name": f"Peserta Demo {i:02d}"} for i in range(1, DEMO_CANDIDATES + 1)]
    room["candidates"] = await register(tx, room["room_id"], roster)
    return room


def demo_banner(settings: Settings, admin_token: str, room: dict[str, Any] | None) -> str:
    """What ``python server.py`` prints at start-up: where to point a browser, and the demo room's tokens."""
    base_url = public_base(settings)
    ws = base_url.replace("http", "ws", 1)
    en = settings.lang == "en"
    lines = [
        "",
        ("CAT server is running at " if en else "Server CAT berjalan di ") + base_url,
        ("  candidate page:  " if en else "  halaman peserta: ") + f"{base_url}/",
        ("  proctor console: " if en else "  konsol pengawas: ") + f"{base_url}/proctor",
        ("  admin page:      " if en else "  halaman admin:   ") + f"{base_url}/admin",
        ("  admin API token: " if en else "  token API admin: ") + admin_token,
        ("  health: " if en else "  kesehatan: ") + f"{base_url}/healthz    metrics: {base_url}/metrics",
        f"  WebSocket: {ws}/ws/candidate  {ws}/ws/proctor  (docs/protocol.md)",
        *_public_url_warning(settings, en),
    ]
    if room is not None:
        lines += [
            "",
            (
                f"Demo room {room['room_id']} ({room['battery']})"
                if en
                else f"Ruang demo {room['room_id']} ({room['battery']})"
            ),
            ("  proctor token: " if en else "  token pengawas: ") + room["proctor_token"],
            ("  proctor console: " if en else "  konsol pengawas: ") + f"{base_url}/proctor#t={room['proctor_token']}",
            ("  candidate tokens (first 5 of " if en else "  token peserta (5 pertama dari ")
            + f"{len(room['candidates'])}; "
            + ("all on the admin page" if en else "semuanya di halaman admin")
            + "):",
        ]
        for cand in room["candidates"][:5]:
            token = cand["token"]
            lines.append(f"    {cand['name']:<18} {show_candidate_token(token)}   {base_url}/#t={token}")
    return "\n".join(lines) + "\n"
