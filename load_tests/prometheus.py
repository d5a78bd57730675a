"""A private Prometheus for the tests: the shipped scrape config (deploy/prometheus/) rendered for loopback targets,
Debian's ``prometheus`` on a free loopback port, and its query API; plus the metric names a PromQL expression reads.

* :func:`render_config` - ``deploy/prometheus/prometheus.yml`` with the ``cat-engine`` job's targets and token file
  replaced, a short scrape interval, the other jobs (exporters this machine does not run) dropped, and the shipped
  rules file named by its absolute path.
* :class:`PrometheusServer` - ``prometheus`` on 127.0.0.1 with its data in a directory of its own, ready when
  ``/-/ready`` answers 200; a :class:`~load_tests.procs.Managed` child, so it is killed with the test whatever happens.
* :func:`metric_names` - the metric names in a PromQL expression (for checking dashboards and rules against the
  names the server documents).

Invariants: every child listens on loopback only; every wait is bounded.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from .procs import REPO_ROOT, Managed, free_port, wait_until

__all__ = [
    "DEPLOY_PROMETHEUS",
    "JOB",
    "PrometheusServer",
    "metric_names",
    "prometheus_binary",
    "render_config",
]

DEPLOY_PROMETHEUS = REPO_ROOT / "deploy" / "prometheus"
#: The scrape job of the server processes in the shipped config.
JOB = "cat-engine"

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def prometheus_binary() -> str | None:
    """The ``prometheus`` binary (Debian's package: ``scripts/ensure_prometheus.sh``), None when missing."""
    return shutil.which("prometheus") or ("/usr/bin/prometheus" if Path("/usr/bin/prometheus").exists() else None)


def render_config(
    targets: Sequence[str],
    credentials_file: Path,
    *,
    scrape_interval: str = "1s",
    source: Path = DEPLOY_PROMETHEUS / "prometheus.yml",
) -> str:
    """The shipped config for a test: the ``cat-engine`` job scraping ``targets`` (``host:port`` on loopback) with
    the token in ``credentials_file``, every ``scrape_interval``; other jobs dropped; rule files made absolute.

    ValueError when the shipped config has no ``cat-engine`` job with bearer authorization (the test then fails).
    """
    config: dict[str, Any] = yaml.safe_load(source.read_text())
    jobs = [job for job in config.get("scrape_configs", []) if job.get("job_name") == JOB]
    if len(jobs) != 1:
        raise ValueError(f"{source}: expected one scrape job named {JOB!r}, found {len(jobs)}")
    job = jobs[0]
    auth = job.get("authorization") or {}
    if auth.get("type") != "Bearer" or "credentials_file" not in auth:
        raise ValueError(f"{source}: job {JOB!r} must use authorization type Bearer with a credentials_file")
    for target in targets:
        host = target.rsplit(":", 1)[0]
        if host not in ("127.0.0.1", "localhost", "[::1]"):
            raise ValueError(f"{target!r}: tests scrape loopback only")
    auth["credentials_file"] = str(credentials_file)
    job["static_configs"] = [{"targets": list(targets)}]
    job["scrape_interval"] = scrape_interval
    job["scrape_timeout"] = scrape_interval
    config["scrape_configs"] = [job]
    glob = config.setdefault("global", {})
    glob["scrape_interval"] = scrape_interval
    glob["scrape_timeout"] = scrape_interval
    glob["evaluation_interval"] = scrape_interval
    config["rule_files"] = [str((source.parent / name).resolve()) for name in config.get("rule_files", [])]
    config.pop("alerting", None)
    return str(yaml.safe_dump(config, sort_keys=False))


class PrometheusServer(Managed):
    """``prometheus`` on 127.0.0.1:``port`` (a free one) with ``config_text``; data and log in ``workdir``."""

    def __init__(self, workdir: Path, config_text: str, port: int | None = None) -> None:
        binary = prometheus_binary()
        if binary is None:
            raise RuntimeError("prometheus not found (Debian: ./scripts/ensure_prometheus.sh)")
        workdir = workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = port if port is not None else free_port()
        self.config_file = workdir / "prometheus.yml"
        self.config_file.write_text(config_text)
        argv = [
            binary,
            f"--config.file={self.config_file}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--storage.tsdb.retention.time=1h",
            "--log.level=warn",
        ]
        super().__init__("prometheus", argv, {"PATH": "/usr/bin:/bin"}, workdir, cwd=workdir)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _get(self, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
        try:
            with _OPENER.open(self.base_url + path, timeout=timeout) as resp:
                return int(resp.status), bytes(resp.read())
        except urllib.error.HTTPError as err:
            with err:
                return int(err.code), bytes(err.read())

    def _ready(self) -> str | None:
        try:
            status, body = self._get("/-/ready", timeout=2.0)
        except OSError as err:
            return repr(err)
        return None if status == 200 else f"status {status}: {body[:200]!r}"

    def start(self, timeout: float = 30.0) -> None:
        """Start, and wait until ``/-/ready`` answers 200."""
        self.spawn()
        self._wait(self._ready, timeout)

    def api(self, path: str, **params: str) -> Any:
        """``GET /api/v1/<path>`` with ``params``: its ``data`` (RuntimeError on an error reply)."""
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        status, body = self._get(f"/api/v1/{path}{query}")
        reply = json.loads(body)
        if status != 200 or reply.get("status") != "success":
            raise RuntimeError(f"/api/v1/{path} {params}: {status} {body[:500]!r}")
        return reply["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query: the vector's elements, each ``{"metric": {...}, "value": [t, "v"]}``."""
        data = self.api("query", query=expr)
        if data["resultType"] != "vector":
            raise RuntimeError(f"{expr!r} gave a {data['resultType']}, not a vector")
        return list(data["result"])

    def scalar(self, expr: str) -> float | None:
        """The value of an expression that gives one element, None when it gives none."""
        result = self.query(expr)
        if not result:
            return None
        if len(result) > 1:
            raise RuntimeError(f"{expr!r} gave {len(result)} elements")
        return float(result[0]["value"][1])

    def wait_targets_up(self, count: int, timeout: float = 30.0) -> None:
        """Wait until ``count`` targets of the ``cat-engine`` job were scraped successfully."""

        def check() -> str | None:
            up = self.scalar(f'sum(up{{job="{JOB}"}})')
            return None if up == count else f"{up} targets up"

        wait_until(check, timeout, f"{count} targets of {self.base_url}", self.proc, interval=0.2)


# --- metric names in PromQL --------------------------------------------------------------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_VARIABLE = re.compile(r"\$\{?\w+\}?")
_IDENT = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_KEYWORDS = frozenset(
    {
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "offset",
        "and",
        "or",
        "unless",
        "inf",
        "nan",
        "atan2",
    }
)


def metric_names(expr: str) -> set[str]:
    """The metric names an expression reads: identifiers that are neither functions or aggregations (followed by
    ``(``), keywords, label names (inside ``{...}`` or a grouping list), durations, nor Grafana variables.

    A selector by ``{__name__=...}`` alone is not seen; the dashboards and rules here name their metrics.
    """
    text = _STRING.sub('""', expr)
    text = _VARIABLE.sub(" ", text)
    text = _MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    names = set()
    for match in _IDENT.finditer(text):
        word = match.group()
        rest = text[match.end() :].lstrip()
        if rest.startswith("(") or word.lower() in _KEYWORDS:
            continue
        before = text[: match.start()]
        if before and (before[-1].isdigit() or before[-1] == "."):
            continue  # the unit of a number or duration (5m, 1e3)
        names.add(word)
    return names
