"""How to see a recorded disagreement again: the replay command and the same requests as curl.

Every failure the suite reports ends with both, so a reader can check it with the suite or
without it. Passwords are never written: the commands use ``$DRUID_ADMIN_PASSWORD``-style
placeholders that the reader sets.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conformance.oracle import CaseError
from conformance.runner.replay_plan import NEEDS_FINISHED, ReplayPlan, plan
from fixtures.provision import AUTHENTICATOR, AUTHORIZER, Grant

ACTOR, SUBMITTER = "replay_actor", "replay_submitter"
SECURITY = "$DRUID_URL/proxy/coordinator/druid-ext/basic-security"
ADMIN = '-u "$DRUID_ADMIN_USER:$DRUID_ADMIN_PASSWORD"'
JSON = "-H 'Content-Type: application/json'"


def replay_command(run_dir: Path | str, case_id: str) -> str:
    return f'druid-conformance replay {run_dir} --case {case_id} --druid-url "$DRUID_URL"'


def _provision(user: str, variable: str, grants: tuple[Grant, ...]) -> list[str]:
    authn = f"{SECURITY}/authentication/db/{AUTHENTICATOR}/users/{user}"
    authz = f"{SECURITY}/authorization/db/{AUTHORIZER}"
    permissions = shlex.quote(json.dumps([g.to_json() for g in grants]))
    return [
        f'curl {ADMIN} -X POST "{authn}"',
        f'curl {ADMIN} {JSON} -X POST "{authn}/credentials" -d '
        f'"{{\\"password\\": \\"${variable}\\"}}"',
        f'curl {ADMIN} -X POST "{authz}/users/{user}"',
        f'curl {ADMIN} -X POST "{authz}/roles/{user}_role"',
        f'curl {ADMIN} {JSON} -X POST "{authz}/roles/{user}_role/permissions" -d {permissions}',
        f'curl {ADMIN} -X POST "{authz}/users/{user}/roles/{user}_role"',
    ]


def _login(the_plan: ReplayPlan) -> str:
    if the_plan.anonymous:
        return ""
    if not the_plan.case.authenticated:
        return f'-u "{ACTOR}:not-the-password" '
    return f'-u "{ACTOR}:$ACTOR_PASSWORD" '


def curl_commands(check: Mapping[str, Any], exchange: Mapping[str, Any] | None = None) -> str:
    """A shell script doing by hand what ``replay`` does for one recorded check."""
    try:
        the_plan = plan(check, exchange)
    except CaseError as error:
        return f"# no curl equivalent: {error}"
    case = the_plan.case
    lines = [
        f"# {case.operation} of case {case.id}: documented {check['verdict']['status']}, "
        f"observed {check['observed_status']} on Druid {check.get('druid_version')}",
        "# set DRUID_URL, DRUID_ADMIN_USER, DRUID_ADMIN_PASSWORD, ACTOR_PASSWORD"
        + (", SUBMITTER_PASSWORD" if the_plan.submitter_grants is not None else ""),
        *_provision(ACTOR, "ACTOR_PASSWORD", the_plan.actor_grants),
    ]
    if the_plan.submitter_grants is not None:
        lines += _provision(SUBMITTER, "SUBMITTER_PASSWORD", the_plan.submitter_grants)
    lines.append(
        "# wait (at most 60 s) until the Router accepts the new credentials: users and grants\n"
        "# reach the services by push and by polling, so wait on what can be observed\n"
        f'for i in $(seq 60); do [ "$(curl -s -o /dev/null -w %{{http_code}} '
        f'-u "{ACTOR}:$ACTOR_PASSWORD" "$DRUID_URL/status")" != 401 ] && break; sleep 1; done'
    )
    body = shlex.quote(json.dumps(the_plan.submit_body()))
    submit = the_plan.submit
    if the_plan.submits_only:
        lines.append(
            f'curl -i {_login(the_plan)}{JSON} -X {submit.method} "$DRUID_URL{submit.path}" '
            f"-d {body}"
        )
        return "\n".join(lines)
    owner = SUBMITTER if the_plan.submitter_grants is not None else ACTOR
    secret = "SUBMITTER_PASSWORD" if owner == SUBMITTER else "ACTOR_PASSWORD"
    lines.append(
        f'ID=$(curl -s -u "{owner}:${secret}" {JSON} -X {submit.method} '
        f'"$DRUID_URL{submit.path}" -d {body} | python3 -c '
        f"'import json,sys; print(json.load(sys.stdin)[\"{the_plan.id_key}\"])')"
    )
    endpoint = the_plan.endpoint
    if the_plan.operation in NEEDS_FINISHED:
        lines.append(
            "# results are judged once the query has finished: wait (at most 180 s) for it\n"
            f'for i in $(seq 180); do curl -s -u "{owner}:${secret}" '
            f'"$DRUID_URL/druid/v2/sql/statements/$ID" | grep -qE '
            '\'"state": ?"(SUCCESS|FAILED)"\' && break; sleep 1; done'
        )
    path = the_plan.path("$ID")
    lines.append(f'curl -i {_login(the_plan)}-X {endpoint.method} "$DRUID_URL{path}"')
    return "\n".join(lines)


def reproduction(
    run_dir: Path | str, check: Mapping[str, Any], exchange: Mapping[str, Any] | None = None
) -> str:
    """The block every reported failure ends with."""
    return (
        f"replay: {replay_command(run_dir, str(check['case']['id']))}\n"
        f"or by hand:\n{curl_commands(check, exchange)}"
    )
