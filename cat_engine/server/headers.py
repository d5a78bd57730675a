"""Headers every HTTP response carries, whatever answered it (an endpoint, a 404 or 405 of the router, a 500).

* ``X-Content-Type-Options: nosniff``: a browser takes the declared type and never guesses, so a JSON reply or an
  error that echoes what a client sent is never run as a script or shown as a page.
* ``Cache-Control: no-store`` on every response that does not set its own (the admin API, ``/healthz``,
  ``/metrics``), and on every error (status 400 and above, a page's or an asset's 404 too): tokens, rosters and
  results stay out of browser and proxy caches. Pages and assets keep the ``Cache-Control`` they set
  (``no-cache``, revalidated: see :mod:`.pages`; the icon ``max-age``).

Pure ASGI: only the ``http.response.start`` message of ``http`` scopes is touched. WebSocket scopes (and their
denial responses) and the lifespan pass through untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["HttpHeaders", "with_headers"]

_NOSNIFF = (b"x-content-type-options", b"nosniff")
_NO_STORE = (b"cache-control", b"no-store")


def with_headers(headers: Iterable[Sequence[bytes]], status: int) -> list[tuple[bytes, bytes]]:
    """``headers`` (ASGI pairs) plus ``nosniff`` when absent, and ``no-store`` when no Cache-Control is set or the
    status is an error (replacing the one set)."""
    out = [(bytes(name), bytes(value)) for name, value in headers]
    names = {name.lower() for name, _ in out}
    if _NOSNIFF[0] not in names:
        out.append(_NOSNIFF)
    if status >= 400:
        out = [(name, value) for name, value in out if name.lower() != _NO_STORE[0]]
        out.append(_NO_STORE)
    elif _NO_STORE[0] not in names:
        out.append(_NO_STORE)
    return out


class HttpHeaders:
    """ASGI middleware that gives every HTTP response the headers of :func:`with_headers`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = with_headers(message.get("headers", ()), int(message["status"]))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
