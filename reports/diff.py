"""Two stored runs compared check by check: what changed in authorization between them.

Two runs of the same seed on two Druid releases (or two settings of one) ask the same questions.
:func:`compare` pairs the checks that asked the same question and keeps those whose answer
changed; ``druid-conformance diff`` prints them and ``reports/diff_html.py`` writes them as a page.

The question of a check (:func:`question`) is its case without what belongs to one run or one
cluster: the label (the test's operation x query kind), the operation, the statement, the
context, the actor's permissions (a set: their order is not compared), whether the actor is
authenticated and is the submitter, the datasources that exist and whether the task exists.
Left out: the case id, the oracle profile and the cluster settings (a release or a setting is
what the two runs differ by). The names a run makes for itself carry its run tag (the last part
of the run id: ``p354ae7_ds10``, ``dev_354ae7_2e4ca9``); each such name in a case is replaced by
its place among the case's own run-made names (the first is ``{n1}``), and a permission pattern
cut from one (``p354a.*``, ``p354ae7_d.10``) by the slice of it that it quotes (``{n1[0:5]}``),
so the same draw of two runs is the same question. A question asked several times in a run
pairs in order: its first occurrence in A with its first in B, and so on; the rest are *only in
A* or *only in B*: counted apart, never a change. Runs of another seed or Hypothesis profile ask
other questions: only the few they share pair.

A paired check *changed* when Druid's answer did (its status class: any 2xx is one answer, as
``checks.same_answer`` compares them; any other status by its code), or when the oracle's verdict
did (its kind or status: the settings or the release changed what the documentation requires;
another deciding rule for the same status is not a change). Changes are grouped by what changed
(the answer, else the verdict alone), operation, query kind, deciding rule and the transition
(``2xx -> 403``), each group with its count and its smallest example (shortest statement, then
fewest permissions).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fixtures.errors import BadInputError
from reports import records
from reports.html import kind_key, operation_key, split_label
from reports.records import RecordedRun

ANSWER, VERDICT = "answer", "verdict"  # what a change group says changed, answers first
CHANGES = (ANSWER, VERDICT)
MAX_LABELS = 5  # labels a terminal line of "only in" checks names before "... and N more"

_TOKEN = re.compile(r"[A-Za-z0-9_]+")
_TAG = re.compile(r"[0-9a-f]{6}")
_HEX_SUFFIX = re.compile(r"(?:_[0-9a-f]+(?=_|$))*")
# a shorter piece of a pattern counts only as a name's start: ``e`` is in many a tag
_MIN_FRAGMENT = 3


# --- the question of a check -----------------------------------------------------------------


def run_tag(run_id: str) -> str | None:
    """The tag a run's own names carry: ``354ae7`` of ``20261129T213403Z-354ae7`` (``Run.tag``);
    None when the id does not end in one (then no name is taken for a run-made one)."""
    tag = run_id.rsplit("-", 1)[-1]
    return tag if "-" in run_id and _TAG.fullmatch(tag) else None


class _Names:
    """The run-made names of one case, numbered in the order met, and the text that replaces
    them and the pattern pieces cut from them."""

    def __init__(self, tag: str | None) -> None:
        self.tag = tag
        self.names: list[str] = []  # lower-cased

    def _made(self, token: str) -> bool:
        return self.tag is not None and self.tag in token.lower()

    def add(self, text: str) -> None:
        """Number each run-made name in ``text`` not met before (nor a piece of one)."""
        for token in _TOKEN.findall(text):
            lowered = token.lower()
            if self._made(token) and not any(lowered in name for name in self.names):
                self.names.append(lowered)

    def _span(self, name: str) -> tuple[int, int]:
        """Where a name is the run's own: its tag and the random hex parts right after it."""
        assert self.tag is not None
        start = name.find(self.tag)
        end = start + len(self.tag)
        suffix = _HEX_SUFFIX.match(name, end)
        return start, suffix.end() if suffix else end

    def _placeholder(self, token: str, fragments: bool) -> str:
        lowered = token.lower()
        for number, name in enumerate(self.names, 1):
            if lowered == name:
                return f"{{n{number}{_case(token, name)}}}"
        if not fragments:
            return token
        for number, name in enumerate(self.names, 1):
            start, end = self._span(name)
            at = name.find(lowered)
            # a short piece only as the name's start (a prefix cut): ``e`` is in many a tag
            while at != -1 and (at == 0 or len(token) >= _MIN_FRAGMENT):
                if at < end and at + len(token) > start:  # quotes some of the run's own part
                    piece = name[at : at + len(token)]
                    return f"{{n{number}[{at}:{at + len(token)}]{_case(token, piece)}}}"
                at = name.find(lowered, at + 1)
        return token

    def replace(self, text: str, fragments: bool = False) -> str:
        """``text`` with its run-made names (with ``fragments``, also the pieces of them a
        permission pattern quotes) replaced by their numbers."""
        if self.tag is None:
            return text
        return _TOKEN.sub(lambda m: self._placeholder(m.group(0), fragments), text)


