"""The browser pages: the candidate page at ``/``, the proctor console at ``/proctor``, the admin page at
``/admin``, and their assets under ``/static/``, all served from the package (no CDN, no web font: an offline
test site works).

Every response carries a Content-Security-Policy that allows scripts, styles and connections from this origin only,
so a page cannot be made to load or send anything elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

__all__ = ["STATIC_DIR", "page_routes"]

STATIC_DIR = Path(__file__).parent / "static"

_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
# no-cache: pages and assets are revalidated (ETag) on every load, so a new release reaches every lab PC at once
_REVALIDATED = {**_HEADERS, "Cache-Control": "no-cache"}
_ASSET_HEADERS = [(k.lower().encode(), v.encode()) for k, v in _REVALIDATED.items()]
_PAGES = {"/": "candidate.html", "/proctor": "proctor.html", "/admin": "admin.html"}


def _page(url: str, file_name: str) -> Route:
    path = STATIC_DIR / file_name

    async def endpoint(request: Request) -> Response:
        return FileResponse(path, media_type="text/html; charset=utf-8", headers=_REVALIDATED)

    return Route(url, endpoint, methods=["GET", "HEAD"])


class _Assets(StaticFiles):
    """StaticFiles with the security headers and revalidation (ETag) on every asset."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += _ASSET_HEADERS
                message = {**message, "headers": headers}
            await send(message)

        await super().__call__(scope, receive, send_with_headers)


async def _favicon(request: Request) -> Response:
    # browsers ask for /favicon.ico whatever the page links; the pages link /static/favicon.svg
    return FileResponse(
        STATIC_DIR / "favicon.svg", media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"}
    )


def page_routes() -> list[BaseRoute]:
    """Routes of the three pages, the icon and ``/static``."""
    pages: list[BaseRoute] = [_page(url, name) for url, name in _PAGES.items()]
    pages.append(Route("/favicon.ico", _favicon, methods=["GET", "HEAD"]))
    return [*pages, Mount("/static", _Assets(directory=STATIC_DIR), name="static")]
