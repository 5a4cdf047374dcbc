"""User names and passwords, valid and awkward, wrong passwords, and "no credentials".

What druid-basic-security accepts was observed on Druid 27.0.0 (users created through
``/druid-ext/basic-security/authentication/db/basic/users/{name}`` with the name percent-encoded
by the client, then authenticated with HTTP Basic, credentials sent as UTF-8 bytes):

- user names with spaces, ``/ ? # % + & = ; , ' " \\ [ ] { } | ~ ! @ $ ^ * ( )``, tabs, accents,
  CJK, emoji and 200+ characters are stored and authenticate;
- a ``:`` in a user name never authenticates (HTTP Basic splits ``user:password`` at the first
  colon), and a ``:`` in a PASSWORD does not authenticate either on 27.0.0 (401): RFC 7617
  allows it, so ``passwords(colon=True)`` exists to check that as a deviation, off by default;
- non-ASCII only works if the client encodes the Basic credentials as UTF-8 (``requests``
  encodes ``str`` credentials as Latin-1: pass ``bytes``).

Generated names are a fresh prefix from a ``Namer`` plus an optional awkward suffix, so they are
unique per example whatever the suffix draws.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

from fixtures.client import Credentials
from strategies.naming import Namer

__all__ = [
    "NO_CREDENTIALS",
    "Credentials",
    "NoCredentials",
    "awkward_text",
    "credentials_for",
    "passwords",
    "user_names",
    "wrong_passwords",
]


@dataclass(frozen=True)
class NoCredentials:
    """A request sent without an Authorization header (expected: 401)."""

    def __str__(self) -> str:
        return "<no credentials>"


NO_CREDENTIALS = NoCredentials()


# Control characters and surrogates cannot travel in a URL path or a Basic header; ':' is the
# Basic separator (see the module docstring).
def _characters(excluded: str) -> st.SearchStrategy[str]:
    return st.characters(
        blacklist_categories=("Cc", "Cs", "Co", "Cn"), blacklist_characters=excluded
    )


_PUNCTUATION = " /?#%+&=;,'\"\\[]{}|~!@$^*().-_"

awkward_text = st.text(
    alphabet=st.one_of(
        st.sampled_from(_PUNCTUATION),
        _characters(":"),
    ),
    min_size=1,
    max_size=12,
)
"""Punctuation, unicode letters and symbols; never ':' nor control characters."""

_plain_suffix = st.from_regex(r"[a-z0-9_]{1,8}", fullmatch=True)


def user_names(namer: Namer, hint: str = "user") -> st.SearchStrategy[str]:
    """Fresh user (or role) names: ``namer(hint)``, then plain, awkward or long suffixes."""
    suffix = st.one_of(
        st.just(""),
        _plain_suffix.map(lambda s: "_" + s),
        awkward_text.map(lambda s: "_" + s),
        st.integers(100, 200).map(lambda n: "_" + "x" * n),
    )
    return st.builds(lambda s: namer(hint) + s, suffix)


def passwords(*, colon: bool = False) -> st.SearchStrategy[str]:
    """Passwords: simple tokens, unicode and punctuation; ``colon`` allows ':' (see above)."""
    excluded = "" if colon else ":"
    awkward = st.text(
        alphabet=_characters(excluded),
        min_size=1,
        max_size=40,
    )
    simple = st.from_regex(r"[A-Za-z0-9]{12,24}", fullmatch=True)
    return st.one_of(simple, awkward)


def wrong_passwords(password: str) -> st.SearchStrategy[str]:
    """Passwords that differ from ``password``: near misses first, then anything else."""
    near = [
        password + "x",
        password[:-1],
        password.swapcase(),
        password[::-1],
        "",
        " " + password,
    ]
    return st.one_of(st.sampled_from(near), passwords()).filter(lambda p: p != password)


def credentials_for(user: str, password: str) -> st.SearchStrategy[Credentials | NoCredentials]:
    """Credentials that do NOT authenticate ``user``: a wrong password, or none at all."""
    wrong = wrong_passwords(password).map(lambda p: Credentials(user, p))
    return st.one_of(wrong, st.just(NO_CREDENTIALS))
