"""The image build names every artifact Maven could not resolve, in one line (issue 16, item 4).

The logs in ``tests/data/maven/`` are real Maven output (trimmed, see its README): Debian's Maven
3.8.7 and Maven 3.9.16 resolving the reactor of ``fixtures/maven.py`` against this workplace's
partial mirror of Maven Central, a first time (fresh misses), a second time (misses Maven
answers from its cache), with ``-U`` (asked again), and against a loopback mirror that refuses,
answers 503 or never answers (transfer failures).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from fixtures import maven
from fixtures.errors import ImageBuildError
from fixtures.maven import Unresolved, coordinate, failure_message, parse_log
from fixtures.releases import release

DATA = Path(__file__).parent / "data" / "maven"

SERVICES_31 = "org.apache.druid:druid-services:31.0.0"
EXTENSIONS_31 = (
    "org.apache.druid.extensions:druid-basic-security:31.0.0",
    "org.apache.druid.extensions:druid-multi-stage-query:31.0.0",
)
MISSING_37 = (
    "com.fasterxml.jackson.jaxrs:jackson-jaxrs-smile-provider:2.20.2",
    "org.apache.druid:druid-multi-stage-query:37.0.0",
    "org.apache.druid:druid-sql:37.0.0",
)


def _log(name: str) -> str:
    return (DATA / name).read_text()


def _summary(found: list[Unresolved]) -> dict[str, tuple[str, bool, tuple[str, ...]]]:
    return {u.coordinate: (u.problem, u.cached, u.modules) for u in found}


# --- every shape of Maven's messages, from real logs ---


@pytest.mark.parametrize(
    ("name", "cached"),
    [
        ("mvn-3.8.7-31.0.0-first.log", False),
        ("mvn-3.8.7-31.0.0-cached.log", True),
        ("mvn-3.8.7-31.0.0-asked-again.log", False),
    ],
)
def test_each_module_of_a_release_is_named_when_all_three_are_missing(
    name: str, cached: bool
) -> None:
    """``Could not find artifact X`` (fresh) and ``X was not found in URL during a previous
    attempt`` (cached), one per module of the reactor: every module's artifact is found."""
    assert _summary(parse_log(_log(name))) == {
        EXTENSIONS_31[0]: ("missing", cached, ("druid-basic-security",)),
        EXTENSIONS_31[1]: ("missing", cached, ("druid-multi-stage-query",)),
        SERVICES_31: ("missing", cached, ("druid-services",)),
    }


@pytest.mark.parametrize(
    ("name", "cached"),
    [("mvn-3.8.7-37.0.0-asked-again.log", False), ("mvn-3.8.7-37.0.0-cached.log", True)],
)
def test_maven_3_8_lists_three_unresolved_but_explains_one_and_all_three_are_named(
    name: str, cached: bool
) -> None:
    """``The following artifacts could not be resolved: a, b, c: <why a>``: the issue's Druid
    37.0.0, where the old message named only the first of the three."""
    found = parse_log(_log(name))
    assert _summary(found) == {c: ("missing", cached, ("druid-services",)) for c in MISSING_37}
    assert all(u.no_pom for u in found)  # Maven warned that none has a POM either


@pytest.mark.parametrize(
    ("name", "cached"),
    [("mvn-3.9.16-37.0.0-first.log", False), ("mvn-3.9.16-37.0.0-cached.log", True)],
)
def test_maven_3_9_dependency_blocks_are_read_per_module(name: str, cached: bool) -> None:
    """Maven 3.9's ``dependency: X (compile)`` blocks, one failing project after another (this
    reactor also asked for 37.0.0's MSQ extension, which no longer exists from Druid 35)."""
    expected = {c: ("missing", cached, ("druid-services",)) for c in MISSING_37}
    expected["org.apache.druid.extensions:druid-multi-stage-query:37.0.0"] = (
        "missing",
        cached,
        ("druid-multi-stage-query",),
    )
    assert _summary(parse_log(_log(name))) == expected


