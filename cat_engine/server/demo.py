"""The embedded demo: a room with demo candidates, and the lines that tell a person where to point a browser."""

from __future__ import annotations

from typing import Any

from .auth import show_candidate_token
from .rooms import create_room, register
from .transaction import Transactions

__all__ = ["create_demo_room", "demo_banner"]

DEMO_CANDIDATES = 30


async def create_demo_room(tx: Transactions, battery_id: str) -> dict[str, Any]:
    """A room "Ruang Demo" with :data:`DEMO_CANDIDATES` candidates; returns the room and its roster."""
    room = await create_room(tx, "Ruang Demo", battery_id)
    roster = [{"employee_id": f"DEMO{i:04d}", "name": f"Peserta Demo {i:02d}"} for i in range(1, DEMO_CANDIDATES + 1)]
    room["candidates"] = await register(tx, room["room_id"], roster)
    return room


def demo_banner(base_url: str, admin_token: str, room: dict[str, Any] | None, lang: str = "id") -> str:
    """What ``python server.py`` prints at start-up: where to point a browser, and the demo room's tokens."""
    ws = base_url.replace("http", "ws", 1)
    en = lang == "en"
    lines = [
        "",
        ("CAT server is running at " if en else "Server CAT berjalan di ") + base_url,
        ("  candidate page:  " if en else "  halaman peserta: ") + f"{base_url}/",
        ("  proctor console: " if en else "  konsol pengawas: ") + f"{base_url}/proctor",
        ("  admin page:      " if en else "  halaman admin:   ") + f"{base_url}/admin",
        ("  admin API token: " if en else "  token API admin: ") + admin_token,
        ("  health: " if en else "  kesehatan: ") + f"{base_url}/healthz    metrics: {base_url}/metrics",
        f"  WebSocket: {ws}/ws/candidate  {ws}/ws/proctor  (docs/protocol.md)",
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
