"""cat_engine.server.auth: tokens and room ids, the typed-token round trip, the admin bearer check, and the form of
room and session ids."""

from __future__ import annotations

import base64
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cat_engine.server.auth import (
    ALPHABET,
    bearer_matches,
    bearer_token,
    is_room_id,
    is_session_id,
    new_admin_token,
    new_candidate_token,
    new_proctor_token,
    new_room_id,
    normalise_candidate_token,
    show_candidate_token,
)

N = 2000


def test_alphabet_has_no_look_alikes_and_no_dash() -> None:
    assert len(set(ALPHABET)) == len(ALPHABET) == 31
    assert not set(ALPHABET) & set("01ILO-abcdefghijklmnopqrstuvwxyz ")
    assert set(ALPHABET) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def test_candidate_tokens_alphabet_length_and_uniqueness() -> None:
    tokens = [new_candidate_token() for _ in range(N)]
    assert all(len(t) == 12 and set(t) <= set(ALPHABET) for t in tokens)
    assert len(set(tokens)) == N
    # every symbol gets used (12 * 2000 draws over 31 symbols)
    assert set("".join(tokens)) == set(ALPHABET)


def test_room_ids_alphabet_length_and_uniqueness() -> None:
    ids = [new_room_id() for _ in range(N)]
    assert all(len(r) == 6 and set(r) <= set(ALPHABET) for r in ids)
    assert all("-" not in r for r in ids)  # a session id "ROOM-0001" splits back
    assert len(set(ids)) == N


@pytest.mark.parametrize(("make", "min_bits"), [(new_proctor_token, 128), (new_admin_token, 128)])
def test_proctor_and_admin_tokens_are_long_url_safe_secrets(make: object, min_bits: int) -> None:
    assert callable(make)
    tokens = [make() for _ in range(200)]
    assert len(set(tokens)) == len(tokens)
    for t in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]+", t)
        raw = base64.urlsafe_b64decode(t + "=" * (-len(t) % 4))
        assert len(raw) * 8 >= min_bits
    assert len(new_admin_token()) > len(new_proctor_token())


def test_show_groups_by_four() -> None:
    assert show_candidate_token("ABCDEFGHJKMN") == "ABCD-EFGH-JKMN"
    token = new_candidate_token()
    shown = show_candidate_token(token)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", shown)


@pytest.mark.parametrize(
    "typed",
    [
        "ABCD-EFGH-JKMN",
        "abcd-efgh-jkmn",
        "ABCDEFGHJKMN",
        "abcdefghjkmn",
        "ABCD EFGH JKMN",
        "  abcd efgh-jkmn  ",
        "aBcD--eFgH--jKmN",
        "A-B-C-D E F G H\tJKMN",
        "ab cd-ef gh-jk mn",
    ],
)
def test_normalise_ignores_case_spaces_and_dashes(typed: str) -> None:
    assert normalise_candidate_token(typed) == "ABCDEFGHJKMN"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=ALPHABET, min_size=12, max_size=12), st.data())
def test_show_normalise_round_trip(token: str, data: st.DataObject) -> None:
    shown = show_candidate_token(token)
    assert normalise_candidate_token(shown) == token
    assert normalise_candidate_token(shown.lower()) == token
    # a person may type it in any case with spaces or dashes anywhere
    seps = data.draw(st.lists(st.sampled_from(["", " ", "-", "  ", " - "]), min_size=13, max_size=13))
    cases = data.draw(st.lists(st.booleans(), min_size=12, max_size=12))
    typed = seps[0] + "".join(
        (c.lower() if low else c) + sep for c, low, sep in zip(token, cases, seps[1:], strict=True)
    )
    assert normalise_candidate_token(typed) == token


def test_round_trip_of_generated_tokens() -> None:
    for _ in range(200):
        token = new_candidate_token()
        assert normalise_candidate_token(show_candidate_token(token)) == token
        assert normalise_candidate_token(show_candidate_token(token).lower().replace("-", " ")) == token


ADMIN = "k3y_-Secret"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        " ",
        "Bearer",
        "Bearer ",
        "Basic " + ADMIN,
        "Token " + ADMIN,
        "Bearer" + ADMIN,
        ADMIN,
        "Bearer wrong",
        "Bearer " + ADMIN.lower(),
        "Bearer " + ADMIN[:-1],
        "Bearer " + ADMIN + "x",
        "Bearer " + ADMIN + " " + ADMIN,
        "Bearer\t" + ADMIN,
        "Bearer Bearer " + ADMIN,
        "Bearer " + "é" + ADMIN,
    ],
)
def test_bearer_refused(header: str | None) -> None:
    assert bearer_matches(header, ADMIN) is False


