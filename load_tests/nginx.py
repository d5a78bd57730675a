"""The shipped nginx site (``deploy/nginx/``) rendered for loopback and run as a child process, for the tests.

* :func:`render_site` - the site's text with the upstream's ``server`` lines for given ports (their parameters kept),
  every ``listen`` on a loopback port, directives overridden (e.g. a short ``client_header_timeout``), and, for TLS,
  the plain server block replaced by the commented-out HTTPS blocks, uncommented as the file tells operators to.
* :func:`write_prefix` - a directory nginx runs in: its own ``nginx.conf`` (``daemon off``, pid file, error and
  access logs, temp paths, all inside the directory) that includes the rendered site, and the site's snippet under
  ``snippets/`` where the site's ``include`` finds it (nginx takes relative includes from the directory of the
  main file).
* :class:`NginxProcess` - ``nginx -p <prefix> -c <prefix>/nginx.conf`` as a :class:`~load_tests.procs.Managed`
  child, ready once its ports accept connections; :func:`check_config` - ``nginx -t`` on a prefix.
* :func:`self_signed` - a throwaway certificate and key for the TLS rendering.

Invariants: nginx listens on 127.0.0.1 only, writes nothing outside its prefix (``-e`` sends even the start-up
error log there), runs as the user running the tests (as root: ``user root``, so its workers can use the
prefix), and every wait is bounded.
"""

from __future__ import annotations

import datetime
import itertools
import os
import re
import shutil
import socket
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from .procs import REPO_ROOT, Managed

__all__ = [
    "SITE",
    "SITE_DIR",
    "SNIPPET",
    "NginxProcess",
    "check_config",
    "nginx_binary",
    "render_site",
    "self_signed",
    "write_prefix",
]

SITE_DIR = REPO_ROOT / "deploy" / "nginx"
SITE = "cat-engine.conf"
SNIPPET = "cat-engine-site.conf"
_TLS_HEADING = "# --- the site over HTTPS"
_PLAIN_HEADING = "# --- the site over plain HTTP"


def nginx_binary() -> str:
    """Debian's nginx (``scripts/ensure_nginx.sh`` installs it); RuntimeError when there is none."""
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(found).exists():
        raise RuntimeError("nginx not found: run scripts/ensure_nginx.sh (installs Debian's nginx)")
    return found


def _override(text: str, name: str, value: str) -> tuple[str, int]:
    pattern = re.compile(rf"^(\s*){re.escape(name)}\s+[^;#]*;", re.MULTILINE)
    return pattern.subn(lambda m: f"{m.group(1)}{name} {value};", text)


def _upstream(text: str, ports: Sequence[int]) -> str:
    """The ``upstream cat_engine`` block with one ``server`` line per port, each with the first line's parameters."""
    block = re.search(r"^upstream cat_engine \{\n(.*?)^\}", text, re.MULTILINE | re.DOTALL)
    if block is None:
        raise ValueError("no 'upstream cat_engine { ... }' block in the site")
    lines = block.group(1).splitlines(keepends=True)
    servers = [i for i, line in enumerate(lines) if re.match(r"\s*server\s", line)]
    if not servers:
        raise ValueError("the upstream block has no server line")
    first = re.match(r"(\s*)server\s+\S+(.*;.*\n?)", lines[servers[0]])
    assert first is not None
    indent, rest = first.groups()
    rendered = [f"{indent}server 127.0.0.1:{port}{rest}" for port in ports]
    kept = [line for i, line in enumerate(lines) if i not in servers]
    body = "".join(kept[: servers[0]] + rendered + kept[servers[0] :])
    return text[: block.start(1)] + body + text[block.end(1) :]


def _section(lines: list[str], heading: str) -> tuple[int, int]:
    """The line range of the section whose heading starts with ``heading``, to the next heading or the end."""
    heads = [*(i for i, line in enumerate(lines) if line.startswith("# --- ")), len(lines)]
    for here, following in itertools.pairwise(heads):
        if lines[here].startswith(heading):
            return here, following
    raise ValueError(f"the site has no section {heading!r}")


def _uncomment_tls(text: str) -> str:
    """The HTTPS section with the first ``#`` of each line removed (what the file asks of an operator), in place of
    the plain server block."""
    lines = text.splitlines(keepends=True)
    plain, tls = _section(lines, _PLAIN_HEADING), _section(lines, _TLS_HEADING)
    if plain[1] > tls[0]:
        raise ValueError("the plain-HTTP section must come before the HTTPS one")
    uncommented = [line[1:] if line.startswith("#") else line for line in lines[tls[0] + 1 : tls[1]]]
    replaced = "# (replaced by the HTTPS site below)\n\n"
    return "".join([*lines[: plain[0] + 1], replaced, *lines[plain[1] : tls[0] + 1], *uncommented, *lines[tls[1] :]])