@pytest.mark.parametrize("name", ["mvn-3.8.7-99.0.0-first.log", "mvn-3.9.16-99.0.0-first.log"])
def test_a_missing_parent_pom_is_one_artifact_needed_by_every_module(name: str) -> None:
    """``Non-resolvable import POM`` (3.9: with ``(absent)``): the second module meets Maven's
    memory of the first's miss in the same run, which is not a miss of an earlier attempt."""
    found = parse_log(_log(name))
    assert _summary(found) == {
        "org.apache.druid:druid:99.0.0": (
            "missing",
            False,
            ("druid-basic-security", "druid-services"),
        )
    }
    message = failure_message("99.0.0", found, [Path("/l/maven.log")], False, 1)
    assert "org.apache.druid:druid:99.0.0 (Druid's parent POM" in message


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("mvn-3.8.7-37.0.0-refused.log", "Connection refused"),
        ("mvn-3.8.7-37.0.0-503.log", "503 Service Unavailable"),
        ("mvn-3.8.7-37.0.0-timeout.log", "Read timed out"),
    ],
)
def test_a_registry_that_does_not_answer_is_a_transfer_problem_with_its_reason(
    name: str, reason: str
) -> None:
    """``Failed to collect dependencies at A -> B -> X: ... Could not transfer artifact X
    from/to ...: reason``: an infrastructure problem, with the Druid module it came through."""
    (found,) = parse_log(_log(name))
    assert found == Unresolved(
        coordinate=MISSING_37[0],
        problem="transfer",
        cached=False,
        modules=("druid-services",),
        via=("druid-server",),
        reasons=(reason,),
    )
    message = failure_message("37.0.0", [found], [Path("/l/maven.log")], False, 1)
    assert f"the registry did not answer for 1 artifact ({reason}: an infrastructure" in message
    assert "missing" not in message.replace("not a missing artifact", "")
    assert "for druid-services via druid-server: " + MISSING_37[0] in message


def test_a_transfer_failure_maven_remembers_in_the_same_run_keeps_its_original_error() -> None:
    """``X failed to transfer from URL during a previous attempt ... Original error: Could not
    transfer artifact X ...``: the original error is not a second, fresh failure."""
    (found,) = parse_log(_log("mvn-3.8.7-28.0.0-refused-import.log"))
    assert found.coordinate == "org.apache.druid:druid:28.0.0"
    assert (found.problem, found.cached) == ("transfer", False)  # the first project asked
    assert found.reasons == ("Connection refused",)
    only_cached = (
        "[ERROR] Non-resolvable import POM: org.apache.druid:druid:pom:28.0.0 failed to transfer "
        "from http://127.0.0.1:9/maven2 during a previous attempt. This failure was cached in the "
        "local repository and resolution is not reattempted until the update interval of "
        "central-for-everything has elapsed or updates are forced. Original error: Could not "
        "transfer artifact org.apache.druid:druid:pom:28.0.0 from/to central-for-everything "
        "(http://127.0.0.1:9/maven2): transfer failed for http://127.0.0.1:9/maven2/org/apache/"
        "druid/druid/28.0.0/druid-28.0.0.pom @ line 8, column 51"
    )
    (cached,) = parse_log(only_cached)
    assert (cached.problem, cached.cached, cached.reasons) == (
        "transfer",
        True,
        ("transfer failed",),
    )


def test_maven_3_9_transfer_failures_listed_as_absent_are_transfer_problems() -> None:
    """3.9 marks an artifact ``(absent)`` (not in the local repository) whatever the reason:
    the reason that follows decides."""
    found = parse_log(_log("mvn-3.9.16-37.0.0-refused.log"))
    assert {u.coordinate for u in found} == set(MISSING_37)
    assert {(u.problem, u.reasons) for u in found} == {("transfer", ("Connection refused",))}


def test_the_older_resolvers_cached_wording_is_a_cached_miss() -> None:
    """Maven before 3.8 (as quoted in public reports): ``Failure to find X in URL was cached in
    the local repository, resolution will not be reattempted until ...``, and its transfer twin."""
    text = (
        "[ERROR] Failed to execute goal on project druid-services: Could not resolve dependencies "
        "for project conformance.local:druid-services:pom:1: The following artifacts could not be "
        "resolved: org.apache.druid:druid-sql:jar:37.0.0, org.apache.druid:druid-multi-stage-"
        "query:jar:37.0.0: Failure to find org.apache.druid:druid-sql:jar:37.0.0 in "
        "https://repo.maven.apache.org/maven2 was cached in the local repository, resolution will "
        "not be reattempted until the update interval of central has elapsed or updates are "
        "forced -> [Help 1]\n"
        "[ERROR] Failed to execute goal on project druid-basic-security: Could not resolve "
        "dependencies for project conformance.local:druid-basic-security:pom:1: Failure to "
        "transfer org.apache.druid.extensions:druid-basic-security:jar:37.0.0 from "
        "https://repo.maven.apache.org/maven2 was cached in the local repository, resolution will "
        "not be reattempted until the update interval of central has elapsed or updates are "
        "forced. Original error: Could not transfer artifact org.apache.druid.extensions:druid-"
        "basic-security:jar:37.0.0 from/to central (https://repo.maven.apache.org/maven2): "
        "Connection reset -> [Help 1]\n"
    )
    assert _summary(parse_log(text)) == {
        "org.apache.druid.extensions:druid-basic-security:37.0.0": (
            "transfer",
            True,
            ("druid-basic-security",),
        ),
        "org.apache.druid:druid-multi-stage-query:37.0.0": ("missing", True, ("druid-services",)),
        "org.apache.druid:druid-sql:37.0.0": ("missing", True, ("druid-services",)),
    }


