"""Credentials from public reports: passwords with ``:``, non-ASCII names, what a 401 echoes.

HTTP Basic (RFC 7617) splits ``user:password`` at the first colon only, so a password may hold
colons, and sends it as UTF-8 bytes here (the suite builds the header itself,
``fixtures.client._Utf8BasicAuth``). basic-security's credentials API takes any password, so a
user made with such a name or password must be able to log in: each user below submits
``SELECT 1`` with its own credentials, judged by the oracle as an authenticated user holding
nothing; the check keeps the credentials' traits (``Credentials.traits``), which a registry
entry can name (Druid 27.0.0 refuses passwords with ``:``: DRUID-BASIC-COLON-PASSWORD).

A 401 must not echo the user name it was sent (a name such as ``<script>x</script>`` would be
reflected): NO-ECHO-IN-401, a property of ``conformance/runner/properties.toml``, not in Druid's
MSQ security pages; the answer is also judged by the oracle as a 401.
"""

from __future__ import annotations

import json
import secrets

import pytest

from conformance.runner import properties
from conformance.runner.checks import assert_conforms
from conformance.runner.run import Run
from conformance.runner.scenario import Judge, ScenarioRunner
from fixtures.client import Credentials, DruidClient, Exchange
from strategies.grants import UserSpec

pytestmark = pytest.mark.druid

LITERAL = "SELECT 1"

PASSWORDS = {
    "colon inside": "pa:ss",
    "colon first": ":pa",
    "colon last": "pa:",
    "colons only": ":::",
    "non-ASCII": "pässwörd-ß-密码",
    "spaces and symbols": "p w=\"'%+&/\\",
}


def _judged(
    judge: Judge,
    label: str,
    exchange: Exchange,
    authenticated: bool,
    login: Credentials | None = None,
) -> None:
    check = judge.check(
        label,
        "submit",
        exchange,
        sql=LITERAL,
        context={},
        permissions=(),
        actor_is_submitter=True,
        authenticated=authenticated,
        login=login.traits() if login is not None else (),
    )
    assert_conforms([check])


@pytest.mark.parametrize("password", list(PASSWORDS.values()), ids=list(PASSWORDS))
def test_a_user_logs_in_with_any_password_the_api_accepted(
    password: str, router: DruidClient, judge: Judge, scenario_runner: ScenarioRunner, run: Run
) -> None:
    user = UserSpec(f"cred_{run.tag}_{secrets.token_hex(3)}", password, ())
    login = Credentials(user.name, password)
    with scenario_runner.provisioned([user]):
        exchange = router.as_user(login).submit_task(LITERAL)
    _judged(judge, "submit (a password from a public report)", exchange, True, login)


def test_a_user_with_a_non_ascii_name_logs_in(
    router: DruidClient, judge: Judge, scenario_runner: ScenarioRunner, run: Run
) -> None:
    user = UserSpec(f"üser_{run.tag}_{secrets.token_hex(3)}", secrets.token_urlsafe(12), ())
    login = Credentials(user.name, user.password)
    with scenario_runner.provisioned([user]):
        exchange = router.as_user(login).submit_task(LITERAL)
    _judged(judge, "submit (a non-ASCII user name)", exchange, True, login)


def _text(exchange: Exchange) -> str:
    body = exchange.body
    return body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)


def test_a_401_does_not_echo_the_user_name(router: DruidClient, judge: Judge, run: Run) -> None:
    name = f"<script>x{secrets.token_hex(3)}</script>"
    exchange = router.as_user(Credentials(name, secrets.token_urlsafe(12))).submit_task(LITERAL)
    _judged(judge, "submit (an unknown user named like markup)", exchange, authenticated=False)
    echoed = name in _text(exchange)
    evidence = f"  sent user name {name!r}; answer: {exchange.status} {_text(exchange)[:300]}"
    properties.expect(run, "NO-ECHO-IN-401", not echoed, evidence, judge.druid_version)
