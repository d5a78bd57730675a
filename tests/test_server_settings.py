"""cat_engine.server.settings: Settings.from_env defaults, parsing of every variable, and errors naming it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from cat_engine.server.settings import Settings

DEMO = Path(__file__).resolve().parents[1] / "item_pools" / "cact_demo.toml"


def test_defaults_from_an_empty_environment() -> None:
    s = Settings.from_env({})
    assert s == Settings()
    assert s.redis_url is None
    assert (s.host, s.port) == ("127.0.0.1", 8000)
    assert s.admin_token is None
    assert s.key_prefix == "cat"
    assert s.batteries == (DEMO,)
    assert s.batteries[0].is_file()
    assert s.demo_room is True
    assert s.lang == "id"
    assert s.live_ttl_s == 259200
    assert s.acked_ttl_s == 2592000
    assert s.max_frame_bytes == 4096
    assert (s.flood_burst, s.flood_rate) == (200, 20.0)
    assert s.hello_timeout_s == 10.0
    assert s.workers == 1


def test_from_env_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "9123")
    monkeypatch.setenv("CAT_LANG", "en")
    monkeypatch.delenv("REDIS_URL", raising=False)
    s = Settings.from_env()
    assert s.port == 9123
    assert s.lang == "en"


def test_empty_values_mean_the_default() -> None:
    env = dict.fromkeys(
        (
            "REDIS_URL",
            "PORT",
            "CAT_ADMIN_TOKEN",
            "CAT_BATTERIES",
            "CAT_LIVE_TTL_S",
            "CAT_ACKED_TTL_S",
            "CAT_MAX_FRAME_BYTES",
            "CAT_FLOOD_BURST",
            "CAT_FLOOD_RATE",
            "CAT_HELLO_TIMEOUT_S",
            "CAT_WORKERS",
            "CAT_PROCTOR_BATCH_MS",
            "CAT_EVENTS_KEEP_S",
            "CAT_REDIS_WAIT_REPLICAS",
            "CAT_REDIS_WAIT_TIMEOUT_MS",
        ),
        "",
    )
    s = Settings.from_env(env)
    assert s.redis_url is None and s.admin_token is None
    assert s.port == 8000 and s.batteries == (DEMO,) and s.workers == 1
    assert s.max_frame_bytes == 4096 and s.flood_rate == 20.0 and s.hello_timeout_s == 10.0
    assert s.proctor_batch_ms == 500
    assert (s.events_keep_s, s.redis_wait_replicas, s.redis_wait_timeout_ms) == (300, 0, 1000)


@pytest.mark.parametrize(
    ("name", "raw", "attr", "value"),
    [
        ("REDIS_URL", "redis://localhost:6379/2", "redis_url", "redis://localhost:6379/2"),
        ("HOST", "0.0.0.0", "host", "0.0.0.0"),
        ("PORT", "8080", "port", 8080),
        ("PORT", "0", "port", 0),
        ("PORT", "65535", "port", 65535),
        ("CAT_ADMIN_TOKEN", "s3cret", "admin_token", "s3cret"),
        ("CAT_KEY_PREFIX", "cat-staging", "key_prefix", "cat-staging"),
        ("CAT_LANG", "en", "lang", "en"),
        ("CAT_LANG", "id", "lang", "id"),
        ("CAT_LIVE_TTL_S", "60", "live_ttl_s", 60),
        ("CAT_LIVE_TTL_S", "86400", "live_ttl_s", 86400),
        ("CAT_ACKED_TTL_S", "3600", "acked_ttl_s", 3600),
        ("CAT_MAX_FRAME_BYTES", "256", "max_frame_bytes", 256),
        ("CAT_MAX_FRAME_BYTES", "1048576", "max_frame_bytes", 1 << 20),
        ("CAT_FLOOD_BURST", "50", "flood_burst", 50),
        ("CAT_FLOOD_RATE", "2.5", "flood_rate", 2.5),
        ("CAT_FLOOD_RATE", "100", "flood_rate", 100.0),
        ("CAT_HELLO_TIMEOUT_S", "0.5", "hello_timeout_s", 0.5),
        ("CAT_HELLO_TIMEOUT_S", "30", "hello_timeout_s", 30.0),
        ("CAT_WORKERS", "4", "workers", 4),
        ("CAT_PROCTOR_BATCH_MS", "0", "proctor_batch_ms", 0),
        ("CAT_PROCTOR_BATCH_MS", "1000", "proctor_batch_ms", 1000),
        (
            "REDIS_URL",
            "redis+cluster://10.0.0.1:7000,10.0.0.2:7000",
            "redis_url",
            "redis+cluster://10.0.0.1:7000,10.0.0.2:7000",
        ),
        ("CAT_EVENTS_KEEP_S", "10", "events_keep_s", 10),
        ("CAT_EVENTS_KEEP_S", "3600", "events_keep_s", 3600),
        ("CAT_REDIS_WAIT_REPLICAS", "1", "redis_wait_replicas", 1),
        ("CAT_REDIS_WAIT_REPLICAS", "16", "redis_wait_replicas", 16),
        ("CAT_REDIS_WAIT_TIMEOUT_MS", "10", "redis_wait_timeout_ms", 10),
        ("CAT_REDIS_WAIT_TIMEOUT_MS", "60000", "redis_wait_timeout_ms", 60000),
    ],
)
def test_each_variable_is_parsed(name: str, raw: str, attr: str, value: Any) -> None:
    s = Settings.from_env({name: raw})
    assert getattr(s, attr) == value
    assert type(getattr(s, attr)) is type(value)
    # nothing else moved
    defaults = Settings.from_env({})
    others = {k for k in Settings.__dataclass_fields__ if k != attr and not (name == "REDIS_URL" and k == "demo_room")}
    assert all(getattr(s, k) == getattr(defaults, k) for k in others)


def test_batteries_are_comma_separated_paths(tmp_path: Path) -> None:
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    s = Settings.from_env({"CAT_BATTERIES": f" {a} ,{b},, "})
    assert s.batteries == (a, b)
    assert all(isinstance(p, Path) for p in s.batteries)
    assert Settings.from_env({"CAT_BATTERIES": " , "}).batteries == (DEMO,)


def test_demo_room_defaults_on_without_redis_and_off_with_it() -> None:
    assert Settings.from_env({}).demo_room is True
    assert Settings.from_env({"REDIS_URL": ""}).demo_room is True  # an empty REDIS_URL is no Redis
    assert Settings.from_env({"REDIS_URL": "redis://localhost:6379/0"}).demo_room is False


@pytest.mark.parametrize("redis", [None, "redis://localhost:6379/0"])
@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("yes", True), ("0", False), ("false", False), ("no", False)]
)
def test_demo_room_can_be_set_either_way(redis: str | None, raw: str, expected: bool) -> None:
    env = {"CAT_DEMO_ROOM": raw}
    if redis is not None:
        env["REDIS_URL"] = redis
    assert Settings.from_env(env).demo_room is expected


@pytest.mark.parametrize("raw", ["False", "NO", "off"])
def test_demo_room_off_spellings(raw: str) -> None:
    assert Settings.from_env({"CAT_DEMO_ROOM": raw}).demo_room is False


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("PORT", "http"),
        ("PORT", "80.5"),
        ("PORT", "-1"),
        ("PORT", "65536"),
        ("CAT_LIVE_TTL_S", "59"),
        ("CAT_LIVE_TTL_S", "3d"),
        ("CAT_LIVE_TTL_S", str(10**8 + 1)),
        ("CAT_ACKED_TTL_S", "0"),
        ("CAT_ACKED_TTL_S", "1.5"),
        ("CAT_ACKED_TTL_S", str(10**9 + 1)),
        ("CAT_MAX_FRAME_BYTES", "255"),
        ("CAT_MAX_FRAME_BYTES", "4k"),
        ("CAT_MAX_FRAME_BYTES", str((1 << 20) + 1)),
        ("CAT_FLOOD_BURST", "0"),
        ("CAT_FLOOD_BURST", "10001"),
        ("CAT_FLOOD_BURST", "many"),
        ("CAT_FLOOD_RATE", "0"),
        ("CAT_FLOOD_RATE", "0.09"),
        ("CAT_FLOOD_RATE", "10000.5"),
        ("CAT_FLOOD_RATE", "fast"),
        ("CAT_FLOOD_RATE", "nan"),
        ("CAT_FLOOD_RATE", "inf"),
        ("CAT_HELLO_TIMEOUT_S", "0"),
        ("CAT_HELLO_TIMEOUT_S", "3601"),
        ("CAT_HELLO_TIMEOUT_S", "10s"),
        ("CAT_HELLO_TIMEOUT_S", "-5"),
        ("CAT_WORKERS", "0"),
        ("CAT_PROCTOR_BATCH_MS", "-1"),
        ("CAT_PROCTOR_BATCH_MS", "10001"),
        ("CAT_PROCTOR_BATCH_MS", "0.5"),
        ("CAT_EVENTS_KEEP_S", "9"),
        ("CAT_EVENTS_KEEP_S", "five"),
        ("CAT_REDIS_WAIT_REPLICAS", "-1"),
        ("CAT_REDIS_WAIT_REPLICAS", "17"),
        ("CAT_REDIS_WAIT_TIMEOUT_MS", "9"),
        ("CAT_REDIS_WAIT_TIMEOUT_MS", "60001"),
        ("CAT_WORKERS", "257"),
        ("CAT_WORKERS", "two"),
        ("CAT_LANG", "fr"),
        ("CAT_LANG", "EN"),
        ("CAT_LANG", "id "),
        ("CAT_KEY_PREFIX", "a b"),
        ("CAT_KEY_PREFIX", "cat{1}"),
        ("CAT_KEY_PREFIX", "{cat"),
    ],
)
def test_bad_values_raise_value_error_naming_the_variable(name: str, raw: str) -> None:
    with pytest.raises(ValueError, match=re.escape(name)):
        Settings.from_env({name: raw})


def test_the_error_names_the_bad_variable_among_good_ones() -> None:
    env = {"PORT": "8080", "CAT_WORKERS": "4", "CAT_FLOOD_BURST": "lots", "CAT_LANG": "en"}
    with pytest.raises(ValueError, match="CAT_FLOOD_BURST") as info:
        Settings.from_env(env)
    assert "lots" in str(info.value)  # and the value given


def test_settings_are_frozen() -> None:
    s = Settings.from_env({})
    with pytest.raises(AttributeError):
        s.port = 1  # type: ignore[misc]


def test_empty_prefix_and_language_fall_back_to_their_defaults() -> None:
    settings = Settings.from_env({"CAT_KEY_PREFIX": "", "CAT_LANG": "", "CAT_DEMO_ROOM": ""})
    assert (settings.key_prefix, settings.lang, settings.demo_room) == ("cat", "id", True)


def test_the_signing_key_file_must_exist(tmp_path: Path) -> None:
    assert Settings.from_env({}).signing_key_file is None
    assert Settings.from_env({"CAT_SIGNING_KEY_FILE": ""}).signing_key_file is None
    key = tmp_path / "key.pem"
    key.write_text("(a key; read when the app starts)")
    assert Settings.from_env({"CAT_SIGNING_KEY_FILE": str(key)}).signing_key_file == key
    for missing in (tmp_path / "none.pem", tmp_path):
        with pytest.raises(ValueError, match="CAT_SIGNING_KEY_FILE"):
            Settings.from_env({"CAT_SIGNING_KEY_FILE": str(missing)})
