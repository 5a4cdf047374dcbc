"""SecurityAdmin reading basic-security back: the listings the state machine's invariant compares.

Against canned answers in the shapes Druid 27 documents (``druid-basic-security.md``, "Coordinator
Security API"), no Druid.
"""

from __future__ import annotations

from typing import Any, cast

import pytest

from fixtures.client import DruidClient, Exchange
from fixtures.errors import InfrastructureError
from fixtures.provision import Grant, SecurityAdmin

AUTHN = "/druid-ext/basic-security/authentication/db/basic"
AUTHZ = "/druid-ext/basic-security/authorization/db/basic"


class Canned:
    """Answers GET requests from a dict of path -> body (200), recording the paths asked."""

    def __init__(self, answers: dict[str, Any]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    def request(self, method: str, path: str, body: object = None) -> Exchange:
        self.asked.append(f"{method} {path}")
        return Exchange(method, path, "admin", body, 200, self.answers[path], 0.0, 0.0, seq=7)


def admin(answers: dict[str, Any]) -> tuple[SecurityAdmin, Canned]:
    canned = Canned(answers)
    return SecurityAdmin(cast(DruidClient, canned)), canned


def test_listings_are_sets_of_names() -> None:
    security, _ = admin(
        {
            f"{AUTHN}/users": ["admin", "druid_system", "alice"],
            f"{AUTHZ}/users": ["admin", "alice"],
            f"{AUTHZ}/roles": ["admin", "reader"],
        }
    )
    assert security.list_users() == {"admin", "druid_system", "alice"}
    assert security.list_authorizer_users() == {"admin", "alice"}
    assert security.list_roles() == {"admin", "reader"}


def test_a_users_roles_are_read_from_its_entry() -> None:
    security, canned = admin({f"{AUTHZ}/users/a%20b": {"name": "a b", "roles": ["r1", "r2"]}})
    assert security.user_roles("a b") == {"r1", "r2"}
    assert canned.asked == [f"GET {AUTHZ}/users/a%20b"]


def test_a_roles_permissions_are_read_simplified() -> None:
    body = {
        "name": "reader",
        "users": None,
        "permissions": [
            {"resource": {"name": "wiki.*", "type": "DATASOURCE"}, "action": "READ"},
            {"resource": {"name": ".*", "type": "EXTERNAL"}, "action": "READ"},
        ],
    }
    security, canned = admin({f"{AUTHZ}/roles/reader?simplifyPermissions": body})
    assert security.role_permissions("reader") == (
        Grant("DATASOURCE", "wiki.*", "READ"),
        Grant("EXTERNAL", ".*", "READ"),
    )
    assert canned.asked == [f"GET {AUTHZ}/roles/reader?simplifyPermissions"]


@pytest.mark.parametrize(
    ("call", "path", "body"),
    [
        ("list_roles", f"{AUTHZ}/roles", {"roles": []}),
        ("list_users", f"{AUTHN}/users", ["alice", 3]),
        ("user_roles", f"{AUTHZ}/users/u", {"name": "u"}),
        ("role_permissions", f"{AUTHZ}/roles/u?simplifyPermissions", {"permissions": None}),
        (
            "role_permissions",
            f"{AUTHZ}/roles/u?simplifyPermissions",
            {"permissions": [{"resourceAction": {}, "resourceNamePattern": "x"}]},
        ),
    ],
)
def test_an_unexpected_shape_is_an_infrastructure_error(call: str, path: str, body: Any) -> None:
    security, _ = admin({path: body})
    method = getattr(security, call)
    with pytest.raises(InfrastructureError) as raised:
        method() if call.startswith("list_") else method("u")
    assert raised.value.exchange_seq == 7