def test_a_log_of_another_failure_names_no_artifact_and_says_its_error() -> None:
    text = (
        "[INFO] BUILD FAILURE\n"
        "[ERROR] Non-parseable POM /w/druid-services/pom.xml: end tag name </project> must match "
        "start tag name <dependencies> @ line 40, column 11 -> [Help 2]\n"
        "[ERROR] \n[ERROR] To see the full stack trace of the errors, re-run Maven with the -e "
        "switch.\n"
    )
    assert parse_log(text) == []
    message = failure_message("30.0.0", [], [Path("/l/maven.log")], False, 1, text)
    assert message.startswith("Druid 30.0.0 cannot be assembled: Maven failed (exit 1) without")
    assert "Non-parseable POM /w/druid-services/pom.xml" in message
    assert "To see the full stack trace" not in message


def test_a_coordinate_is_group_artifact_version() -> None:
    assert (
        coordinate("org.apache.druid:druid-sql:jar:37.0.0") == "org.apache.druid:druid-sql:37.0.0"
    )
    assert coordinate("org.apache.druid:druid:pom:99.0.0") == "org.apache.druid:druid:99.0.0"
    assert coordinate("io.netty:netty-transport-native-epoll:jar:linux-x86_64:4.1.108.Final") == (
        "io.netty:netty-transport-native-epoll:4.1.108.Final:linux-x86_64"
    )
    with pytest.raises(ValueError, match="not a Maven artifact"):
        coordinate("org.apache.druid:druid-sql")


# --- the one line ---


def test_the_issue_case_names_all_three_artifacts_in_one_line() -> None:
    found = parse_log(_log("mvn-3.8.7-37.0.0-asked-again.log"))
    logs = [Path("/c/druid/37.0.0/build/maven.log"), Path("/c/druid/37.0.0/build/again.log")]
    message = failure_message("37.0.0", found, logs, True, 1)
    assert message == (
        "Druid 37.0.0 cannot be assembled: 3 artifacts are missing from the Maven repository "
        "reachable here (the registry was asked again now with mvn -U: Maven had cached misses "
        "of an earlier attempt): for druid-services: "
        "com.fasterxml.jackson.jaxrs:jackson-jaxrs-smile-provider:2.20.2, "
        "org.apache.druid:druid-multi-stage-query:37.0.0, org.apache.druid:druid-sql:37.0.0; "
        "none of them has a POM there either, so what they need in turn is not known yet "
        "(Maven logs: /c/druid/37.0.0/build/maven.log, /c/druid/37.0.0/build/again.log)"
    )


def test_a_releases_own_modules_are_named_without_saying_who_needs_them() -> None:
    found = parse_log(_log("mvn-3.8.7-31.0.0-first.log"))
    message = failure_message("31.0.0", found, [Path("/l/maven.log")], False, 1)
    assert message == (
        "Druid 31.0.0 cannot be assembled: 3 artifacts are missing from the Maven repository "
        f"reachable here: {EXTENSIONS_31[0]}, {EXTENSIONS_31[1]}, {SERVICES_31}; none of them has "
        "a POM there either, so what they need in turn is not known yet (Maven log: /l/maven.log)"
    )


def test_cached_misses_not_asked_again_are_said_to_be_from_an_earlier_attempt() -> None:
    found = parse_log(_log("mvn-3.8.7-31.0.0-cached.log"))
    message = failure_message("31.0.0", found, [Path("/l/maven.log")], False, 1)
    assert "(3 as Maven remembers from an earlier attempt, not asked again; mvn -U asks again)" in (
        message
    )


def test_twenty_artifacts_of_several_modules_stay_one_readable_line() -> None:
    items = [
        Unresolved(f"org.example:lib-{n:02d}:1.{n}", "missing", False, ("druid-services",))
        for n in range(17)
    ]
    items += [
        Unresolved("org.example:lib-00:1.0", "missing", False, ("druid-basic-security",)),
        Unresolved(
            "org.apache.druid.extensions:druid-basic-security:31.0.0",
            "missing",
            False,
            ("druid-basic-security",),
        ),
        Unresolved("io.x:shared:2", "missing", False, ("druid-basic-security", "druid-services")),
    ]
    message = failure_message("31.0.0", items, [Path("/l/maven.log")], False, 1)
    assert "\n" not in message
    assert "20 artifacts are missing" in message
    for item in items:
        assert item.coordinate in message
    # grouped: each module's label once, the release's own module first and unlabelled
    assert message.count("for druid-services: ") == 1
    assert message.count("for druid-basic-security: ") == 1
    assert "here: org.apache.druid.extensions:druid-basic-security:31.0.0; for " in message
    assert "for druid-basic-security, druid-services: io.x:shared:2" in message
    assert len(message) < 1300


