"""basic-security matching: Java regex, whole name, case-sensitive, type and action equal."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.oracle.permissions import (
    Action,
    Grants,
    InvalidPattern,
    Permission,
    Resource,
    ResourceAction,
    UnsupportedPattern,
    compile_pattern,
    java_quote,
    translate_java_regex,
)

READ, WRITE = Action.READ, Action.WRITE


def ds(name: str) -> Resource:
    return Resource("DATASOURCE", name)


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [
        ("wiki", "wiki", True),
        ("wiki", "wikipedia", False),  # whole name, not a prefix
        ("wiki", "my_wiki", False),  # not a substring either
        ("wiki.*", "wikipedia", True),
        ("wiki.*", "wiki", True),
        ("wikipedia", "wiki", False),
        ("wiki.*", "Wikipedia", False),  # case-sensitive
        ("WIKI", "wiki", False),
        ("(?i)WIKI", "wiki", True),  # unless the pattern says otherwise
        ("wiki.pedia", "wiki.pedia", True),
        ("wiki.pedia", "wikiXpedia", True),  # an unescaped dot is any character
        ("wiki\\.pedia", "wikiXpedia", False),
        ("\\Qwiki.pedia\\E", "wikiXpedia", False),
        ("\\Qwiki.pedia\\E", "wiki.pedia", True),
        ("^wiki$", "wiki", True),  # anchors are harmless under a full match
        ("^wiki", "wikipedia", False),
        (".*", "", True),
        (".*", "anything at all", True),
        (".+", "", False),
        ("a.b", "a\nb", False),
        ("a.b", "a\rb", False),  # Java's dot excludes \r too
        ("(?s)a.b", "a\nb", True),
        ("[a-z]+_[0-9]{2}", "sales_24", True),
        ("\\p{Lower}+", "abc", True),
        ("\\p{Lower}+", "abC", False),
        ("\\d+", "\u0661\u0662", False),  # ASCII digits only, as in Java
        ("\\w+", "caf\u00e9", False),
        ("a\\z", "a", True),
        ("a\\Z", "a", True),
        ("a\\Z", "a\n", False),  # \Z may stop before a final newline; a full match may not
        ("(?<n>ab)\\k<n>", "abab", True),
        ("a++b", "aab", True),  # possessive quantifiers exist in both
        ("a|b", "b", True),
        ("a|b", "ab", False),
    ],
)
def test_java_regex_full_match(pattern: str, name: str, matches: bool) -> None:
    assert (compile_pattern(pattern).fullmatch(name) is not None) is matches
    permission = Permission(pattern, "DATASOURCE", READ)
    assert permission.matches(ds(name), READ) is matches


@pytest.mark.parametrize(
    ("pattern", "name", "matches"),
    [  # Java features translated with Java's meaning (java.util.regex's answers)
        ("[a-z&&[^e]]", "d", True),
        ("[a-z&&[^e]]", "e", False),
        ("[a[bc]]", "c", True),
        ("\\R", "\r\n", True),
        ("\\R{1}\n", "\r\n", False),  # Java's repeat commits to \r\n
        ("\\Gwiki", "wiki", True),  # on a fresh matcher, \G is the start
        ("\\cA", "\x01", True),
        ("a(?i)b", "aB", True),
        ("a(?i)b", "AB", False),
        ("(?d)a.", "a\r", True),
        ("{2}a", "a", True),  # a quantifier on nothing is Java-valid
        ("\\1", "", False),  # a reference to a group that never exists never matches
        ("\\x{77}iki", "wiki", True),
        ("(?:a|ab){2}+", "aba", False),  # Java's possessive repeat takes a|ab once per turn
        ("(?:a|ab){2}", "aba", True),
        ("a$\r\n", "a\r\n", True),  # $ also matches before a final line terminator,
        ("a\r$\n", "a\r\n", False),  # and \r\n is one
        ("(?m)^", "", False),  # (?m)^ never matches at the very end
    ],
)
def test_java_features_are_translated(pattern: str, name: str, matches: bool) -> None:
    assert (compile_pattern(pattern).fullmatch(name) is not None) is matches


@pytest.mark.parametrize(
    "pattern",
    ["\\X", "\\b", "\\p{L}", "\\p{IsLatin}", "(?iu)é", "(?<=a|bc)x", "(a\\1)", "(?<=.)x"],
)
def test_java_features_without_a_python_equivalent_are_refused(pattern: str) -> None:
    with pytest.raises(UnsupportedPattern):
        translate_java_regex(pattern)


@pytest.mark.parametrize(
    "pattern", ["(", "[a-", "*a", "a{2,1}", "\\", "{", "a{1", "x{,3}", "\\p{Foo}", "\\0"]
)
def test_invalid_patterns_are_refused_when_granted(pattern: str) -> None:
    with pytest.raises(InvalidPattern) as raised:
        Permission(pattern, "DATASOURCE", READ)
    assert not isinstance(raised.value, UnsupportedPattern)  # Java rejects these too


def test_type_and_action_must_be_equal() -> None:
    grants = Grants([Permission(".*", "DATASOURCE", WRITE), Permission(".*", "VIEW", READ)])
    assert grants.allows(ds("x"), WRITE)
    assert not grants.allows(ds("x"), READ)  # WRITE does not imply READ
    assert grants.allows(Resource("VIEW", "x"), READ)
    assert not grants.allows(Resource("EXTERNAL", "EXTERNAL"), READ)


def test_grants_are_the_union_of_roles() -> None:
    reader = [Permission("wiki.*", "DATASOURCE", READ)]
    writer = [Permission("wikipedia", "DATASOURCE", WRITE)]
    grants = Grants.union(reader, writer)
    assert grants.allows(ds("wikipedia"), READ)
    assert grants.allows(ds("wikipedia"), WRITE)
    assert not grants.allows(ds("wikidata"), WRITE)
    needed = [ResourceAction(ds("wikidata"), WRITE), ResourceAction(ds("wikidata"), READ)]
    assert grants.missing(needed) == (needed[0],)


def test_unknown_types_and_actions_are_errors() -> None:
    with pytest.raises(ValueError, match="resource type"):
        Permission("x", "TABLE", READ)
    with pytest.raises(ValueError, match="action"):
        Permission.from_json({"type": "DATASOURCE", "name": "x", "action": "DELETE"})
    with pytest.raises(ValueError, match="unknown permission field"):
        Permission.from_json({"type": "DATASOURCE", "name": "x", "action": "READ", "y": 1})


def test_both_json_shapes_read_the_same() -> None:
    flat = Permission.from_json({"type": "DATASOURCE", "name": "w.*", "action": "READ"})
    druid = Permission.from_json(
        {"resource": {"name": "w.*", "type": "DATASOURCE"}, "action": "READ"}
    )
    assert flat == druid


names = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12)


@given(names, names)
def test_quoted_literal_matches_exactly_itself(literal: str, other: str) -> None:
    pattern = compile_pattern("\\Q" + literal.replace("\\E", "") + "\\E")
    target = literal.replace("\\E", "")
    assert pattern.fullmatch(target)
    assert (pattern.fullmatch(other) is not None) == (other == target)


@given(names, names)
def test_java_quote_matches_exactly_the_name(literal: str, other: str) -> None:
    pattern = compile_pattern(java_quote(literal))
    assert pattern.fullmatch(literal)
    assert (pattern.fullmatch(other) is not None) == (other == literal)


def test_java_quote_escapes_only_metacharacters() -> None:
    assert java_quote("__query_select") == "__query_select"
    assert java_quote("a.b(c)") == "a\\.b\\(c\\)"


@given(st.from_regex(r"[a-z_]{1,6}", fullmatch=True), names)
def test_prefix_pattern_is_a_startswith_test(prefix: str, name: str) -> None:
    matched = compile_pattern(prefix + ".*").fullmatch(name) is not None
    expected = name.startswith(prefix) and not re.search("[\n\r\u0085\u2028\u2029]", name)
    assert matched == expected


@given(st.lists(st.sampled_from(["wiki", "wiki.*", ".*", "kttm", "w[a-z]+"]), max_size=4), names)
def test_more_permissions_never_allow_less(patterns: list[str], name: str) -> None:
    smaller = Grants(Permission(p, "DATASOURCE", READ) for p in patterns[:-1])
    larger = Grants(Permission(p, "DATASOURCE", READ) for p in patterns)
    assert not smaller.allows(ds(name), READ) or larger.allows(ds(name), READ)
