"""Proctor tokens people can handle: an alphabet without look-alikes, dashed groups, typed in any case."""

from __future__ import annotations

import re

from cat_engine.server.auth import (
    ALPHABET,
    new_proctor_token,
    normalise_proctor_token,
    show_proctor_token,
)


def test_new_proctor_tokens_use_the_unambiguous_alphabet_and_differ() -> None:
    tokens = {new_proctor_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert re.fullmatch(f"[{ALPHABET}]{{28}}", token), token
        assert not set(token) & set("01ILO")


def test_printed_in_groups_of_four_and_read_back_however_typed() -> None:
    token = new_proctor_token()
    shown = show_proctor_token(token)
    assert re.fullmatch(r"([A-Z2-9]{4}-){6}[A-Z2-9]{4}", shown), shown
    assert shown.replace("-", "") == token
    for typed in (shown, shown.lower(), " " + shown.replace("-", " ") + " ", token, token.lower()):
        assert normalise_proctor_token(typed) == token, typed


def test_an_earlier_proctor_token_is_kept_as_it_was() -> None:
    legacy = "aB3-_xYz09qwertyUIOPasdfghjklZXC"  # secrets.token_urlsafe(24) of an earlier version
    assert normalise_proctor_token(legacy) == legacy
    assert show_proctor_token(legacy) == legacy
    assert normalise_proctor_token("not a token") == "not a token"