def test_transfer_problems_and_misses_are_said_apart_in_one_line() -> None:
    items = [
        Unresolved("a.b:c:1", "transfer", False, ("druid-services",), reasons=("Read timed out",)),
        Unresolved(
            "a.b:d:1", "transfer", False, ("druid-services",), reasons=("Connection reset",)
        ),
        Unresolved("a.b:e:1", "missing", False, ("druid-services",)),
    ]
    message = failure_message("30.0.0", items, [Path("/l/maven.log")], False, 1)
    assert message == (
        "Druid 30.0.0 cannot be assembled: the registry did not answer for 2 artifacts (an "
        "infrastructure problem, not a missing artifact: try again later): for druid-services: "
        "a.b:c:1 (Read timed out), a.b:d:1 (Connection reset); and 1 artifact is missing from "
        "the Maven repository reachable here: for druid-services: a.b:e:1 (Maven log: /l/maven.log)"
    )


# --- the build: one reactor, asked again past Maven's cache ---


def test_the_reactor_has_every_module_of_a_release_and_its_substitutions(tmp_path: Path) -> None:
    rel = release("27.0.0")
    home = tmp_path / "opt" / "druid"
    modules = maven.write_reactor(rel, tmp_path / "build", home)
    assert modules == ["druid-services", *rel.extensions, "substitutions"]
    ns = {"m": "http://maven.apache.org/POM/4.0.0"}
    root = ET.parse(tmp_path / "build" / "pom.xml").getroot()
    assert [m.text for m in root.findall("m:modules/m:module", ns)] == modules
    for module in modules:
        pom = ET.parse(tmp_path / "build" / module / "pom.xml").getroot()
        assert pom.findtext("m:artifactId", namespaces=ns) == module
        out = pom.findtext("m:properties/m:outputDirectory", namespaces=ns)
        lib = module in ("druid-services", "substitutions")
        assert out == str(home / "lib" if lib else home / "extensions" / module)
    services = ET.parse(tmp_path / "build" / "druid-services" / "pom.xml").getroot()
    excluded = services.findall(".//m:exclusion/m:artifactId", ns)
    assert "druid-indexing-hadoop" in [e.text for e in excluded]
    subs = ET.parse(tmp_path / "build" / "substitutions" / "pom.xml").getroot()
    (dependency,) = subs.findall("m:dependencies/m:dependency", ns)
    assert dependency.findtext("m:artifactId", namespaces=ns) == "druid-indexing-hadoop"
    assert dependency.findtext("m:version", namespaces=ns) == "28.0.0"


class _FakeMaven:
    """Stands in for ``run_maven``: each call writes the next real log and returns its code."""

    def __init__(self, runs: list[tuple[str | None, int]]) -> None:
        self.runs = runs
        self.asked_again: list[bool] = []

    def __call__(self, work: Path, log: Path, ask_again: bool) -> int:
        self.asked_again.append(ask_again)
        name, code = self.runs[len(self.asked_again) - 1]
        log.write_text(_log(name) if name else "[INFO] BUILD SUCCESS\n")
        return code


def _resolve(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: _FakeMaven) -> str | None:
    monkeypatch.setattr(maven, "run_maven", fake)
    try:
        maven.resolve_release(release("31.0.0"), tmp_path / "build", tmp_path / "opt" / "druid")
    except ImageBuildError as error:
        return str(error)
    return None


def test_cached_misses_are_asked_again_and_named_as_missing_now(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _FakeMaven([("mvn-3.8.7-31.0.0-cached.log", 1), ("mvn-3.8.7-31.0.0-asked-again.log", 1)])
    message = _resolve(tmp_path, monkeypatch, fake)
    assert fake.asked_again == [False, True]
    assert message is not None
    assert (
        "3 artifacts are missing from the Maven repository reachable here (the registry was "
        in (message)
    )
    assert "asked again now with mvn -U" in message
    build = tmp_path / "build"
    assert message.endswith(
        f"(Maven logs: {build / 'maven.log'}, {build / 'maven-asked-again.log'})"
    )


def test_a_cached_miss_that_resolves_when_asked_again_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _FakeMaven([("mvn-3.8.7-31.0.0-cached.log", 1), (None, 0)])
    assert _resolve(tmp_path, monkeypatch, fake) is None
    assert fake.asked_again == [False, True]


def test_fresh_misses_are_not_asked_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("mvn-3.8.7-31.0.0-first.log", "mvn-3.8.7-99.0.0-first.log"):
        fake = _FakeMaven([(name, 1)])
        message = _resolve(tmp_path, monkeypatch, fake)
        assert fake.asked_again == [False]
        assert message is not None and "asked again" not in message
