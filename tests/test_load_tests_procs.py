"""load_tests.procs: cleaning the echo floor's keys out of a Redis the server also uses; the tree a server runs."""

from __future__ import annotations

from pathlib import Path

import redis
from server_harness import RedisServer

from load_tests.floor import KEY_PATTERN
from load_tests.procs import REPO_ROOT, ServerProcess, delete_keys


def test_delete_keys_removes_only_the_matching_keys(private_redis: RedisServer) -> None:
    client = redis.Redis.from_url(private_redis.url)
    try:
        client.mset({f"floor:123:{n}": b"x" for n in range(2500)})  # more than one scan batch
        client.set("lt-procs:{R1}:s:R1-1", b"session")
        assert delete_keys(private_redis.url, KEY_PATTERN) == 2500
        assert not list(client.scan_iter(match=KEY_PATTERN)) and client.get("lt-procs:{R1}:s:R1-1") == b"session"
        assert delete_keys(private_redis.url, KEY_PATTERN) == 0
    finally:
        client.delete("lt-procs:{R1}:s:R1-1")
        client.close()


def test_a_server_runs_from_the_tree_it_is_given(tmp_path: Path) -> None:
    assert ServerProcess(tmp_path, "t").cwd == REPO_ROOT
    assert ServerProcess(tmp_path, "t", tree=tmp_path / "other").cwd == tmp_path / "other"