def render_site(
    text: str,
    *,
    upstream_ports: Sequence[int],
    http_port: int,
    https_port: int | None = None,
    overrides: Mapping[str, str] | None = None,
) -> str:
    """The shipped site (or its snippet: no upstream, no ``listen``) rendered for loopback.

    ``https_port`` renders the HTTPS variant (set ``ssl_certificate`` and ``ssl_certificate_key`` in
    ``overrides``). Every ``listen`` of port 80 becomes ``127.0.0.1:<http_port>``, of 443
    ``127.0.0.1:<https_port> ssl``; IPv6 ``listen`` lines go. Each override must match a directive of ``text``
    (ValueError otherwise: a test's override cannot silently miss).
    """
    if "upstream cat_engine" in text:
        if https_port is not None:
            text = _uncomment_tls(text)
        text = _upstream(text, upstream_ports)
        text = re.sub(r"^\s*listen\s+\[::\][^;]*;\n", "", text, flags=re.MULTILINE)
        text = re.sub(r"^(\s*)listen\s+80\b[^;]*;", rf"\g<1>listen 127.0.0.1:{http_port};", text, flags=re.MULTILINE)
        if https_port is not None:
            text = re.sub(
                r"^(\s*)listen\s+443\b[^;]*;", rf"\g<1>listen 127.0.0.1:{https_port} ssl;", text, flags=re.MULTILINE
            )
    for name, value in (overrides or {}).items():
        text, n = _override(text, name, value)
        if n == 0:
            raise ValueError(f"no directive {name!r} to override")
    return text


def write_prefix(
    prefix: Path,
    *,
    upstream_ports: Sequence[int] = (),
    http_port: int = 0,
    https_port: int | None = None,
    overrides: Mapping[str, str] | None = None,
    site_dir: Path = SITE_DIR,
    verbatim: bool = False,
) -> Path:
    """Write nginx's directory: ``nginx.conf`` including the rendered site, and the snippet. Returns nginx.conf.

    ``overrides`` apply to the site and the snippet together: each must match a directive in one of them.
    ``verbatim`` copies the shipped files unchanged instead (for ``nginx -t``: its ports are not bound then).
    """
    prefix = prefix.resolve()
    (prefix / "snippets").mkdir(parents=True, exist_ok=True)
    temp = prefix / "temp"
    temp.mkdir(exist_ok=True)
    site = (site_dir / SITE).read_text(encoding="utf-8")
    snippet = (site_dir / SNIPPET).read_text(encoding="utf-8")
    site_over: dict[str, str] = {}
    snippet_over: dict[str, str] = {}
    for name, value in (overrides or {}).items():
        if _override(snippet, name, value)[1]:
            snippet_over[name] = value
        elif _override(site if https_port is None else _uncomment_tls(site), name, value)[1]:
            site_over[name] = value
        else:
            raise ValueError(f"no directive {name!r} to override in {SITE} or {SNIPPET}")
    if verbatim:
        if overrides:
            raise ValueError("a verbatim copy takes no overrides")
        (prefix / SITE).write_text(site, encoding="utf-8")
        (prefix / "snippets" / SNIPPET).write_text(snippet, encoding="utf-8")
    else:
        if not upstream_ports or not http_port:
            raise ValueError("rendering needs upstream_ports and http_port")
        for name, text, over in ((SITE, site, site_over), (f"snippets/{SNIPPET}", snippet, snippet_over)):
            rendered = render_site(
                text, upstream_ports=upstream_ports, http_port=http_port, https_port=https_port, overrides=over
            )
            (prefix / name).write_text(rendered, encoding="utf-8")
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"""# written by load_tests/nginx.py: the shipped site ({SITE}) on loopback, everything inside this directory
{user}daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log info;
events {{
    worker_connections 1024;
}}
http {{
    log_format upstreams '$remote_addr [$time_local] "$request" $status up=$upstream_addr/$upstream_status';
    access_log {prefix}/access.log upstreams;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {SITE};
}}
""",
        encoding="utf-8",
    )
    return conf


def _argv(conf: Path) -> list[str]:
    prefix = conf.parent
    return [nginx_binary(), "-p", f"{prefix}/", "-c", str(conf), "-e", str(prefix / "error.log")]


def check_config(conf: Path, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """``nginx -t`` on the directory of ``conf`` (its output in ``stderr``)."""
    return subprocess.run(
        [*_argv(conf), "-t"], capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False
    )


def _accepts(port: int) -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return None
    except OSError as err:
        return repr(err)


class NginxProcess(Managed):
    """nginx on the directory of ``conf`` (:func:`write_prefix`), listening on ``ports``; log ``nginx.log`` in it.

    :meth:`~load_tests.procs.Managed.stop` is SIGTERM (nginx's fast shutdown) to its process group.
    """

    def __init__(self, conf: Path, ports: Sequence[int]) -> None:
        self.conf = conf.resolve()
        self.ports = list(ports)
        super().__init__("nginx", _argv(self.conf), os.environ, self.conf.parent, cwd=self.conf.parent)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.ports[0]}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.ports[0]}"

    def start(self, timeout: float = 15.0) -> None:
        """Start, and wait until every port accepts a connection."""
        self.spawn()
        for port in self.ports:
            self._wait(lambda port=port: _accepts(port), timeout)  # type: ignore[misc]

    def error_log(self) -> str:
        try:
            return (self.workdir / "error.log").read_text(errors="replace")
        except OSError:
            return ""


def self_signed(directory: Path, host: str = "127.0.0.1") -> tuple[Path, Path]:
    """A self-signed certificate for ``host`` (an IP address) valid for a day, and its key: ``(cert, key)``."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return cert_path, key_path