def _case(token: str, name: str) -> str:
    """How ``token`` is spelled against the lower-case ``name`` it equals but for case:
    '' when alike, else which of its characters differ ('~' then 0/1 per character)."""
    if token == name:
        return ""
    return "~" + "".join("1" if a != b else "0" for a, b in zip(token, name, strict=True))


def _replace_values(value: Any, names: _Names) -> Any:
    if isinstance(value, str):
        return names.replace(value)
    if isinstance(value, Mapping):
        return {str(k): _replace_values(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_values(v, names) for v in value]
    return value


def question(check: Mapping[str, Any], tag: str | None) -> str:
    """The question a check asked, as a JSON text two runs of one seed share (module doc):
    ``tag`` is its run's (``run_tag``). Raises nothing for a line ``checked`` accepted."""
    case = check["case"]
    sql = str(case["sql"])
    context = case.get("context") or {}
    permissions = case.get("permissions") or []
    existing = case.get("existing_datasources")
    names = _Names(tag)
    names.add(sql)
    for name in existing or ():
        names.add(str(name))
    names.add(json.dumps(context, sort_keys=True))
    for permission in permissions:
        names.add(str(permission.get("name", "")))
    held = sorted(
        json.dumps(
            {**permission, "name": names.replace(str(permission.get("name", "")), True)},
            sort_keys=True,
        )
        for permission in permissions
    )
    return json.dumps(
        {
            "label": check.get("label"),
            "operation": case["operation"],
            "sql": names.replace(sql),
            "context": _replace_values(context, names),
            "permissions": held,
            "authenticated": case.get("authenticated", True),
            "actor_is_submitter": case.get("actor_is_submitter", True),
            "existing_datasources": (
                None if existing is None else sorted(names.replace(str(n)) for n in existing)
            ),
            "task_exists": case.get("task_exists", True),
        },
        sort_keys=True,
    )


# --- one run, read and checked ---------------------------------------------------------------


def load(run_dir: Path) -> RecordedRun:
    """A stored run (``records.load``: its history.jsonl is required) whose check lines hold
    what a diff reads. Raises BadInputError for a missing or unreadable directory, a history
    that is not JSON lines, or a check line without its case, verdict or observed status."""
    try:
        run = records.load(run_dir)
    except (OSError, UnicodeDecodeError) as error:
        raise BadInputError(f"{run_dir}: cannot read the run ({error})") from None
    for number, check in enumerate(run.checks, 1):
        checked(check, f"{run_dir / records.HISTORY}: check {number}")
    return run


def checked(check: Mapping[str, Any], where: str) -> Mapping[str, Any]:
    """``check`` if it holds a case (an object with string ``operation`` and ``sql``), a verdict
    (an object) and an integer ``observed_status``; else BadInputError naming ``where``."""
    case, verdict = check.get("case"), check.get("verdict")
    if not isinstance(case, Mapping):
        raise BadInputError(f"{where}: no case")
    for key in ("operation", "sql"):
        if not isinstance(case.get(key), str):
            raise BadInputError(f"{where}: its case has no {key}")
    if not isinstance(case.get("permissions") or [], list) or not all(
        isinstance(p, Mapping) for p in case.get("permissions") or []
    ):
        raise BadInputError(f"{where}: its case's permissions are not a list of objects")
    if not isinstance(case.get("context") or {}, Mapping):
        raise BadInputError(f"{where}: its case's context is not an object")
    if not isinstance(case.get("existing_datasources") or [], list):
        raise BadInputError(f"{where}: its case's existing_datasources are not a list")
    if not isinstance(verdict, Mapping):
        raise BadInputError(f"{where}: no verdict")
    status = check.get("observed_status")
    if not isinstance(status, int) or isinstance(status, bool):
        raise BadInputError(f"{where}: no observed_status")
    return check


@dataclass(frozen=True)
class RunFacts:
    """What a diff says of one run: which Druid, how it was set up and asked, how it ended."""

    id: str
    druid_version: str | None
    oracle_profile: str | None
    settings: Mapping[str, Any]
    hypothesis_profile: str | None
    seed: Any  # the Hypothesis seed recorded (None: derandomised, as ``ci``)
    end: records.RunEnd
    checks: int

    @classmethod
    def of(cls, run: RecordedRun) -> RunFacts:
        """From summary.json (or timings.json); the Druid version from a check when neither
        names it."""
        summary = run.summary
        version = summary.get("druid_version")
        if not version and run.checks:
            version = run.checks[0].get("druid_version")
        settings = summary.get("settings")
        return cls(
            id=run.id,
            druid_version=None if version is None else str(version),
            oracle_profile=summary.get("oracle_profile"),
            settings=settings if isinstance(settings, Mapping) else {},
            hypothesis_profile=summary.get("hypothesis_profile"),
            seed=summary.get("hypothesis_seed"),
            end=run.end,
            checks=len(run.checks),
        )

    def settings_text(self) -> str:
        """``authorizeQueryContextParams=true`` (sorted, comma-separated), or ``none``."""
        return ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(self.settings.items())) or "none"

    def describe(self) -> str:
        """One line: run id, Druid version, settings, oracle and Hypothesis profiles, seed."""
        return (
            f"{self.id}: Druid {self.druid_version or 'unknown'}, settings "
            f"{self.settings_text()}, oracle {self.oracle_profile or 'unknown'}, Hypothesis "
            f"{self.hypothesis_profile or 'unknown'}, seed {_text(self.seed)}, "
            f"{self.checks} checks"
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _text(value: Any) -> str:
    return "none" if value is None else str(value)


# --- pairs and changes -----------------------------------------------------------------------


def answer(status: int) -> str:
    """The answer a status gives: ``2xx`` for any success (compared by class), else the code."""
    return "2xx" if status // 100 == 2 else str(status)


def _verdict(check: Mapping[str, Any]) -> tuple[str, int | None, str | None]:
    verdict = check["verdict"]
    rule = verdict.get("rule")
    return (
        str(verdict.get("verdict")),
        verdict.get("status"),
        rule.get("id") if isinstance(rule, Mapping) else None,
    )


def verdict_text(check: Mapping[str, Any]) -> str:
    """``forbidden 403`` (``undecided`` without a status)."""
    kind, status, _ = _verdict(check)
    return kind if status is None else f"{kind} {status}"


def movement(before: int, after: int) -> str:
    """What a change of status means: ``now refused`` (2xx to an error), ``now allowed``, ``now a
    server error`` (to a 5xx), else ``another refusal``."""
    was_ok, is_ok = before // 100 == 2, after // 100 == 2
    if after >= 500:
        return "now a server error"
    if was_ok and not is_ok:
        return "now refused"
    if is_ok and not was_ok:
        return "now allowed"
    return "another refusal"


@dataclass(frozen=True)
class Pair:
    """One question both runs asked: its check line in A and in B."""

    a: Mapping[str, Any]
    b: Mapping[str, Any]

    @property
    def answer_changed(self) -> bool:
        """Druid's answer differs (``answer``: 2xx by class, the rest by code)."""
        return answer(self.a["observed_status"]) != answer(self.b["observed_status"])

    @property
    def verdict_changed(self) -> bool:
        """The oracle's verdict differs: its kind or status (not a deciding rule alone)."""
        return _verdict(self.a)[:2] != _verdict(self.b)[:2]

    @property
    def changed(self) -> bool:
        """The answer or the verdict changed."""
        return self.answer_changed or self.verdict_changed

    @property
    def change(self) -> str:
        """``answer`` when Druid's answer changed (whatever the verdict did), else ``verdict``."""
        return ANSWER if self.answer_changed else VERDICT


def _size(pair: Pair) -> tuple[int, int, str]:
    case = pair.a["case"]
    return len(str(case["sql"])), len(case.get("permissions") or []), str(case.get("id"))


@dataclass(frozen=True)
class ChangeGroup:
    """Changed pairs alike: what changed (``answer`` or ``verdict``), the operation and query
    kind of their label (``split_label``), the deciding rule (``a -> b`` when the two verdicts'
    differ) and the transition (answers ``2xx -> 403``, or verdicts ``allowed 200 -> forbidden
    403``). ``pairs`` are the smallest first."""

    change: str
    operation: str
    kind: str
    rule: str
    transition: str
    pairs: tuple[Pair, ...]

    @property
    def example(self) -> Pair:
        """The smallest pair: shortest statement, then fewest permissions."""
        return self.pairs[0]

    @property
    def count(self) -> int:
        """How many changed pairs the group holds."""
        return len(self.pairs)

    def headline(self) -> str:
        """``submit x SELECT_LITERAL, rule r: 2xx -> 403, now refused (2 checks)``."""
        where = f"{self.operation} x {self.kind}" if self.kind else self.operation
        what = self.transition
        if self.change == ANSWER:
            a, b = self.example.a["observed_status"], self.example.b["observed_status"]
            what += f", {movement(int(a), int(b))}"
        return f"{where}, rule {self.rule}: {what} ({_count(self.count, 'check')})"


def _rule(pair: Pair) -> str:
    a, b = _verdict(pair.a)[2], _verdict(pair.b)[2]
    return _text(a) if a == b else f"{_text(a)} -> {_text(b)}"


def _transition(pair: Pair) -> str:
    if pair.change == ANSWER:
        return f"{answer(pair.a['observed_status'])} -> {answer(pair.b['observed_status'])}"
    return f"{verdict_text(pair.a)} -> {verdict_text(pair.b)}"


def group(pairs: Iterable[Pair]) -> list[ChangeGroup]:
    """The changed pairs in groups (``ChangeGroup``): answers before verdicts, then in the
    report's order of operations and query kinds, then by rule and transition."""
    groups: dict[tuple[str, str, str, str, str], list[Pair]] = {}
    for pair in pairs:
        if not pair.changed:
            continue
        operation, kind = split_label(str(pair.a.get("label") or pair.a["case"]["operation"]))
        key = (pair.change, operation, kind, _rule(pair), _transition(pair))
        groups.setdefault(key, []).append(pair)
    found = [ChangeGroup(*key, pairs=tuple(sorted(ps, key=_size))) for key, ps in groups.items()]
    return sorted(
        found,
        key=lambda g: (
            CHANGES.index(g.change),
            operation_key(g.operation),
            kind_key(g.kind),
            g.rule,
            g.transition,
        ),
    )


@dataclass(frozen=True)
class Diff:
    """Two runs compared: ``pairs`` in A's order, and the checks only one of them holds."""

    a: RunFacts
    b: RunFacts
    pairs: tuple[Pair, ...]
    only_a: tuple[Mapping[str, Any], ...]
    only_b: tuple[Mapping[str, Any], ...]
    groups: tuple[ChangeGroup, ...]  # the changed pairs (``group``)

    @property
    def changed(self) -> list[Pair]:
        """The pairs whose answer or verdict changed."""
        return [pair for pair in self.pairs if pair.changed]

    def counts(self) -> dict[str, int]:
        """``{"paired", "changed", "answers", "verdicts", "only_a", "only_b"}``: ``answers``
        the pairs whose answer changed, ``verdicts`` those whose verdict alone did."""
        changed = self.changed
        answers = sum(1 for pair in changed if pair.change == ANSWER)
        return {
            "paired": len(self.pairs),
            "changed": len(changed),
            "answers": answers,
            "verdicts": len(changed) - answers,
            "only_a": len(self.only_a),
            "only_b": len(self.only_b),
        }

    def headline(self) -> str:
        """``3 changed of 95 paired checks (2 answers, 1 verdict alone); 2 only in A, 1 only
        in B``."""
        n = self.counts()
        detail = ""
        if n["changed"]:
            detail = (
                f" ({_count(n['answers'], 'answer')}, {_count(n['verdicts'], 'verdict')} alone)"
            )
        return (
            f"{n['changed']} changed of {n['paired']} paired checks{detail}; "
            f"{n['only_a']} only in A, {n['only_b']} only in B"
        )

    def warnings(self) -> list[str]:
        """One line per reason the pairing is partial or the runs' checks incomplete: another
        seed or Hypothesis profile, no check paired, a run that did not end with 0 or 1."""
        lines = []
        a, b = self.a, self.b
        differ = []
        if a.hypothesis_profile != b.hypothesis_profile:
            differ.append(
                f"Hypothesis profiles differ ({_text(a.hypothesis_profile)} and "
                f"{_text(b.hypothesis_profile)})"
            )
        if a.seed != b.seed:
            differ.append(f"seeds differ ({_text(a.seed)} and {_text(b.seed)})")
        if differ:
            lines.append(
                "warning: "
                + " and ".join(differ)
                + ": the runs asked other questions, only those both asked are compared"
            )
        if not self.pairs and (self.only_a or self.only_b):
            lines.append("warning: no question was asked by both runs: nothing is compared")
        for side, facts in (("A", a), ("B", b)):
            if not facts.end.complete:
                lines.append(f"warning: {side}: {facts.end.describe()}; its checks are incomplete")
        return lines

    @property
    def complete(self) -> bool:
        """Both runs judged every check they set out to (exit 0 or 1)."""
        return self.a.end.complete and self.b.end.complete


def compare(a: RecordedRun, b: RecordedRun) -> Diff:
    """Pair the checks of ``a`` and ``b`` by ``question`` (the n-th asking in A with the n-th in
    B) and group the changed pairs. The check lines must be ``checked`` ones (``load``)."""
    asked_b: dict[str, list[Mapping[str, Any]]] = {}
    tag_b = run_tag(b.id)
    for check in b.checks:
        asked_b.setdefault(question(check, tag_b), []).append(check)
    taken: Counter[str] = Counter()
    pairs: list[Pair] = []
    only_a: list[Mapping[str, Any]] = []
    tag_a = run_tag(a.id)
    for check in a.checks:
        key = question(check, tag_a)
        same = asked_b.get(key, [])
        if taken[key] < len(same):
            pairs.append(Pair(check, same[taken[key]]))
            taken[key] += 1
        else:
            only_a.append(check)
    only_b = [c for key, checks in asked_b.items() for c in checks[taken[key] :]]
    return Diff(
        RunFacts.of(a),
        RunFacts.of(b),
        tuple(pairs),
        tuple(only_a),
        tuple(only_b),
        tuple(group(pairs)),
    )


# --- the terminal ----------------------------------------------------------------------------


def grants_text(case: Mapping[str, Any]) -> str:
    """``READ DATASOURCE 'wikipedia', WRITE QUERY_CONTEXT 'queryId'`` or ``nothing``."""
    held = [
        f"{p.get('action')} {p.get('type')} {str(p.get('name'))!r}"
        for p in case.get("permissions") or []
    ]
    return ", ".join(held) or "nothing"


def actor_text(case: Mapping[str, Any]) -> str:
    """Who asked: ``the submitter`` or ``not the submitter``, and ``unauthenticated``."""
    who = "the submitter" if case.get("actor_is_submitter", True) else "not the submitter"
    return who if case.get("authenticated", True) else f"{who}, unauthenticated"


def by_label(checks: Sequence[Mapping[str, Any]]) -> list[tuple[str, int]]:
    """(label, number of checks), the most first, then by label."""
    counts = Counter(str(c.get("label") or c["case"]["operation"]) for c in checks)
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def _only_line(side: str, checks: Sequence[Mapping[str, Any]]) -> str:
    labels = by_label(checks)
    shown = ", ".join(f"{label} {count}" for label, count in labels[:MAX_LABELS])
    more = f", ... and {len(labels) - MAX_LABELS} more labels" if len(labels) > MAX_LABELS else ""
    return f"only in {side}, not compared: {_count(len(checks), 'check')} ({shown}{more})"


def example_lines(pair: Pair, indent: str = "    ") -> list[str]:
    """The smallest example of a group: both answers and outcomes, both case ids, the
    statement, the grants, who asked, the context, both verdicts."""
    a, b = pair.a, pair.b
    case = a["case"]
    lines = [
        f"{indent}A answered {a['observed_status']} ({a.get('outcome')}), B answered "
        f"{b['observed_status']} ({b.get('outcome')}); cases {case.get('id')} and "
        f"{b['case'].get('id')}",
        f"{indent}statement: {case['sql']}",
        f"{indent}grants: {grants_text(case)}; {actor_text(case)}",
    ]
    if case.get("context"):
        lines.append(f"{indent}context: {json.dumps(case['context'], sort_keys=True)}")
    lines.append(f"{indent}verdict: A {verdict_text(a)}, B {verdict_text(b)}")
    return lines


def lines(diff: Diff) -> list[str]:
    """What ``druid-conformance diff`` prints: the headline, the two runs, the warnings, each
    change group with its smallest example, and the checks only one run holds."""
    out = [diff.headline(), f"A {diff.a.describe()}", f"B {diff.b.describe()}"]
    out += diff.warnings()
    for change in CHANGES:
        groups = [g for g in diff.groups if g.change == change]
        if not groups:
            continue
        out.append(
            "answers changed:"
            if change == ANSWER
            else "verdicts changed (Druid answered alike; the documentation requires otherwise):"
        )
        for the_group in groups:
            out.append(f"  {the_group.headline()}")
            out += example_lines(the_group.example)
    if not diff.groups:
        out.append("no changed check")
    for side, checks in (("A", diff.only_a), ("B", diff.only_b)):
        if checks:
            out.append(_only_line(side, checks))
    return out
