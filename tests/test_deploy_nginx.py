"""The shipped nginx site (deploy/nginx/): ``nginx -t`` on it as shipped and as rendered for loopback (plain and
HTTPS), the rendering itself (load_tests/nginx.py), its values against docs/operations.md and server.py, and Debian's
nginx running it in front of a real ``python server.py``:

* a process that refuses connections (being restarted) is skipped by every request, WebSocket handshakes and POSTs
  included;
* a socket that sends its request head slowly, or nothing, is closed by nginx (``client_header_timeout``, rendered
  down to 2 s here); a body over 1 MiB is refused by nginx (413);
* ``X-Forwarded-For`` is nginx's, not the client's: the server counts failed hellos per client address behind it,
  and a forged header changes nothing;
* the HTTPS variant serves over TLS (a throwaway certificate) and plain HTTP redirects to it.

Loopback only (clients bind 127.0.0.2 and 127.0.0.3 to be two addresses); every wait is bounded; nothing asserts
speed.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

import server as entry
from load_tests.nginx import (
    SITE,
    SITE_DIR,
    SNIPPET,
    NginxProcess,
    check_config,
    render_site,
    self_signed,
    write_prefix,
)
from load_tests.procs import ServerProcess, free_port

ADMIN_TOKEN = "nginx-" + secrets.token_hex(8)
HEADER_TIMEOUT_S = 2
OPERATIONS = Path(__file__).resolve().parents[1] / "docs" / "operations.md"


def directive(text: str, name: str) -> list[str]:
    """The values of every ``name ...;`` directive in an nginx file (comments skipped)."""
    found = []
    for line in text.splitlines():
        code = line.split("#", 1)[0].strip()
        m = re.fullmatch(rf"{re.escape(name)}\s+(.+);", code)
        if m:
            found.append(m.group(1).strip())
    return found


def shipped(name: str) -> str:
    return (SITE_DIR / name).read_text(encoding="utf-8")


# --- the files ----------------------------------------------------------------------------------------------------


def test_the_shipped_site_passes_nginx_t_as_it_is(tmp_path: Path) -> None:
    result = check_config(write_prefix(tmp_path / "verbatim", verbatim=True))
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.mark.parametrize("variant", ["plain", "https"])
def test_the_rendered_site_passes_nginx_t(tmp_path: Path, variant: str) -> None:
    overrides: dict[str, str] = {"client_header_timeout": f"{HEADER_TIMEOUT_S}s"}
    https_port = None
    if variant == "https":
        cert, key = self_signed(tmp_path / "tls")
        overrides |= {"ssl_certificate": str(cert), "ssl_certificate_key": str(key)}
        https_port = free_port()
    conf = write_prefix(
        tmp_path / variant,
        upstream_ports=[free_port()],
        http_port=free_port(),
        https_port=https_port,
        overrides=overrides,
    )
    result = check_config(conf)
    assert result.returncode == 0, result.stderr


def test_rendering_keeps_the_upstream_parameters_and_listens_on_loopback_only() -> None:
    text = render_site(shipped(SITE), upstream_ports=[9101, 9102, 9103], http_port=9180)
    assert directive(text, "server") == [f"127.0.0.1:{p} max_fails=0" for p in (9101, 9102, 9103)]
    assert directive(text, "listen") == ["127.0.0.1:9180"]
    assert directive(text, "include") == [f"snippets/{SNIPPET}"]
    tls = render_site(shipped(SITE), upstream_ports=[9101], http_port=9180, https_port=9443)
    assert directive(tls, "listen") == ["127.0.0.1:9180", "127.0.0.1:9443 ssl"]
    assert directive(tls, "return") == ["301 https://$host$request_uri"]
    assert directive(tls, "include") == [f"snippets/{SNIPPET}"]  # the plain site's server block is gone
    assert directive(tls, "ssl_protocols") == ["TLSv1.2 TLSv1.3"]
    with pytest.raises(ValueError, match="no directive"):
        render_site(shipped(SNIPPET), upstream_ports=[1], http_port=2, overrides={"client_header_timeuot": "2s"})


def test_nginx_never_marks_a_process_down() -> None:
    """max_fails=0 on every line (why: the comment above the upstream block, and the rolling-restart test)."""
    servers = directive(shipped(SITE), "server")
    assert servers and all(s.endswith(" max_fails=0") for s in servers), servers


def test_the_values_agree_with_the_server_and_the_docs() -> None:
    site, snippet = shipped(SITE), shipped(SNIPPET)
    seconds = {name: int(directive(snippet, name)[0].rstrip("s")) for name in ("proxy_read_timeout",)}
    # a WebSocket is never quiet for proxy_read_timeout while its process pings it
    assert seconds["proxy_read_timeout"] > entry.UVICORN_OPTIONS["ws_ping_interval"]
    assert directive(snippet, "client_max_body_size") == ["1m"]  # the admin API's own limit: 1 MiB
    doc = OPERATIONS.read_text(encoding="utf-8")
    section = doc.split("\n### Behind a reverse proxy\n", 1)[1].split("\n## ", 1)[0]
    assert f"deploy/nginx/{SITE}" in section and f"deploy/nginx/{SNIPPET}" in section
    for name in (
        "client_header_timeout",
        "client_body_timeout",
        "send_timeout",
        "keepalive_timeout",
        "client_max_body_size",
        "proxy_connect_timeout",
        "proxy_next_upstream",
        "proxy_read_timeout",
    ):
        values = set(directive(snippet, name))
        assert len(values) == 1, (name, values)
        assert f"`{name} {values.pop()}`" in section, f"docs/operations.md does not quote {name} as the site has it"
    assert "`max_fails=0`" in section and "max_fails=0" in site
    assert "`CAT_FORWARDED_ALLOW_IPS`" in section and "X-Forwarded-For $remote_addr" in snippet
    assert "```nginx" not in section, "the docs point to the shipped site instead of a copy of it"


# --- nginx running in front of a server ---------------------------------------------------------------------------


@dataclass
class Site:
    nginx: NginxProcess
    server: ServerProcess
    dead_port: int
    https: NginxProcess
    https_port: int
    plain_port: int
    cert: Path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One memory-mode server behind nginx, with a second upstream line that refuses (nobody listens there), and
    the HTTPS variant in front of the same server."""
    work = tmp_path_factory.mktemp("nginx-site")
    env = {"CAT_FORWARDED_ALLOW_IPS": "127.0.0.1", "CAT_HELLO_FAIL_BURST": "2", "CAT_HELLO_FAIL_RATE": "0.1"}
    server = ServerProcess(work / "server", ADMIN_TOKEN, demo_room=False, env=env)
    dead_port, port = free_port(), free_port()
    conf = write_prefix(
        work / "plain",
        upstream_ports=[dead_port, server.port],
        http_port=port,
        overrides={"client_header_timeout": f"{HEADER_TIMEOUT_S}s"},
    )
    nginx = NginxProcess(conf, [port])
    cert, key = self_signed(work / "tls")
    plain_port, https_port = free_port(), free_port()
    tls_conf = write_prefix(
        work / "https",
        upstream_ports=[server.port],
        http_port=plain_port,
        https_port=https_port,
        overrides={"ssl_certificate": str(cert), "ssl_certificate_key": str(key)},
    )
    https = NginxProcess(tls_conf, [plain_port, https_port])
    try:
        server.start()
        nginx.start()
        https.start()
        yield Site(nginx, server, dead_port, https, https_port, plain_port, cert)
    finally:
        https.stop()
        nginx.stop()
        server.stop()