@pytest.mark.parametrize(
    "header", ["Bearer " + ADMIN, "bearer " + ADMIN, "BEARER " + ADMIN, "Bearer  " + ADMIN, "Bearer " + ADMIN + " "]
)
def test_bearer_accepted(header: str) -> None:
    assert bearer_matches(header, ADMIN) is True


def test_bearer_with_a_generated_admin_token() -> None:
    token = new_admin_token()
    assert bearer_matches(f"Bearer {token}", token)
    assert not bearer_matches(f"Bearer {new_admin_token()}", token)


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc", "abc"),
        ("bearer  abc ", "abc"),
        ("BEARER abc", "abc"),
        ("Bearer ", None),
        ("Basic abc", None),
        ("Bearer", None),
        ("", None),
        (None, None),
        ("abc", None),
    ],
)
def test_bearer_token(header: str | None, token: str | None) -> None:
    assert bearer_token(header) == token


# --- the form of room and session ids --------------------------------------------------------------------------


def test_generated_room_ids_and_session_ids_have_the_form() -> None:
    for _ in range(200):
        room_id = new_room_id()
        assert is_room_id(room_id) and not is_session_id(room_id)
        for number in (1, 42, 9999, 10_000, 123_456):
            session_id = f"{room_id}-{number:04d}"  # as rooms.register names them
            assert is_session_id(session_id) and not is_room_id(session_id)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "R7K2Q",
        "R7K2QXX",
        "r7k2qx",  # lower case: ids are not typed by people
        "R7K2Q0",  # 0, 1, I, L, O are not in the alphabet
        "R7K2Q1",
        "R7K2QI",
        "R7K2QO",
        "R7K2QL",
        "R7K2Q-",
        " R7K2QX",
        "R7K2QX ",
        "R7K2QX\n",
        "R7K2Q\u0425",  # Cyrillic Ha, a look-alike of X
        "R7K2Q\uff38",  # fullwidth X
        "R7K2QX-0001",
        "../x",
        "*",
        None,
        5,
        b"R7K2QX",
    ],
)
def test_not_a_room_id(value: object) -> None:
    assert not is_room_id(value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "R7K2QX",
        "R7K2QX-",
        "R7K2QX-1",
        "R7K2QX-001",
        "R-1",
        "R-0001",
        "ROOM1-0001",
        "r7k2qx-0001",
        "R7K2Q0-0001",
        "R7K2QX-0001:audit",
        "R7K2QX-0001:result",
        "R7K2QX-0001:replies",
        "R7K2QX-0001-x",
        "R7K2QX--0001",
        "R7K2QX_0001",
        "R7K2QX-0001\n",
        "R7K2QX-0001 ",
        " R7K2QX-0001",
        "R7K2QX-\u0661\u0662\u0663\u0664",  # Arabic-Indic digits are digits, not ASCII ones
        "R7K2QX-\uff10\uff10\uff10\uff11",  # fullwidth digits
        "R7K2QX-+001",
        "R7K2QX--001",
        "R7K2QX-1" + "0" * 12,  # 13 digits: overly long
        "R7K2QX-0001" + "1" * 1000,
        "../x",
        "R7K2QX/../x",
        "{R7K2QX}-0001",
        "*",
        None,
        1,
        ["R7K2QX-0001"],
    ],
)
def test_not_a_session_id(value: object) -> None:
    assert not is_session_id(value)


@pytest.mark.parametrize("value", ["R7K2QX-0001", "ABCDEF-9999", "234567-0000", "ZZZZZZ-00001", "R7K2QX-" + "9" * 12])
def test_session_ids(value: str) -> None:
    assert is_session_id(value)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=30), st.from_regex(r"[A-Z0-9]{5,7}(-[0-9]{2,14})?", fullmatch=True)))
def test_ids_are_exactly_the_documented_form(value: str) -> None:
    assert is_room_id(value) == bool(re.fullmatch(r"[A-HJKMNP-Z2-9]{6}", value, flags=re.ASCII))
    assert is_session_id(value) == bool(re.fullmatch(r"[A-HJKMNP-Z2-9]{6}-[0-9]{4,12}", value, flags=re.ASCII))
