"""The Starlette app factory: routes, and shared resources opened and closed by the lifespan.

While the app runs, SIGTERM drains its connections before uvicorn's shutdown (:mod:`.draining`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.types import ASGIApp

from ..battery import Battery, load_battery
from . import draining, evidence, tasks
from .admin import admin_routes
from .auth import new_admin_token
from .candidate_ws import candidate_endpoint
from .demo import create_demo_room, demo_banner
from .headers import HttpHeaders
from .hub import Hub
from .loop_lag import watch_loop_lag
from .memory_store import MemoryStore
from .pages import page_routes
from .proctor_ws import proctor_endpoint
from .redis_store import RedisStore
from .room_watch import watch_rooms
from .settings import Settings
from .store import BEAT_INTERVAL_S, Store

__all__ = ["create_app"]

_log = logging.getLogger("cat_engine.server")


class _App(Starlette):
    """Starlette with :class:`~.headers.HttpHeaders` outside everything: ``middleware=`` would put it inside
    Starlette's ServerErrorMiddleware, and a 500 would go out without the headers."""

    def build_middleware_stack(self) -> ASGIApp:
        return HttpHeaders(super().build_middleware_stack())


async def _beat(hub: Hub) -> None:
    while not tasks.cancel_requested():
        with contextlib.suppress(Exception):
            await hub.store.beat(hub.process_id, hub.tx.now_ms())
        await asyncio.sleep(BEAT_INTERVAL_S)


def create_app(settings: Settings | None = None, store: Store | None = None, announce: bool = False) -> Starlette:
    """Build the app. ``store`` overrides the one the settings name; ``announce`` prints the start-up banner."""
    settings = settings or Settings.from_env()
    batteries: dict[str, Battery] = {}
    for path in settings.batteries:
        battery = load_battery(path)
        batteries[battery.id] = battery
    evidence.prime(batteries.values())  # the files as loaded are what evidence bundles name
    signer = evidence.signer_for(settings)  # a bad key file stops the start, not the first bundle
    if settings.redis_url and not settings.admin_token:
        raise ValueError("with REDIS_URL, set CAT_ADMIN_TOKEN so that every process shares one admin token")
    admin_token = settings.admin_token or new_admin_token()

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        the_store = store or (
            RedisStore(
                settings.redis_url,
                settings.key_prefix,
                settings.live_ttl_s,
                settings.acked_ttl_s,
                wait_replicas=settings.redis_wait_replicas,
                wait_timeout_ms=settings.redis_wait_timeout_ms,
                events_keep_s=settings.events_keep_s,
                noise_per_minute=settings.noise_per_minute,
            )
            if settings.redis_url
            else MemoryStore(settings.events_keep_s, settings.noise_per_minute)
        )
        await the_store.start()
        hub = Hub(settings, the_store, batteries, admin_token)
        app.state.hub = hub
        beat = asyncio.create_task(_beat(hub))
        lag = asyncio.create_task(watch_loop_lag(hub.metrics))
        # room-level integrity flags, live (CAT_ROOM_WATCH_S; 0: off)
        watch = None
        if settings.room_watch_s > 0:
            watch = asyncio.create_task(watch_rooms(hub.tx, settings.room_watch_s), name="room-watch")
        room = None
        if settings.demo_room:
            room = await create_demo_room(hub.tx, next(iter(batteries)))
        if announce:
            print(demo_banner(settings, admin_token, room), file=sys.stdout, flush=True)
            print(evidence.key_banner(signer), file=sys.stdout, flush=True)
        unhook = draining.hook_sigterm(hub.drain)
        try:
            yield
        finally:
            if unhook is not None:
                unhook()
            await tasks.stop(beat)
            await tasks.stop(lag)
            if watch is not None:
                await tasks.stop(watch)
            await the_store.close()
            hub.metrics.close()

    routes = [
        *page_routes(),
        WebSocketRoute("/ws/candidate", candidate_endpoint),
        WebSocketRoute("/ws/proctor", proctor_endpoint),
        *admin_routes(),
    ]
    return _App(routes=routes, lifespan=lifespan)