def http(url: str, *, method: str = "GET", body: bytes | None = None, context: ssl.SSLContext | None = None) -> Any:
    """(status, headers, body) of one request; redirects are not followed."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), NoRedirect, urllib.request.HTTPSHandler(context=context)
    )
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with opener.open(request, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers), err.read()


def test_requests_and_websockets_skip_a_process_that_refuses(site: Site) -> None:
    assert [http(site.nginx.base_url + "/healthz")[0] for _ in range(6)] == [200] * 6
    # a POST that reached no process (refused) goes to the next one too: one room per request, none lost
    body = b'{"name": "R", "battery": "cact-demo"}'
    rooms = [http(site.nginx.base_url + "/api/rooms", method="POST", body=body) for _ in range(4)]
    assert [status for status, _, _ in rooms] == [201] * 4
    proctor_token = orjson.loads(rooms[0][2])["proctor_token"]

    async def hellos() -> list[str]:
        codes = []
        for _ in range(4):
            async with connect(site.nginx.ws_url + "/ws/proctor", proxy=None, open_timeout=10) as ws:
                await ws.send(orjson.dumps({"type": "hello", "token": proctor_token}).decode())
                codes.append(orjson.loads(await asyncio.wait_for(ws.recv(), 10))["type"])
        return codes

    assert asyncio.run(hellos()) == ["snapshot"] * 4
    log = site.nginx.error_log()
    assert f"127.0.0.1:{site.dead_port}" in log  # the refusing line was tried, and skipped


def _trickle(port: int, head: bytes, every_s: float, limit_s: float) -> tuple[float, bytes]:
    """Send ``head`` and then one byte every ``every_s`` seconds (never ending the head) until the peer closes;
    (seconds until then, what it sent). AssertionError if still open after ``limit_s``."""
    start = time.monotonic()
    got = b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        if head:
            sock.sendall(head)
        sock.settimeout(every_s)
        while time.monotonic() - start < limit_s:
            try:
                data = sock.recv(4096)
                if not data:
                    return time.monotonic() - start, got
                got += data
            except TimeoutError:
                pass
            except ConnectionResetError:
                return time.monotonic() - start, got
            if head:
                try:
                    sock.sendall(b"a")
                except (BrokenPipeError, ConnectionResetError):
                    return time.monotonic() - start, got
    raise AssertionError(f"still open after {limit_s} s")


@pytest.mark.parametrize("head", [b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ", b""], ids=["slow-head", "silent"])
def test_a_slow_or_silent_socket_is_closed_by_nginx(site: Site, head: bytes) -> None:
    # without nginx the server keeps such a socket open (docs/operations.md); the bound is far above the timeout
    elapsed, got = _trickle(site.nginx.ports[0], head, 0.5, limit_s=8 * HEADER_TIMEOUT_S)
    assert got == b"" or got.startswith(b"HTTP/1.1 408"), got
    assert elapsed >= HEADER_TIMEOUT_S - 0.5  # closed by the timeout, not at once


def test_a_body_over_1_mib_is_refused_by_nginx(site: Site) -> None:
    status, _, body = http(
        site.nginx.base_url + "/api/rooms", method="POST", body=b'{"name": "' + b"x" * (1 << 20) + b'"}'
    )
    assert status == 413 and b"nginx" in body, (status, body[:200])


def test_the_server_counts_failed_hellos_per_client_address_behind_nginx(site: Site) -> None:
    """Each client address (127.0.0.2, 127.0.0.3) has its own budget of 2 failed hellos; a forged X-Forwarded-For
    is replaced by nginx, so it buys nothing."""

    async def hello(source: str, forged: str | None = None) -> str:
        headers = {"X-Forwarded-For": forged} if forged else None
        async with connect(
            site.nginx.ws_url + "/ws/candidate",
            proxy=None,
            open_timeout=10,
            local_addr=(source, 0),
            additional_headers=headers,
        ) as ws:
            await ws.send(orjson.dumps({"type": "hello", "token": "WRONG-" + secrets.token_hex(4)}).decode())
            frame = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            with contextlib.suppress(ConnectionClosed, TimeoutError):
                await asyncio.wait_for(ws.recv(), 5)  # the close that follows bad_token
            return str(frame["code"])

    async def go() -> list[str]:
        return [
            await hello("127.0.0.2"),
            await hello("127.0.0.2"),
            await hello("127.0.0.2"),
            await hello("127.0.0.2", forged="198.51.100.9"),
            await hello("127.0.0.3"),
        ]

    assert asyncio.run(go()) == ["bad_token", "bad_token", "rate_limited", "rate_limited", "bad_token"]


def test_the_https_variant_serves_over_tls_and_plain_http_redirects(site: Site) -> None:
    context = ssl.create_default_context(cafile=str(site.cert))
    status, _, body = http(f"https://127.0.0.1:{site.https_port}/healthz", context=context)
    assert status == 200 and orjson.loads(body)["status"] == "ok"
    status, headers, _ = http(f"http://127.0.0.1:{site.plain_port}/healthz")
    assert status == 301 and headers["Location"].startswith("https://127.0.0.1"), (status, headers)

    async def wss() -> str:
        async with connect(
            f"wss://127.0.0.1:{site.https_port}/ws/proctor", proxy=None, open_timeout=10, ssl=context
        ) as ws:
            await ws.send(orjson.dumps({"type": "ping"}).decode())
            return str(orjson.loads(await asyncio.wait_for(ws.recv(), 10))["type"])

    assert asyncio.run(wss()) == "pong"
