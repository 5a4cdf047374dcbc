"""Credentials.with_traits gives exactly the shape asked for, which traits() reads back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fixtures.client import LOGIN_TRAITS, Credentials

ascii_text = st.text(st.characters(min_codepoint=33, max_codepoint=126).filter(lambda c: c != ":"))


@given(
    user=ascii_text.filter(bool),
    password=ascii_text,
    traits=st.sets(st.sampled_from(LOGIN_TRAITS)),
)
def test_with_traits_gives_exactly_the_traits_asked_for(
    user: str, password: str, traits: set[str]
) -> None:
    shaped = Credentials(user, password).with_traits(traits)
    assert shaped.traits() == tuple(sorted(traits))
    assert shaped.user.startswith(user)  # the name stays recognisable as the run's


def test_reshaping_is_idempotent() -> None:
    once = Credentials("u", "secret").with_traits(LOGIN_TRAITS)
    assert once.with_traits(LOGIN_TRAITS) == once


def test_an_unknown_trait_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown login trait 'password-with-emoji'"):
        Credentials("u", "p").with_traits(["password-with-emoji"])
