"""java.util.regex (Java 17) in Python: which permission patterns compile, and how they match.

Patterns are Java regexes (``java.util.regex``, as Java 17 has it); Python's ``re`` is close but
not equal. ``compile_pattern`` parses a pattern the way ``Pattern.compile`` does (a port of its
parser) and answers one of three ways, never a fourth:

- ``InvalidPattern``, exactly when Java rejects the pattern (Druid then refuses the permission):
  ``{``, ``a{1``, ``x{,3}``, ``*a``, ``a**``, ``a{2,1}``, ``(``, ``)``, ``[a``, ``\\``, ``\\0``,
  ``\\y``, ``\\p{Foo}``, ``(?<n>a)(?<n>b)``, an unbounded look-behind...;
- a Python regex whose ``fullmatch`` agrees with Java's ``matcher(name).matches()`` on every
  name;
- ``UnsupportedPattern`` (a subclass of ``InvalidPattern``): Java accepts the pattern, but it uses
  a feature this module does not reproduce.

Translated, with Java's meaning: literals and ``\\Q...\\E`` (anywhere, even in a class);
escapes ``\\t \\n \\r \\f \\a \\e \\cX \\0ooo \\xhh \\x{h..} \\uhhhh`` (surrogate pairs too)
and ``\\N{NAME}`` (for the names Java 17 knows); ``.`` (no ``\\n \\r \\u0085
\\u2028 \\u2029``, or no ``\\n`` under ``(?d)``, anything under ``(?s)``); ``^ $ \\A \\z \\Z
\\G`` (``$`` and ``\\Z`` also before a final line terminator, ``\\r\\n`` being one; ``(?m)``
``^``/``$`` at line ends, never ``^`` at the very end; ``\\G`` is the start, as on a fresh
matcher); ``\\R``; the ASCII classes ``\\d \\w \\s`` and ``\\h \\v`` with their negations;
classes with ranges, negation, union ``[a[b]]`` and intersection ``[a&&[^b]]`` (Java's quirks
included: a leading ``]`` or a lone ``&`` is a literal, ``[a&&[b]&c]`` matches ``a``);
``\\p{..}``/``\\P{..}`` for ``Lower Upper ASCII Alpha Digit Alnum Punct Graph Print Blank Cntrl
XDigit Space L1 all`` (ASCII/Latin-1, so fixed); quantifiers greedy, lazy and possessive,
including on nothing (``{2}``) and on anchors (``^*``), each kind backtracking as Java's does
(``(?:a|ab){2}+`` does not match ``aba``); capturing, named and non-capturing groups;
look-ahead; look-behind of a fixed length; atomic groups; back references (``\\1``, ``\\k<n>``;
one to a group that never exists never matches); inline flags ``i`` (ASCII case folding), ``m``,
``s``, ``d``, ``x`` anywhere, scoped as Java scopes them.

Refused (``UnsupportedPattern``): other ``\\p{..}`` (Unicode categories, scripts, blocks,
``java*`` and binary properties: the JVM's Unicode version decides);
``\\b``/``\\B`` (Unicode word characters before Java 19, ASCII after), ``\\b{g}``, ``\\X``;
``(?u)`` with ``(?i)``, ``(?U)`` classes, ``(?c)``; a look-behind of varying length, or one that
may match a supplementary character (Java steps back in UTF-16 units); a back reference to a
group before it closes, to one whose capture Java keeps when it backtracks (set in a
look-around, an atomic group, a possessive repeat or inside a deterministic one) or set by a
repeat whose iterations may match nothing, or case-insensitively; Java 17's ``[\\da&&]`` (it
throws when matching); whatever Python's ``re`` cannot compile (a pattern nested too deeply).

Checked against java.util.regex by tests/test_java_regex.py.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

__all__ = [
    "InvalidPattern",
    "UnsupportedPattern",
    "compile_pattern",
    "java_quote",
    "translate_java_regex",
]


class InvalidPattern(ValueError):
    """A resource-name pattern that is not a valid regular expression."""


class UnsupportedPattern(InvalidPattern):
    """A valid Java regex using a feature this translation does not reproduce."""


# --------------------------------------------------------------------------- Java regex
#
# java.util.regex.Pattern (Java 17) decides two things Druid acts on: whether a permission's
# pattern compiles at all, and whether it matches a name. ``_JavaPatternParser`` ports Pattern's
# recursive-descent parser (same method names: expr, sequence, atom, escape, clazz, range,
# family, group0, closure...) so that it fails exactly where Pattern.compile throws; it builds a
# small tree of Pattern's node kinds, and ``_emit`` writes that tree as a Python ``re`` pattern
# with the same full-match meaning, or the parser notes why it cannot (``UnsupportedPattern``).

_MAX_REPS = 0x7FFFFFFF  # Pattern.MAX_REPS: an unbounded quantifier's maximum
_MAX_CODE_POINT = 0x10FFFF
_BACKSLASH = 0x5C

# Pattern's flag bits, as the inline (?idmsuxU-idmsuxU) letters set them.
_UNIX_LINES, _CASE_INSENSITIVE, _COMMENTS, _MULTILINE = 0x01, 0x02, 0x04, 0x08
_DOTALL, _UNICODE_CASE, _CANON_EQ, _UNICODE_CHARACTER_CLASS = 0x20, 0x40, 0x80, 0x100
_FLAG_LETTERS = {
    ord("i"): _CASE_INSENSITIVE,
    ord("m"): _MULTILINE,
    ord("s"): _DOTALL,
    ord("d"): _UNIX_LINES,
    ord("u"): _UNICODE_CASE,
    ord("c"): _CANON_EQ,
    ord("x"): _COMMENTS,
    ord("U"): _UNICODE_CHARACTER_CLASS | _UNICODE_CASE,
}

# A set of code points: sorted, disjoint, non-adjacent inclusive (low, high) ranges.
_Ranges = tuple[tuple[int, int], ...]


def _normalize(ranges: Iterable[tuple[int, int]]) -> _Ranges:
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            if high > merged[-1][1]:
                merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return tuple(merged)


def _intersect(a: _Ranges, b: _Ranges) -> _Ranges:
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        low, high = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if low <= high:
            out.append((low, high))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _complement(a: _Ranges) -> _Ranges:
    out: list[tuple[int, int]] = []
    start = 0
    for low, high in a:
        if low > start:
            out.append((start, low - 1))
        start = high + 1
    if start <= _MAX_CODE_POINT:
        out.append((start, _MAX_CODE_POINT))
    return tuple(out)


def _ascii_ranges(text: str) -> _Ranges:
    """``"a-z0-9_"`` as ranges (for the ASCII classes below)."""
    pairs, i = [], 0
    while i < len(text):
        if i + 2 < len(text) and text[i + 1] == "-":
            pairs.append((ord(text[i]), ord(text[i + 2])))
            i += 3
        else:
            pairs.append((ord(text[i]), ord(text[i])))
            i += 1
    return _normalize(pairs)


def _names(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ALL: _Ranges = ((0, _MAX_CODE_POINT),)
_ASCII_DIGIT = _ascii_ranges("0-9")
_ASCII_WORD = _ascii_ranges("a-zA-Z0-9_")
_ASCII_SPACE = _ascii_ranges(" \t\n\x0b\f\r")
_VERTICAL_SPACE = _ascii_ranges("\n-\r\x85\u2028\u2029")  # \v
_HORIZONTAL_SPACE = _ascii_ranges(" \t\xa0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000")  # \h
_DOT = _complement(_ascii_ranges("\n\r\x85\u2028\u2029"))  # . without (?s), Java's line ends
_UNIX_DOT = _complement(_ascii_ranges("\n"))  # . with (?d)
# CharPredicates.forProperty's names whose sets are ASCII/Latin-1 and so fixed forever.
_FIXED_PROPERTIES: dict[str, _Ranges] = {
    "ASCII": _ascii_ranges("\x00-\x7f"),
    "Alnum": _ascii_ranges("a-zA-Z0-9"),
    "Alpha": _ascii_ranges("a-zA-Z"),
    "Blank": _ascii_ranges(" \t"),
    "Cntrl": _ascii_ranges("\x00-\x1f\x7f"),
    "Digit": _ASCII_DIGIT,
    "Graph": _ascii_ranges("!-~"),
    "Lower": _ascii_ranges("a-z"),
    "Print": _ascii_ranges(" -~"),
    "Punct": _ascii_ranges("!-/:-@[-`{-~"),
    "Space": _ASCII_SPACE,
    "Upper": _ascii_ranges("A-Z"),
    "XDigit": _ascii_ranges("0-9a-fA-F"),
    "L1": _ascii_ranges("\x00-\xff"),
    "all": _ALL,
}
# forProperty's other names (Unicode categories, java.lang.Character methods): they exist, but
# their sets follow the JVM's Unicode version, so they are not reproduced.
_UNICODE_PROPERTIES = _names(
    "Cn Lu Ll Lt Lm Lo Mn Me Mc Nd Nl No Zs Zl Zp Cc Cf Co Cs Pd Ps Pe Pc Po Sm Sc Sk So Pi Pf "
    "L M N Z C P S LC LD javaLowerCase javaUpperCase javaAlphabetic javaIdeographic "
    "javaTitleCase javaDigit javaDefined javaLetter javaLetterOrDigit javaJavaIdentifierStart "
    "javaJavaIdentifierPart javaUnicodeIdentifierStart javaUnicodeIdentifierPart "
    "javaIdentifierIgnorable javaSpaceChar javaWhitespace javaISOControl javaMirrored"
)
# CharPredicates.forPOSIXName ((?U) \p{name}) and forUnicodeProperty (\p{Isname}), upper-cased.
_POSIX_NAMES = _names("ALPHA LOWER UPPER SPACE PUNCT XDIGIT ALNUM CNTRL DIGIT BLANK GRAPH PRINT")
_BINARY_PROPERTIES = _POSIX_NAMES | _names(
    "ALPHABETIC ASSIGNED CONTROL HEXDIGIT HEX_DIGIT IDEOGRAPHIC JOINCONTROL JOIN_CONTROL LETTER "
    "LOWERCASE NONCHARACTERCODEPOINT NONCHARACTER_CODE_POINT TITLECASE PUNCTUATION UPPERCASE "
    "WHITESPACE WHITE_SPACE WORD"
)

# What the parser's anchors mean for Matcher.matches() on a fresh matcher, in Python: Java's
# line terminators are \n, \r\n, \r, \u0085, \u2028, \u2029, and \r\n is one of them.
_PY_ANCHORS = {
    "begin": r"\A",  # ^ and \A; also \G, which a fresh matcher puts at the start
    "end": r"\Z",  # \z
    "dollar": r"(?=(?:\r\n|[\r\x85\u2028\u2029]|(?<!\r)\n)?\Z)",  # $ and \Z
    "dollar_multiline": r"(?=[\r\x85\u2028\u2029]|(?<!\r)\n|\Z)",  # (?m)$
    "unix_dollar": r"(?=\n?\Z)",  # (?d)$
    "unix_dollar_multiline": r"(?=\n|\Z)",  # (?md)$
    "caret": r"(?!\Z)(?:\A|(?<=[\n\x85\u2028\u2029])|(?<=\r)(?!\n))",  # (?m)^
    "unix_caret": r"(?!\Z)(?:\A|(?<=\n))",  # (?md)^
}
_REFUSED_ANCHORS = {
    "bound": "\\b (its word characters depend on the JVM: Unicode before Java 19, ASCII after)",
    "non_bound": "\\B (its word characters depend on the JVM: Unicode before Java 19)",
    "grapheme_bound": "\\b{g} (grapheme clusters)",
}
_PY_LINE_ENDING = r"(?:\r\n|[\n\x0b\f\r\x85\u2028\u2029])"  # \R
_NODE_ESCAPES = frozenset("123456789ABGRXZbz")
_CLASS_ESCAPES = frozenset("dDsSwWhHvV")
_CHARACTER_ESCAPES = {"a": 0x07, "e": 0x1B, "f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09}
_KEPT_CAPTURE = (
    "whose capture Java keeps when it backtracks (it is set in a look-around, an atomic group, "
    "a possessive repeat or an iteration of a deterministic one)"
)
_EMPTY_ITERATION = "captured in a repeat whose iterations may match nothing"


def _i32(value: int) -> int:
    """Java int arithmetic: wrap to 32 bits, as Pattern's length sums do."""
    return (value + 0x80000000) % 0x100000000 - 0x80000000


def _is_space(ch: int) -> bool:
    return ch == 0x20 or 0x09 <= ch <= 0x0D  # ASCII.isSpace


def _is_digit(ch: int) -> bool:
    return 0x30 <= ch <= 0x39


def _is_alpha(ch: int) -> bool:
    return 0x41 <= ch <= 0x5A or 0x61 <= ch <= 0x7A


def _is_hex(ch: int) -> bool:
    return _is_digit(ch) or 0x41 <= ch <= 0x46 or 0x61 <= ch <= 0x66


def _ascii_lower(ch: int) -> int:
    return ch + 0x20 if 0x41 <= ch <= 0x5A else ch


def _ascii_upper(ch: int) -> int:
    return ch - 0x20 if 0x61 <= ch <= 0x7A else ch


def _is_wide(ranges: _Ranges) -> bool:
    """Whether a set holds a supplementary or surrogate code point: Java's look-behind steps
    back in UTF-16 units, not code points, unless the pattern itself has such a character."""
    return any(high >= 0xD800 and (low <= 0xDFFF or high >= 0x10000) for low, high in ranges)


# ---- character predicates, lazy as Pattern's CharPredicate lambdas are


class _Pred:
    """A character class under construction. Lazy: Pattern's BitClass is mutable and a union or
    intersection built on it sees characters added to it later (``[a&&[b]&c]`` matches ``a``),
    so a class is evaluated (``_evaluate``) only once Pattern is done with it."""

    __slots__ = ()


class _Fixed(_Pred):
    __slots__ = ("value",)

    def __init__(self, value: _Ranges) -> None:
        self.value = value


class _Bits(_Pred):
    """Pattern.BitClass: the Latin-1 characters listed in a class, added to as parsing goes."""

    __slots__ = ("members",)

    def __init__(self) -> None:
        self.members: set[int] = set()


class _Opaque(_Pred):
    """A valid predicate this module cannot reproduce (the parser noted why)."""

    __slots__ = ()


class _Combined(_Pred):
    """``op`` is "or", "and" or "not"; an "and" whose right side is None is Java 17's
    intersection with nothing, which throws NullPointerException when matched."""

    __slots__ = ("left", "op", "right")

    def __init__(self, op: str, left: _Pred, right: _Pred | None = None) -> None:
        self.op, self.left, self.right = op, left, right


def _evaluate(pred: _Pred) -> _Ranges | None:
    """The code points a predicate accepts; None when it cannot be reproduced. Iterative: a
    class with thousands of items is a chain of thousands of unions."""
    results: dict[int, _Ranges | None] = {}
    stack: list[tuple[_Pred, bool]] = [(pred, False)]
    while stack:
        node, children_done = stack.pop()
        if isinstance(node, _Combined) and not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in (node.left, node.right) if child is not None)
            continue
        results[id(node)] = _evaluate_one(node, results)
    return results[id(pred)]


def _evaluate_one(node: _Pred, done: Mapping[int, _Ranges | None]) -> _Ranges | None:
    if isinstance(node, _Fixed):
        return node.value
    if isinstance(node, _Bits):
        return _normalize((c, c) for c in node.members)
    if not isinstance(node, _Combined):
        return None
    left = done[id(node.left)]
    right = done[id(node.right)] if node.right is not None else None
    if left is None or (node.op != "not" and right is None):
        return None
    if node.op == "not":
        return _complement(left)
    assert right is not None
    return _normalize(left + right) if node.op == "or" else _intersect(left, right)


# ---- the node tree: Pattern's node kinds, as far as matching and TreeInfo need them


class _Node:
    __slots__ = ()


class _Char(_Node):
    """CharProperty: one code point of ``ranges`` (None: not reproducible). ``nfc``: Pattern's
    NFCCharProperty ((?c) classes), which studies differently."""

    __slots__ = ("nfc", "ranges")

    def __init__(self, ranges: _Ranges | None, nfc: bool = False) -> None:
        self.ranges, self.nfc = ranges, nfc


class _Slice(_Node):
    """Slice: a literal string of two or more code points (none: ``{2}`` quantifies nothing);
    ``fold``: SliceI, ASCII letters in either case."""

    __slots__ = ("chars", "fold")

    def __init__(self, chars: tuple[int, ...], fold: bool) -> None:
        self.chars, self.fold = chars, fold


class _Anchor(_Node):
    """A zero-width node: a key of ``_PY_ANCHORS`` or ``_REFUSED_ANCHORS``."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind


class _LineEnding(_Node):
    """\\R."""

    __slots__ = ()


class _Grapheme(_Node):
    """\\X (refused)."""

    __slots__ = ()


class _BackRef(_Node):
    """\\n or \\k<name>: ``closed`` says whether the group had closed where the reference is."""

    __slots__ = ("closed", "fold", "group")

    def __init__(self, group: int, closed: bool, fold: bool) -> None:
        self.group, self.closed, self.fold = group, closed, fold


class _Group(_Node):
    """A group: ``kind`` is capture, plain, ahead, not_ahead, behind, not_behind or atomic;
    ``body`` is a sequence (one _Branch for an alternation); ``number`` a capture's number;
    ``inner`` the numbers of the capturing groups inside it."""

    __slots__ = ("body", "inner", "kind", "number")

    def __init__(self, kind: str, body: list[_Node], number: int = 0) -> None:
        self.kind, self.body, self.number = kind, body, number
        self.inner = range(0)


class _Branch(_Node):
    """Branch: alternatives, None for an empty one."""

    __slots__ = ("alternatives",)

    def __init__(self, alternatives: list[list[_Node] | None]) -> None:
        self.alternatives = alternatives


class _Repeat(_Node):
    """A quantified atom. ``java`` is the node Pattern builds, which decides both how it studies
    and how it backtracks: ques (Ques), curly (Curly), cpgreedy (CharPropertyGreedy), groupcurly
    (GroupCurly: a deterministic group), loop (Loop: any other group), branch (a group's ``?``).
    ``mode`` is greedy, lazy or possessive."""

    __slots__ = ("atom", "cmax", "cmin", "java", "mode")

    def __init__(self, atom: _Node, cmin: int, cmax: int, mode: str, java: str) -> None:
        self.atom, self.cmin, self.cmax, self.mode, self.java = atom, cmin, cmax, mode, java


class _TreeInfo:
    """Pattern.TreeInfo: what ``study`` learns of a chain of nodes (Java ints, wrapping)."""

    __slots__ = ("deterministic", "max_length", "max_valid", "min_length")

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.min_length, self.max_length = 0, 0
        self.max_valid, self.deterministic = True, True


def _study_chain(chain: Sequence[_Node], info: _TreeInfo) -> bool:
    """Node.study along a chain, as Pattern walks ``next`` pointers: plain and capturing groups
    are transparent, a Branch studies what follows it from scratch and stops, a Loop stops.
    Returns whether the chain is deterministic (Pattern's reason to use GroupCurly)."""
    pending = list(reversed(chain))  # a stack: the next node on top
    while pending:
        node = pending.pop()
        if isinstance(node, _Group) and node.kind in ("capture", "plain"):
            pending.extend(reversed(node.body))
        elif isinstance(node, _Branch):
            return _study_branch(node.alternatives, pending[::-1], info)
        elif isinstance(node, _Repeat) and node.java == "branch":
            assert isinstance(node.atom, _Group)
            return _study_branch([node.atom.body, None], pending[::-1], info)
        elif isinstance(node, _Repeat) and node.java == "loop":
            info.max_valid = info.deterministic = False
            return False
        else:
            _study_node(node, info)
    return info.deterministic


def _study_branch(
    alternatives: Sequence[Sequence[_Node] | None], rest: Sequence[_Node], info: _TreeInfo
) -> bool:
    min_length, max_length, max_valid = info.min_length, info.max_length, info.max_valid
    min_alt, max_alt = 0x7FFFFFFF, -1
    for alternative in alternatives:
        info.reset()
        if alternative is not None:
            _study_chain(alternative, info)
        min_alt, max_alt = min(min_alt, info.min_length), max(max_alt, info.max_length)
        max_valid = max_valid and info.max_valid
    min_length, max_length = _i32(min_length + min_alt), _i32(max_length + max_alt)
    info.reset()
    _study_chain(rest, info)
    info.min_length = _i32(info.min_length + min_length)
    info.max_length = _i32(info.max_length + max_length)
    info.max_valid = info.max_valid and max_valid
    info.deterministic = False
    return False


def _study_atom(atom: _Node, info: _TreeInfo) -> None:
    """A quantifier's atom studies on its own: a group's body ends at its tail."""
    if isinstance(atom, _Group):
        if atom.kind in ("capture", "plain", "atomic"):
            _study_chain(atom.body, info)
    else:
        _study_node(atom, info)


def _study_node(node: _Node, info: _TreeInfo) -> None:
    if isinstance(node, _Char):
        info.min_length = _i32(info.min_length + 1)
        if node.nfc:
            info.deterministic = False
        else:
            info.max_length = _i32(info.max_length + 1)
    elif isinstance(node, _Slice):
        info.min_length = _i32(info.min_length + len(node.chars))
        info.max_length = _i32(info.max_length + len(node.chars))
    elif isinstance(node, _LineEnding):
        info.min_length = _i32(info.min_length + 1)
        info.max_length = _i32(info.max_length + 2)
    elif isinstance(node, _Grapheme):
        info.min_length = _i32(info.min_length + 1)
        info.deterministic = False
    elif isinstance(node, _BackRef):
        info.max_valid = False
    elif isinstance(node, _Group) and node.kind == "atomic":
        _study_chain(node.body, info)  # Ques(INDEPENDENT)
    elif isinstance(node, _Repeat):
        _study_repeat(node, info)


def _study_repeat(node: _Repeat, info: _TreeInfo) -> None:
    if node.java == "ques":
        min_length = info.min_length
        _study_atom(node.atom, info)
        info.min_length, info.deterministic = min_length, False
    elif node.java == "cpgreedy":
        info.min_length = _i32(info.min_length + node.cmin)
        if info.max_valid:
            info.max_length = _i32(info.max_length + _MAX_REPS)  # Java 17 does not invalidate
        info.deterministic = False
    else:  # Curly, GroupCurly
        min_length, max_length = info.min_length, info.max_length
        max_valid, deterministic = info.max_valid, info.deterministic
        info.reset()
        _study_atom(node.atom, info)
        total = _i32(info.min_length * node.cmin + min_length)
        info.min_length = 0xFFFFFFF if total < min_length else total
        if max_valid and info.max_valid:
            info.max_length = _i32(info.max_length * node.cmax + max_length)
            if info.max_length < max_length:
                info.max_valid = False
        else:
            info.max_valid = False
        if info.deterministic and node.cmin == node.cmax:
            info.deterministic = deterministic
        else:
            info.deterministic = False


def _remove_qe_quoting(temp: list[int], length: int) -> tuple[list[int], int]:
    """Pattern.RemoveQEQuoting: rewrite \\Q...\\E as escaped characters before parsing (so a
    quote works anywhere, even inside a class or a quantifier's braces)."""
    i = 0
    while i < length - 1:
        if temp[i] != _BACKSLASH:
            i += 1
        elif temp[i + 1] != 0x51:  # Q
            i += 2
        else:
            break
    if i >= length - 1:
        return temp, length
    out = temp[:i]
    i += 2
    in_quote = begin_quote = True
    while i < length:
        c = temp[i]
        i += 1
        if c >= 0x80 or _is_alpha(c):
            out.append(c)
        elif _is_digit(c):
            if begin_quote:  # \x3N: a digit right after \Q must not extend an escape before it
                out += [_BACKSLASH, 0x78, 0x33]
            out.append(c)
        elif c != _BACKSLASH:
            if in_quote:
                out.append(_BACKSLASH)
            out.append(c)
        elif in_quote:
            if temp[i] == 0x45:  # E
                i += 1
                in_quote = False
            else:
                out += [_BACKSLASH, _BACKSLASH]
        elif temp[i] == 0x51:  # Q
            i += 1
            in_quote = begin_quote = True
            continue
        else:
            out.append(c)
            if i != length:
                out.append(temp[i])
                i += 1
        begin_quote = False
    return [*out, 0, 0], len(out)


class _JavaPatternParser:
    """Pattern's parser, ported method by method (Java 17, ``java.util.regex.Pattern``), so that
    it throws (``InvalidPattern``) exactly where Pattern.compile throws. It builds the node tree
    and notes, in ``refusals``, every construct the Python translation cannot reproduce.

    ``temp`` is the pattern as code points plus two 0s, as Pattern keeps it; reading past it is
    an ArrayIndexOutOfBoundsException in Java and an IndexError here (both: not compiled).
    """

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.temp, self.pattern_length = _remove_qe_quoting(
            [*map(ord, pattern), 0, 0], len(pattern)
        )
        self.cursor = 0
        self.flags0 = 0
        self.capturing_group_count = 1
        self.named_groups: dict[str, int] = {}
        self.root: _Node | None = None  # escape()'s second result, as in Pattern
        self.predicate: _Pred | None = None  # escape()'s class result, as in Pattern
        self.refusals: list[str] = []
        self.closed_groups: set[int] = set()
        # groups a back reference may not use: Java's capture differs from Python's (why)
        self.unsafe_groups: dict[int, str] = {}
        self.wide_atoms = 0  # atoms so far that may match a supplementary/surrogate code point

    # -- the driver

    def compile(self) -> list[_Node]:
        """Pattern.compile: the whole pattern as one expression; raises InvalidPattern."""
        if not self.pattern:
            return []
        nodes = self.expr()
        if self.cursor != self.pattern_length:
            if self.peek() == 0x29:
                raise self.error("Unmatched closing ')'")
            raise self.error("Unexpected internal error")
        return nodes

    def error(self, description: str) -> InvalidPattern:
        return InvalidPattern(f"{self.pattern!r}: {description} (java.util.regex)")

    def refuse(self, reason: str) -> None:
        self.refusals.append(reason)

    def has(self, flag: int) -> bool:
        return self.flags0 & flag != 0

    # -- reading, as Pattern's peek/read/next/skip/unread (COMMENTS skips space and # lines)

    def peek(self) -> int:
        ch = self.temp[self.cursor]
        if self.flags0 & _COMMENTS:
            ch = self.peek_past_whitespace(ch)
        return ch

    def read(self) -> int:
        ch = self.temp[self.cursor]
        self.cursor += 1
        if self.flags0 & _COMMENTS:
            ch = self.parse_past_whitespace(ch)
        return ch

    def next(self) -> int:
        self.cursor += 1
        ch = self.temp[self.cursor]
        if self.flags0 & _COMMENTS:
            ch = self.peek_past_whitespace(ch)
        return ch

    def next_escaped(self) -> int:
        self.cursor += 1
        return self.temp[self.cursor]

    def skip(self) -> int:
        ch = self.temp[self.cursor + 1]
        self.cursor += 2
        return ch

    def unread(self) -> None:
        self.cursor -= 1

    def accept(self, ch: int, description: str) -> None:
        test = self.temp[self.cursor]
        self.cursor += 1
        if self.flags0 & _COMMENTS:
            test = self.parse_past_whitespace(test)
        if ch != test:
            raise self.error(description)

    def peek_past_whitespace(self, ch: int) -> int:
        while _is_space(ch) or ch == 0x23:
            while _is_space(ch):
                self.cursor += 1
                ch = self.temp[self.cursor]
            if ch == 0x23:
                ch = self.peek_past_line()
        return ch

    def parse_past_whitespace(self, ch: int) -> int:
        while _is_space(ch) or ch == 0x23:
            while _is_space(ch):
                ch = self.temp[self.cursor]
                self.cursor += 1
            if ch == 0x23:
                ch = self.parse_past_line()
        return ch

    def parse_past_line(self) -> int:
        ch = self.temp[self.cursor]
        self.cursor += 1
        while ch != 0 and not self.is_line_separator(ch):
            ch = self.temp[self.cursor]
            self.cursor += 1
        if ch == 0 and self.cursor > self.pattern_length:
            self.cursor = self.pattern_length
            ch = self.temp[self.cursor]
            self.cursor += 1
        return ch

    def peek_past_line(self) -> int:
        self.cursor += 1
        ch = self.temp[self.cursor]
        while ch != 0 and not self.is_line_separator(ch):
            self.cursor += 1
            ch = self.temp[self.cursor]
        if ch == 0 and self.cursor > self.pattern_length:
            self.cursor = self.pattern_length
            ch = self.temp[self.cursor]
        return ch

    def is_line_separator(self, ch: int) -> bool:
        if self.flags0 & _UNIX_LINES:
            return ch == 0x0A
        return ch in (0x0A, 0x0D, 0x85, 0x2028, 0x2029)

    # -- expressions

    def expr(self) -> list[_Node]:
        alternatives: list[list[_Node] | None] = []
        while True:
            alternatives.append(self.sequence() or None)
            if self.peek() != 0x7C:  # |
                break
            self.next()
        if len(alternatives) == 1:
            return alternatives[0] or []
        return [_Branch(alternatives)]

    def sequence(self) -> list[_Node]:
        nodes: list[_Node] = []
        while True:
            ch = self.peek()
            node: _Node
            if ch == 0x28:  # (
                group = self.group0()
                if group is not None:
                    nodes.append(group)
                continue
            if ch == 0x5B:  # [
                node = self.char_node(self.clazz(True), nfc=self.has(_CANON_EQ))
            elif ch == _BACKSLASH:
                ch = self.next_escaped()
                if ch in (0x70, 0x50):  # p P
                    node = self.property_node(ch == 0x50)
                else:
                    self.unread()
                    node = self.atom()
            elif ch == 0x5E:  # ^
                self.next()
                if self.has(_MULTILINE):
                    node = _Anchor("unix_caret" if self.has(_UNIX_LINES) else "caret")
                else:
                    node = _Anchor("begin")
            elif ch == 0x24:  # $
                self.next()
                kind = "unix_dollar" if self.has(_UNIX_LINES) else "dollar"
                node = _Anchor(kind + ("_multiline" if self.has(_MULTILINE) else ""))
            elif ch == 0x2E:  # .
                self.next()
                if self.has(_DOTALL):
                    node = self.char_node(_Fixed(_ALL))
                else:
                    node = self.char_node(_Fixed(_UNIX_DOT if self.has(_UNIX_LINES) else _DOT))
            elif ch in (0x7C, 0x29):  # | )
                break
            elif ch in (0x3F, 0x2A, 0x2B):  # ? * +
                self.next()
                raise self.error(f"Dangling meta character '{chr(ch)}'")
            elif ch == 0 and self.cursor >= self.pattern_length:
                break
            else:  # also ] and }: literals
                node = self.atom()
            nodes.append(self.closure(node))
        return nodes

    def property_node(self, complement: bool) -> _Node:
        """\\p / \\P at the cursor's 'p': \\pL or \\p{name}."""
        one_letter = True
        if self.next() != 0x7B:  # {
            self.unread()
        else:
            one_letter = False
        return self.char_node(self.family(one_letter, complement), nfc=self.has(_CANON_EQ))

    def char_node(self, pred: _Pred, nfc: bool = False) -> _Char:
        """newCharProperty / NFCCharProperty: a one-character node from a finished class."""
        if nfc:
            self.refuse("(?c) canonical equivalence")
        ranges = _evaluate(pred)
        if ranges is not None and _is_wide(ranges):
            self.wide_atoms += 1
        return _Char(ranges, nfc)

    def atom(self) -> _Node:
        """A literal run (Slice) or one escape; a quantifier after a run takes its last char."""
        first, prev = 0, -1
        chars: list[int] = []
        ch = self.peek()
        while True:
            if ch in (0x2A, 0x2B, 0x3F, 0x7B):  # * + ? {
                if first > 1:
                    self.cursor = prev
                    first -= 1
                break
            if ch in (0x24, 0x2E, 0x5E, 0x28, 0x5B, 0x7C, 0x29):  # $ . ^ ( [ | )
                break
            if ch == _BACKSLASH:
                ch = self.next_escaped()
                if ch in (0x70, 0x50):  # p P
                    if first > 0:
                        self.unread()
                        break
                    return self.property_node(ch == 0x50)
                self.unread()
                prev = self.cursor
                ch = self.escape(False, first == 0, False)
                if ch >= 0:
                    chars.append(ch)
                    first += 1
                    ch = self.peek()
                    continue
                if first == 0:
                    assert self.root is not None
                    return self.root
                self.cursor = prev
                break
            if ch == 0 and self.cursor >= self.pattern_length:
                break
            prev = self.cursor
            chars.append(ch)
            first += 1
            ch = self.next()
        if first == 1:
            return self.char_node(self.single(chars[0]))
        return self.new_slice(tuple(chars[:first]))

    def new_slice(self, chars: tuple[int, ...]) -> _Slice:
        fold = self.has(_CASE_INSENSITIVE)
        if fold and self.has(_UNICODE_CASE):
            self.refuse("(?iu) Unicode case folding")
        if _is_wide(tuple((c, c) for c in chars)):
            self.wide_atoms += 1
        return _Slice(chars, fold)

    def ref(self, number: int) -> _Node:
        """A numbered back reference: more digits only while such a group exists."""
        while True:
            ch = self.peek()
            if not _is_digit(ch):
                break
            longer = number * 10 + ch - 0x30
            if self.capturing_group_count - 1 < longer:
                break
            number = longer
            self.read()
        return self.back_ref(number)

    def back_ref(self, number: int) -> _Node:
        fold = self.has(_CASE_INSENSITIVE)
        return _BackRef(number, number in self.closed_groups, fold)

    def escape(self, inclass: bool, create: bool, isrange: bool) -> int:
        """A backslash escape: a code point (>= 0), or -1 with the node in ``root`` (when
        ``create``) or the class in ``predicate``. An unknown ASCII letter is an error, any
        other character stands for itself."""
        ch = self.skip()
        c = chr(ch) if 0 < ch < 0x80 else ""
        if c == "0":
            return self.o()
        if c in _NODE_ESCAPES:  # \1..\9 \A \B \G \R \X \Z \b \z: not in a class
            if inclass:
                raise self.error("Illegal/unsupported escape sequence")
            if create:
                self.root = self.ref(ch - 0x30) if c.isdigit() else self.zero_width_escape(c)
            return -1
        if c in _CLASS_ESCAPES:
            if c == "v" and isrange:  # [\v-x]: \v as the character it was before Java 8
                return 0x0B
            if create:
                self.predicate = self.class_escape(c)
                if not inclass:
                    self.root = self.char_node(self.predicate)
            return -1
        if c in _CHARACTER_ESCAPES:
            return _CHARACTER_ESCAPES[c]
        if c in ("c", "x", "u", "N"):
            return {"c": self.c, "x": self.x, "u": self.u, "N": self.named_character}[c]()
        if c == "k":
            return self.named_ref(inclass, create)
        if c.isalpha():
            raise self.error("Illegal/unsupported escape sequence")
        return ch

    def zero_width_escape(self, c: str) -> _Node:
        if c == "A" or c == "G":  # \G: where the last match ended, the start on a new matcher
            return _Anchor("begin")
        if c == "z":
            return _Anchor("end")
        if c == "Z":
            return _Anchor("unix_dollar" if self.has(_UNIX_LINES) else "dollar")
        if c == "R":
            return _LineEnding()
        if c == "X":
            self.refuse("\\X (grapheme clusters)")
            return _Grapheme()
        if c == "B":
            self.refuse(_REFUSED_ANCHORS["non_bound"])
            return _Anchor("non_bound")
        if self.peek() == 0x7B:  # \b{g}
            if self.skip() == 0x67:
                if self.read() == 0x7D:
                    self.refuse(_REFUSED_ANCHORS["grapheme_bound"])
                    return _Anchor("grapheme_bound")
                raise self.error("Illegal/unsupported escape sequence")
            self.unread()
            self.unread()
        self.refuse(_REFUSED_ANCHORS["bound"])
        return _Anchor("bound")

    def class_escape(self, c: str) -> _Pred:
        lower = c.lower()
        if lower in "dsw" and self.has(_UNICODE_CHARACTER_CLASS):
            self.refuse(f"(?U)\\{c} (Unicode classes)")
            pred: _Pred = _Opaque()
        else:
            pred = _Fixed(
                {
                    "d": _ASCII_DIGIT,
                    "s": _ASCII_SPACE,
                    "w": _ASCII_WORD,
                    "h": _HORIZONTAL_SPACE,
                    "v": _VERTICAL_SPACE,
                }[lower]
            )
        return _Combined("not", pred) if c.isupper() else pred

    def named_ref(self, inclass: bool, create: bool) -> int:
        if inclass:
            raise self.error("Illegal/unsupported escape sequence")
        if self.read() != 0x3C:  # <
            raise self.error("\\k is not followed by '<' for named capturing group")
        name = self.groupname(self.read())
        if name not in self.named_groups:
            raise self.error(f"named capturing group <{name}> does not exist")
        if create:
            self.root = self.back_ref(self.named_groups[name])
        return -1

    # -- character classes

    def clazz(self, consume: bool) -> _Pred:
        """A [...] class, with nested classes (union) and && (intersection)."""
        prev: _Pred | None = None
        curr: _Pred | None = None
        bits = _Bits()
        is_neg = has_bits = False
        ch = self.next()
        if ch == 0x5E and self.temp[self.cursor - 1] == 0x5B:  # ^ right after [
            ch = self.next()
            is_neg = True
        while True:
            if ch == 0x5B:  # [
                curr = self.clazz(True)
                prev = curr if prev is None else _Combined("or", prev, curr)
                ch = self.peek()
                continue
            if ch == 0x26:  # &
                ch = self.next()
                if ch == 0x26:
                    prev, curr, has_bits = self.intersection(prev, curr, bits, has_bits)
                    ch = self.peek()
                    continue
                self.unread()  # a literal &
            elif ch == 0:
                if self.cursor >= self.pattern_length:
                    raise self.error("Unclosed character class")
            elif ch == 0x5D and (prev is not None or has_bits):  # ]
                if consume:
                    self.next()
                if prev is None:
                    prev = bits
                elif has_bits:
                    prev = _Combined("or", prev, bits)
                return _Combined("not", prev) if is_neg else prev
            curr = self.range(bits)
            if curr is None:
                has_bits = True
            elif prev is None:
                prev = curr
            elif prev is not curr:
                prev = _Combined("or", prev, curr)
            ch = self.peek()

    def intersection(
        self, prev: _Pred | None, curr: _Pred | None, bits: _Bits, has_bits: bool
    ) -> tuple[_Pred, _Pred | None, bool]:
        """The && of clazz(): the right side runs to ] or the next &&."""
        ch = self.next()
        right: _Pred | None = None
        while ch != 0x5D and ch != 0x26:
            if ch == 0x5B:
                item = self.clazz(True)
            else:
                self.unread()
                item = self.clazz(False)
            right = item if right is None else _Combined("or", right, item)
            ch = self.peek()
        if has_bits:
            if prev is None:
                prev = curr = bits
            else:
                prev = _Combined("or", prev, bits)
            has_bits = False
        if right is not None:
            curr = right
        if prev is None:
            if right is None:
                raise self.error("Bad class syntax")
            return right, curr, has_bits
        if curr is None:
            self.refuse("an intersection with nothing (Java 17 throws when matching)")
        return _Combined("and", prev, curr), curr, has_bits

    def bits_or_single(self, bits: _Bits, ch: int) -> _Pred | None:
        if ch < 256 and not (
            self.has(_CASE_INSENSITIVE)
            and self.has(_UNICODE_CASE)
            and ch in (0xFF, 0xB5, 0x49, 0x69, 0x53, 0x73, 0x4B, 0x6B, 0xC5, 0xE5)
        ):
            self.add_bit(bits, ch)
            return None
        return self.single(ch)

    def add_bit(self, bits: _Bits, ch: int) -> None:
        if self.has(_CASE_INSENSITIVE):
            if ch < 0x80:
                bits.members.update((_ascii_upper(ch), _ascii_lower(ch)))
            elif self.has(_UNICODE_CASE):
                self.refuse("(?iu) Unicode case folding")
        bits.members.add(ch)

    def single(self, ch: int) -> _Pred:
        if self.has(_CASE_INSENSITIVE):
            if self.has(_UNICODE_CASE):
                self.refuse("(?iu) Unicode case folding")
                return _Opaque()
            if ch < 0x80 and _ascii_lower(ch) != _ascii_upper(ch):
                return _Fixed(_normalize([(_ascii_lower(ch),) * 2, (_ascii_upper(ch),) * 2]))
        return _Fixed(((ch, ch),))

    def range(self, bits: _Bits) -> _Pred | None:
        """One class item: a character, a range a-z, an escape or a property."""
        ch = self.peek()
        if ch == _BACKSLASH:
            ch = self.next_escaped()
            if ch in (0x70, 0x50):  # p P
                one_letter = True
                if self.next() != 0x7B:
                    self.unread()
                else:
                    one_letter = False
                return self.family(one_letter, ch == 0x50)
            isrange = self.temp[self.cursor + 1] == 0x2D  # -
            self.unread()
            ch = self.escape(True, True, isrange)
            if ch == -1:
                return self.predicate
        else:
            self.next()
        if ch >= 0:
            if self.peek() == 0x2D:
                end_range = self.temp[self.cursor + 1]
                if end_range == 0x5B:
                    return self.bits_or_single(bits, ch)
                if end_range != 0x5D:
                    self.next()
                    m = self.peek()
                    if m == _BACKSLASH:
                        m = self.escape(True, False, True)
                    else:
                        self.next()
                    if m < ch:
                        raise self.error("Illegal character range")
                    return self.char_range(ch, m)
            return self.bits_or_single(bits, ch)
        raise self.error(f"Unexpected character '{chr(ch)}'")

    def char_range(self, low: int, high: int) -> _Pred:
        if not self.has(_CASE_INSENSITIVE):
            return _Fixed(((low, high),))
        if self.has(_UNICODE_CASE):
            self.refuse("(?iu) Unicode case folding")
            return _Opaque()
        folded = [  # CIRange: the range, and ASCII whose other case is in it
            (c, c)
            for c in range(0x80)
            if low <= _ascii_upper(c) <= high or low <= _ascii_lower(c) <= high
        ]
        return _Fixed(_normalize([(low, high), *folded]))

    def family(self, single_letter: bool, complement: bool) -> _Pred:
        """\\p{name} and \\pL: the property's predicate; unknown names throw, as in Java."""
        self.next()
        if single_letter:
            name = chr(self.temp[self.cursor])
            self.read()
        else:
            start = self.cursor
            self.temp[self.pattern_length] = 0x7D  # mark('}')
            while self.read() != 0x7D:
                pass
            self.temp[self.pattern_length] = 0
            end = self.cursor
            if end > self.pattern_length:
                raise self.error("Unclosed character family")
            if start + 1 >= end:
                raise self.error("Empty character family")
            name = "".join(map(chr, self.temp[start : end - 1]))
        pred = self.property(name)
        return _Combined("not", pred) if complement else pred

    def property(self, name: str) -> _Pred:
        ci = self.has(_CASE_INSENSITIVE)
        key, equals, value = name.partition("=")
        found: _Ranges | str | None
        if equals:
            key = key.lower()
            if key in ("sc", "script"):
                found = _java_script(value)
            elif key in ("blk", "block"):
                found = _java_block(value)
            elif key in ("gc", "general_category"):
                found = _java_property(value, ci)
            else:
                found = None
        elif name.startswith("In"):
            found = _java_block(name[2:])
        elif name.startswith("Is"):
            short = name[2:]
            found = _java_binary_property(short) or _java_property(short, ci) or _java_script(short)
        else:
            found = None
            if self.has(_UNICODE_CHARACTER_CLASS) and name.upper() in _POSIX_NAMES:
                found = f"(?U)\\p{{{name}}} (Unicode)"
            found = found or _java_property(name, ci)
        if found is None:
            raise self.error(f"Unknown character property name {{{name}}}")
        if isinstance(found, str):
            self.refuse(f"\\p{{{name}}}: {found}")
            return _Opaque()
        return _Fixed(found)

    # -- groups and quantifiers

    def groupname(self, ch: int) -> str:
        if not _is_alpha(ch):
            raise self.error("capturing group name does not start with a Latin letter")
        name = [chr(ch)]
        ch = self.read()
        while _is_alpha(ch) or _is_digit(ch):
            name.append(chr(ch))
            ch = self.read()
        if ch != 0x3E:  # >
            raise self.error("named capturing group is missing trailing '>'")
        return "".join(name)

    def group0(self) -> _Node | None:
        """A group and its quantifier; None for a flags-only (?imsx) group."""
        save, first_inner = self.flags0, self.capturing_group_count
        node: _Group
        ch = self.next()
        if ch == 0x3F:  # ?
            ch = self.skip()
            if ch == 0x3A:  # :
                node = _Group("plain", self.expr())
            elif ch in (0x3D, 0x21):  # = !
                node = _Group("ahead" if ch == 0x3D else "not_ahead", self.expr())
            elif ch == 0x3E:  # >
                node = _Group("atomic", self.expr())
            elif ch == 0x3C:  # <
                ch = self.read()
                if ch in (0x3D, 0x21):
                    node = self.look_behind(ch == 0x3D)
                else:
                    name = self.groupname(ch)
                    if name in self.named_groups:
                        raise self.error(f"Named capturing group <{name}> is already defined")
                    number = self.new_capture()
                    self.named_groups[name] = number
                    node = _Group("capture", self.expr(), number)
            elif ch in (0x24, 0x40):  # $ @
                raise self.error("Unknown group type")
            else:
                self.unread()
                self.add_flag()
                ch = self.read()
                if ch == 0x29:  # )
                    return None
                if ch != 0x3A:
                    raise self.error("Unknown inline modifier")
                node = _Group("plain", self.expr())
        else:
            node = _Group("capture", [], self.new_capture())
            node.body = self.expr()
        self.accept(0x29, "Unclosed group")
        self.flags0 = save
        node.inner = range(first_inner + (node.kind == "capture"), self.capturing_group_count)
        if node.kind == "capture":
            self.closed_groups.add(node.number)
        if node.kind not in ("capture", "plain"):
            self.mark_unsafe(node.inner, _KEPT_CAPTURE)  # a look-around or atomic group
        return self.group_closure(node)

    def mark_unsafe(self, groups: Iterable[int], reason: str) -> None:
        for group in groups:
            self.unsafe_groups.setdefault(group, reason)

    def new_capture(self) -> int:
        number = self.capturing_group_count
        self.capturing_group_count += 1
        return number

    def look_behind(self, positive: bool) -> _Group:
        """(?<=X) and (?<!X): Java needs a bounded length (TreeInfo); Python a fixed one."""
        start, wide_before = self.cursor, self.wide_atoms
        body = self.expr()
        info = _TreeInfo()
        _study_chain(body, info)
        if not info.max_valid:
            raise self.error("Look-behind group does not have an obvious maximum length")
        if info.min_length != info.max_length:
            self.refuse("a look-behind of varying length")
        elif self.wide_atoms > wide_before and not self.find_supplementary(start):
            # Behind (not BehindS) steps back in UTF-16 units: wrong next to an emoji
            self.refuse("a look-behind that may match a supplementary character")
        return _Group("behind" if positive else "not_behind", body)

    def find_supplementary(self, start: int) -> bool:
        return any(
            c >= 0x10000 or 0xD800 <= c <= 0xDFFF for c in self.temp[start : self.pattern_length]
        )

    def group_closure(self, group: _Group) -> _Node:
        """The group's quantifier. Java matches the atom of a possessive repeat, and each
        iteration of a deterministic one (GroupCurly), on its own: the captures made there stay
        when Java backtracks past them, where Python's would be undone. And each of Java's
        repeats treats an iteration that matches nothing its own way. Back references to such
        captures are refused (``unsafe_groups``)."""
        node = self.closure(group)
        if not isinstance(node, _Repeat) or group.kind not in ("capture", "plain"):
            return node  # unquantified, or a quantified look-around/atomic group (Curly/Ques)
        own = [group.number] if group.kind == "capture" else []
        deterministic = False
        if node.java != "ques":
            info = _TreeInfo()
            deterministic = _study_chain(group.body, info)
            if info.min_length == 0:
                self.mark_unsafe([*own, *group.inner], _EMPTY_ITERATION)
        if node.mode == "possessive":
            self.mark_unsafe([*own, *group.inner], _KEPT_CAPTURE)
        elif node.java == "ques":
            node.java = "branch"
        elif deterministic:
            node.java = "groupcurly"
            self.mark_unsafe(group.inner, _KEPT_CAPTURE)
        else:
            node.java = "loop"
        return node

    def add_flag(self) -> None:
        ch = self.peek()
        while True:
            if ch in _FLAG_LETTERS:
                self.flags0 |= _FLAG_LETTERS[ch]
            elif ch == 0x2D:  # -
                self.next()
                self.sub_flag()
                return
            else:
                return
            ch = self.next()

    def sub_flag(self) -> None:
        ch = self.peek()
        while ch in _FLAG_LETTERS:
            self.flags0 &= ~_FLAG_LETTERS[ch]
            ch = self.next()

    def qtype(self) -> str:
        ch = self.next()
        if ch == 0x3F:
            self.next()
            return "lazy"
        if ch == 0x2B:
            self.next()
            return "possessive"
        return "greedy"

    def curly(self, prev: _Node, cmin: int) -> _Repeat:
        mode = self.qtype()
        if mode == "greedy" and isinstance(prev, _Char) and not prev.nfc:
            return _Repeat(prev, cmin, _MAX_REPS, mode, "cpgreedy")
        return _Repeat(prev, cmin, _MAX_REPS, mode, "curly")

    def closure(self, prev: _Node) -> _Node:
        """A quantifier after an atom: ? * + {n} {n,} {n,m}, greedy, lazy or possessive."""
        ch = self.peek()
        if ch == 0x3F:
            return _Repeat(prev, 0, 1, self.qtype(), "ques")
        if ch == 0x2A:
            return self.curly(prev, 0)
        if ch == 0x2B:
            return self.curly(prev, 1)
        if ch != 0x7B:
            return prev
        ch = self.skip()
        if not _is_digit(ch):
            raise self.error("Illegal repetition")
        cmin, ch = self.number(ch)
        if ch == 0x2C:  # ,
            ch = self.read()
            if ch == 0x7D:
                self.unread()
                return self.curly(prev, cmin)
            cmax, ch = self.number(ch)
        else:
            cmax = cmin
        if ch != 0x7D:
            raise self.error("Unclosed counted closure")
        if cmax < cmin:
            raise self.error("Illegal repetition range")
        self.unread()
        if cmin == 0 and cmax == 1:
            return _Repeat(prev, 0, 1, self.qtype(), "ques")
        return _Repeat(prev, cmin, cmax, self.qtype(), "curly")

    def number(self, ch: int) -> tuple[int, int]:
        """Decimal digits from ``ch`` on (none: 0); overflowing an int is an error."""
        value = 0
        while _is_digit(ch):
            value = value * 10 + ch - 0x30
            if value > 0x7FFFFFFF:
                raise self.error("Illegal repetition range")
            ch = self.read()
        return value, ch

    # -- escapes for one code point

    def c(self) -> int:
        if self.cursor < self.pattern_length:
            return self.read() ^ 64
        raise self.error("Illegal control escape sequence")

    def o(self) -> int:
        n = self.read()
        if 0x30 <= n <= 0x37:
            m = self.read()
            if 0x30 <= m <= 0x37:
                o = self.read()
                if 0x30 <= o <= 0x37 and n <= 0x33:
                    return (n - 0x30) * 64 + (m - 0x30) * 8 + (o - 0x30)
                self.unread()
                return (n - 0x30) * 8 + (m - 0x30)
            self.unread()
            return n - 0x30
        raise self.error("Illegal octal escape sequence")

    def x(self) -> int:
        n = self.read()
        if _is_hex(n):
            m = self.read()
            if _is_hex(m):
                return int(chr(n) + chr(m), 16)
        elif n == 0x7B and _is_hex(self.peek()):
            value = 0
            n = self.read()
            while _is_hex(n):
                value = (value << 4) + int(chr(n), 16)
                if value > _MAX_CODE_POINT:
                    raise self.error("Hexadecimal codepoint is too big")
                n = self.read()
            if n != 0x7D:
                raise self.error("Unclosed hexadecimal escape sequence")
            return value
        raise self.error("Illegal hexadecimal escape sequence")

    def uxxxx(self) -> int:
        value = 0
        for _ in range(4):
            ch = self.read()
            if not _is_hex(ch):
                raise self.error("Illegal Unicode escape sequence")
            value = value * 16 + int(chr(ch), 16)
        return value

    def u(self) -> int:
        n = self.uxxxx()
        if 0xD800 <= n <= 0xDBFF:  # a high surrogate: \uD83D\uDE00 is one code point
            cur = self.cursor
            if self.read() == _BACKSLASH and self.read() == 0x75:
                n2 = self.uxxxx()
                if 0xDC00 <= n2 <= 0xDFFF:
                    return 0x10000 + ((n - 0xD800) << 10) + (n2 - 0xDC00)
            self.cursor = cur
        return n

    def named_character(self) -> int:
        """\\N{NAME}: Character.codePointOf(NAME)."""
        if self.read() == 0x7B:
            start = self.cursor
            while self.read() != 0x7D:
                if self.cursor >= self.pattern_length:
                    raise self.error("Unclosed character name escape sequence")
            name = "".join(map(chr, self.temp[start : self.cursor - 1]))
            cp = _java_code_point_of(name)
            if cp is None:
                raise self.error(f"Unknown character name [{name}]")
            return cp
        raise self.error("Illegal character name escape sequence")


# ---- Java's Unicode names: which \p{..} and \N{..} names compile


def _java_property(name: str, case_insensitive: bool) -> _Ranges | str | None:
    """CharPredicates.forProperty: ranges, a reason it is not reproduced, or None (unknown)."""
    if case_insensitive and name in ("Lower", "Upper"):
        return _FIXED_PROPERTIES["Alpha"]
    if name in _FIXED_PROPERTIES:
        return _FIXED_PROPERTIES[name]
    if name in _UNICODE_PROPERTIES:
        return "a Unicode property (the JVM's Unicode version decides)"
    return None


def _java_binary_property(name: str) -> str | None:
    """CharPredicates.forUnicodeProperty (\\p{IsAlphabetic}, \\p{IsLower}: Unicode)."""
    if name.upper() in _BINARY_PROPERTIES:
        return "a Unicode property (the JVM's Unicode version decides)"
    return None


def _java_script(name: str) -> str | None:
    """Character.UnicodeScript.forName (names and aliases, upper-cased)."""
    if name.upper() in _JAVA_SCRIPT_NAMES:
        return "a Unicode script (the JVM's Unicode version decides)"
    return None


def _java_block(name: str) -> str | None:
    """Character.UnicodeBlock.forName (names and aliases, upper-cased)."""
    if name.upper() in _JAVA_BLOCK_NAMES:
        return "a Unicode block (the JVM's Unicode version decides)"
    return None


def _java_code_point_of(name: str) -> int | None:
    """Character.codePointOf on Java 17: the code point, or None (Java throws).

    Java knows Unicode 13's names: Python's (``unicodedata``) but for those in
    ``_JAVA_LACKS_NAMES`` (newer, or algorithmic ones like "CJK UNIFIED IDEOGRAPH-4E00"); a
    control's Unicode 1 name (``_JAVA_CONTROL_NAMES``); and "<BLOCK> <HEX>" for a character
    without a name of its own (``_JAVA_BLOCK_FORM_NAMES``).
    """
    key = name.strip("".join(map(chr, range(0x21)))).upper()  # String.trim, Locale.ROOT
    try:
        ch = unicodedata.lookup(key)
    except KeyError:
        ch = ""
    if len(ch) == 1 and unicodedata.name(ch, "") == key:
        return None if _in_ranges(ord(ch), _JAVA_LACKS) else ord(ch)
    if key in _CONTROL_CODE_POINTS:
        return _CONTROL_CODE_POINTS[key]
    block, _, digits = key.rpartition(" ")
    if digits and all(_is_hex(ord(d)) for d in digits) and digits == f"{int(digits, 16):X}":
        cp = int(digits, 16)
        if _in_ranges(cp, _JAVA_BLOCK_FORM.get(block.replace(" ", "_"), ())):
            return cp
    return None


def _in_ranges(cp: int, ranges: _Ranges) -> bool:
    at = bisect.bisect_right(ranges, (cp, _MAX_CODE_POINT + 1)) - 1
    return at >= 0 and ranges[at][0] <= cp <= ranges[at][1]


# ---- from the node tree to Python


def _py_char(cp: int) -> str:
    if cp < 0x80 and (chr(cp).isalnum() or cp == 0x5F):
        return chr(cp)
    if cp < 0x100:
        return f"\\x{cp:02x}"
    if cp < 0x10000:
        return f"\\u{cp:04x}"
    return f"\\U{cp:08x}"


def _py_set(ranges: _Ranges) -> str:
    """A Python class for a set: a lone character bare, the shorter of [...] and [^...]."""
    if not ranges:
        return "(?!)"
    if len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _py_char(ranges[0][0])
    negated = _complement(ranges)
    if negated and len(negated) < len(ranges):
        return "[^" + _py_items(negated) + "]"
    return "[" + _py_items(ranges) + "]"


def _py_items(ranges: _Ranges) -> str:
    return "".join(
        _py_char(low) if low == high else f"{_py_char(low)}-{_py_char(high)}"
        for low, high in ranges
    )


def _py_quantifier(node: _Repeat) -> str:
    """``*``, ``{2,}``, ``??``...: the counts, and ``?`` when lazy (possessive: see repeat)."""
    cmin, cmax = node.cmin, node.cmax
    if cmax == _MAX_REPS:
        text = "*" if cmin == 0 else "+" if cmin == 1 else f"{{{cmin},}}"
    elif (cmin, cmax) == (0, 1):
        text = "?"
    elif cmin == cmax:
        text = f"{{{cmin}}}"
    else:
        text = f"{{{cmin},{cmax}}}"
    return text + ("?" if node.mode == "lazy" else "")


class _Emitter:
    """Writes the node tree as a Python pattern; raises UnsupportedPattern for what Python
    cannot reproduce (back references the parser could only judge once all groups were known).
    """

    def __init__(self, parser: _JavaPatternParser) -> None:
        self.parser = parser

    def refuse(self, reason: str) -> UnsupportedPattern:
        return UnsupportedPattern(f"{self.parser.pattern!r}: {reason} is not reproduced")

    def chain(self, nodes: Sequence[_Node]) -> str:
        return "".join(self.node(node) for node in nodes)

    def node(self, node: _Node) -> str:
        if isinstance(node, _Char):
            assert node.ranges is not None  # else the parser refused
            return _py_set(node.ranges)
        if isinstance(node, _Slice):
            return "".join(
                _py_set(_normalize([(c, c), (c ^ 0x20, c ^ 0x20)]))
                if node.fold and _is_alpha(c)
                else _py_char(c)
                for c in node.chars
            )
        if isinstance(node, _Anchor):
            return _PY_ANCHORS[node.kind]
        if isinstance(node, _LineEnding):
            return _PY_LINE_ENDING
        if isinstance(node, _BackRef):
            return self.back_ref(node)
        if isinstance(node, _Group):
            return self.group(node)
        if isinstance(node, _Branch):
            return "|".join(self.chain(alt or ()) for alt in node.alternatives)
        assert isinstance(node, _Repeat)
        return self.repeat(node)

    def group(self, node: _Group) -> str:
        opening = {
            "capture": "(",
            "plain": "(?:",
            "ahead": "(?=",
            "not_ahead": "(?!",
            "behind": "(?<=",
            "not_behind": "(?<!",
            "atomic": "(?>",
        }[node.kind]
        return opening + self.chain(node.body) + ")"

    def back_ref(self, node: _BackRef) -> str:
        if node.group >= self.parser.capturing_group_count:
            return "(?!)"  # no such group: never set, so never matches
        if not node.closed:
            raise self.refuse(f"a reference to group {node.group} before it closes")
        if node.group in self.parser.unsafe_groups:
            reason = self.parser.unsafe_groups[node.group]
            raise self.refuse(f"a reference to group {node.group}, {reason}")
        if node.fold:
            raise self.refuse("a case-insensitive back reference")
        if node.group > 99:
            raise self.refuse(f"a reference to group {node.group}")
        return f"(?:\\{node.group})"

    def repeat(self, node: _Repeat) -> str:
        """Pattern's Curly, GroupCurly and Ques take one way through an atom per iteration and
        never revisit it; Loop and a group's ``?`` (a Branch) backtrack into it."""
        atom = node.atom
        if isinstance(atom, _Group) and atom.kind in ("capture", "plain"):
            text = self.group(atom)
            if node.java not in ("loop", "branch"):
                text = f"(?>{text})"
        elif isinstance(atom, _Char):
            text = self.node(atom)
            if len(text) > 1 and not text.startswith(("[", "\\")):
                text = f"(?:{text})"
        elif isinstance(atom, _LineEnding):
            text = f"(?>{_PY_LINE_ENDING})"
        else:
            text = f"(?:{self.node(atom)})"
        if node.mode == "possessive":  # not X*+: Python 3.11's possessive repeat has bugs
            return f"(?>{text}{_py_quantifier(node)})"  # ((?:(aa){1,2}?|b?)++ on "aab")
        return text + _py_quantifier(node)


_PLAIN_NAME = re.compile(r"[A-Za-z0-9_]*")  # a literal in Java and in Python alike


def _translate(pattern: str) -> str:
    if _PLAIN_NAME.fullmatch(pattern):
        return pattern  # the common case, without the parser
    parser = _JavaPatternParser(pattern)
    try:
        nodes = parser.compile()
    except IndexError:  # Java: ArrayIndexOutOfBoundsException, also a pattern Druid refuses
        raise InvalidPattern(f"{pattern!r}: runs past its end (java.util.regex)") from None
    except RecursionError:
        raise UnsupportedPattern(f"{pattern!r}: nested too deeply to translate") from None
    if parser.refusals:
        raise UnsupportedPattern(f"{pattern!r}: {parser.refusals[0]} is not reproduced")
    return _Emitter(parser).chain(nodes)


_JAVA_META = frozenset("\\^$.|?*+()[]{}")


def java_quote(name: str) -> str:
    """A Java regex matching exactly ``name`` (metacharacters escaped, readable otherwise)."""
    return "".join("\\" + c if c in _JAVA_META else c for c in name)


@lru_cache(maxsize=8192)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a Java resource-name pattern for ``fullmatch`` (cached: patterns repeat).

    Raises ``InvalidPattern`` exactly when ``java.util.regex.Pattern.compile`` throws (Druid
    refuses such a permission), ``UnsupportedPattern`` for a valid Java pattern this module does
    not reproduce (see the module docstring). What it returns matches, by ``fullmatch``, exactly
    the names Java's ``matcher(name).matches()`` does.
    """
    translated = _translate(pattern)
    try:
        return re.compile(translated)
    except (re.error, OverflowError, RecursionError) as error:
        raise UnsupportedPattern(
            f"{pattern!r}: Python's re cannot compile its translation ({error})"
        ) from None


def translate_java_regex(pattern: str) -> str:
    """The Python ``re`` pattern that ``compile_pattern`` uses for a Java pattern, e.g.
    ``"wiki.*"`` -> ``"wiki[^\\n\\r\\x85\\u2028\\u2029]*"``.

    Raises ``InvalidPattern`` / ``UnsupportedPattern`` as ``compile_pattern`` does.
    """
    return compile_pattern(pattern).pattern


# --------------------------------------------------------------------------- java-unicode-names
# Java 17.0.15's names, and which of Python's (Unicode 14.0.0) it lacks.
# Written by tests/java/regenerate_unicode_names.py from tests/java/UnicodeNames.java,
# which says the format; tests/test_java_regex.py compares them with the JVM at hand.
_JAVA_SCRIPTS = (
    "COMMON LATIN GREEK CYRILLIC ARMENIAN HEBREW ARABIC SYRIAC THAANA DEVANAGARI BENGALI "
    "GURMUKHI GUJARATI ORIYA TAMIL TELUGU KANNADA MALAYALAM SINHALA THAI LAO TIBETAN MYANMAR "
    "GEORGIAN HANGUL ETHIOPIC CHEROKEE CANADIAN_ABORIGINAL OGHAM RUNIC KHMER MONGOLIAN "
    "HIRAGANA KATAKANA BOPOMOFO HAN YI OLD_ITALIC GOTHIC DESERET INHERITED TAGALOG HANUNOO "
    "BUHID TAGBANWA LIMBU TAI_LE LINEAR_B UGARITIC SHAVIAN OSMANYA CYPRIOT BRAILLE BUGINESE "
    "COPTIC NEW_TAI_LUE GLAGOLITIC TIFINAGH SYLOTI_NAGRI OLD_PERSIAN KHAROSHTHI BALINESE "
    "CUNEIFORM PHOENICIAN PHAGS_PA NKO SUNDANESE BATAK LEPCHA OL_CHIKI VAI SAURASHTRA "
    "KAYAH_LI REJANG LYCIAN CARIAN LYDIAN CHAM TAI_THAM TAI_VIET AVESTAN "
    "EGYPTIAN_HIEROGLYPHS SAMARITAN MANDAIC LISU BAMUM JAVANESE MEETEI_MAYEK "
    "IMPERIAL_ARAMAIC OLD_SOUTH_ARABIAN INSCRIPTIONAL_PARTHIAN INSCRIPTIONAL_PAHLAVI "
    "OLD_TURKIC BRAHMI KAITHI MEROITIC_HIEROGLYPHS MEROITIC_CURSIVE SORA_SOMPENG CHAKMA "
    "SHARADA TAKRI MIAO CAUCASIAN_ALBANIAN BASSA_VAH DUPLOYAN ELBASAN GRANTHA PAHAWH_HMONG "
    "KHOJKI LINEAR_A MAHAJANI MANICHAEAN MENDE_KIKAKUI MODI MRO OLD_NORTH_ARABIAN NABATAEAN "
    "PALMYRENE PAU_CIN_HAU OLD_PERMIC PSALTER_PAHLAVI SIDDHAM KHUDAWADI TIRHUTA WARANG_CITI "
    "AHOM ANATOLIAN_HIEROGLYPHS HATRAN MULTANI OLD_HUNGARIAN SIGNWRITING ADLAM BHAIKSUKI "
    "MARCHEN NEWA OSAGE TANGUT MASARAM_GONDI NUSHU SOYOMBO ZANABAZAR_SQUARE HANIFI_ROHINGYA "
    "OLD_SOGDIAN SOGDIAN DOGRA GUNJALA_GONDI MAKASAR MEDEFAIDRIN ELYMAIC NANDINAGARI "
    "NYIAKENG_PUACHUE_HMONG WANCHO YEZIDI CHORASMIAN DIVES_AKURU KHITAN_SMALL_SCRIPT UNKNOWN "
    "ADLM AGHB AHOM ARAB ARMI ARMN AVST BALI BAMU BASS BATK BENG BHKS BOPO BRAH BRAI BUGI "
    "BUHD CAKM CANS CARI CHAM CHER CHRS COPT CPRT CYRL DEVA DIAK DOGR DSRT DUPL EGYP ELBA "
    "ELYM ETHI GEOR GLAG GONG GONM GOTH GRAN GREK GUJR GURU HANG HANI HANO HATR HEBR HIRA "
    "HLUW HMNG HMNP HUNG ITAL JAVA KALI KANA KHAR KHMR KHOJ KITS KNDA KTHI LANA LAOO LATN "
    "LEPC LIMB LINA LINB LISU LYCI LYDI MAHJ MAKA MAND MANI MARC MEDF MEND MERC MERO MLYM "
    "MODI MONG MROO MTEI MULT MYMR NAND NARB NBAT NEWA NKOO NSHU OGAM OLCK ORKH ORYA OSGE "
    "OSMA PALM PAUC PERM PHAG PHLI PHLP PHNX PLRD PRTI RJNG ROHG RUNR SAMR SARB SAUR SGNW "
    "SHAW SHRD SIDD SIND SINH SOGD SOGO SORA SOYO SUND SYLO SYRC TAGB TAKR TALE TALU TAML "
    "TANG TAVT TELU TFNG TGLG THAA THAI TIBT TIRH UGAR VAII WARA WCHO XPEO XSUX YEZI YIII "
    "ZANB ZINH ZYYY ZZZZ"
)
_JAVA_BLOCKS = (
    "ADLAM;AEGEAN_NUMBERS;AHOM;ALCHEMICAL_SYMBOLS;ALPHABETIC_PRESENTATION_FORMS;"
    "ANATOLIAN_HIEROGLYPHS;ANCIENT_GREEK_MUSICAL_NOTATION;ANCIENT_GREEK_NUMBERS;"
    "ANCIENT_SYMBOLS;ARABIC;ARABIC_EXTENDED_A=ARABIC EXTENDED-A;"
    "ARABIC_MATHEMATICAL_ALPHABETIC_SYMBOLS;"
    "ARABIC_PRESENTATION_FORMS_A=ARABIC PRESENTATION FORMS-A;"
    "ARABIC_PRESENTATION_FORMS_B=ARABIC PRESENTATION FORMS-B;ARABIC_SUPPLEMENT;ARMENIAN;"
    "ARROWS;AVESTAN;BALINESE;BAMUM;BAMUM_SUPPLEMENT;BASIC_LATIN;BASSA_VAH;BATAK;BENGALI;"
    "BHAIKSUKI;BLOCK_ELEMENTS;BOPOMOFO;BOPOMOFO_EXTENDED;BOX_DRAWING;BRAHMI;BRAILLE_PATTERNS;"
    "BUGINESE;BUHID;BYZANTINE_MUSICAL_SYMBOLS;CARIAN;CAUCASIAN_ALBANIAN;CHAKMA;CHAM;CHEROKEE;"
    "CHEROKEE_SUPPLEMENT;CHESS_SYMBOLS;CHORASMIAN;CJK_COMPATIBILITY;CJK_COMPATIBILITY_FORMS;"
    "CJK_COMPATIBILITY_IDEOGRAPHS;CJK_COMPATIBILITY_IDEOGRAPHS_SUPPLEMENT;"
    "CJK_RADICALS_SUPPLEMENT;CJK_STROKES;CJK_SYMBOLS_AND_PUNCTUATION;CJK_UNIFIED_IDEOGRAPHS;"
    "CJK_UNIFIED_IDEOGRAPHS_EXTENSION_A;CJK_UNIFIED_IDEOGRAPHS_EXTENSION_B;"
    "CJK_UNIFIED_IDEOGRAPHS_EXTENSION_C;CJK_UNIFIED_IDEOGRAPHS_EXTENSION_D;"
    "CJK_UNIFIED_IDEOGRAPHS_EXTENSION_E;CJK_UNIFIED_IDEOGRAPHS_EXTENSION_F;"
    "CJK_UNIFIED_IDEOGRAPHS_EXTENSION_G;COMBINING_DIACRITICAL_MARKS;"
    "COMBINING_DIACRITICAL_MARKS_EXTENDED;COMBINING_DIACRITICAL_MARKS_SUPPLEMENT;"
    "COMBINING_HALF_MARKS;"
    "COMBINING_MARKS_FOR_SYMBOLS=COMBINING DIACRITICAL MARKS FOR SYMBOLS=COMBINING MARKS FOR "
    "SYMBOLS;COMMON_INDIC_NUMBER_FORMS;CONTROL_PICTURES;COPTIC;COPTIC_EPACT_NUMBERS;"
    "COUNTING_ROD_NUMERALS;CUNEIFORM;CUNEIFORM_NUMBERS_AND_PUNCTUATION;CURRENCY_SYMBOLS;"
    "CYPRIOT_SYLLABARY;CYRILLIC;CYRILLIC_EXTENDED_A=CYRILLIC EXTENDED-A;"
    "CYRILLIC_EXTENDED_B=CYRILLIC EXTENDED-B;CYRILLIC_EXTENDED_C=CYRILLIC EXTENDED-C;"
    "CYRILLIC_SUPPLEMENTARY=CYRILLIC SUPPLEMENT=CYRILLIC SUPPLEMENTARY;DESERET;DEVANAGARI;"
    "DEVANAGARI_EXTENDED;DINGBATS;DIVES_AKURU;DOGRA;DOMINO_TILES;DUPLOYAN;"
    "EARLY_DYNASTIC_CUNEIFORM;EGYPTIAN_HIEROGLYPHS;EGYPTIAN_HIEROGLYPH_FORMAT_CONTROLS;"
    "ELBASAN;ELYMAIC;EMOTICONS;ENCLOSED_ALPHANUMERICS;ENCLOSED_ALPHANUMERIC_SUPPLEMENT;"
    "ENCLOSED_CJK_LETTERS_AND_MONTHS;ENCLOSED_IDEOGRAPHIC_SUPPLEMENT;ETHIOPIC;"
    "ETHIOPIC_EXTENDED;ETHIOPIC_EXTENDED_A=ETHIOPIC EXTENDED-A;ETHIOPIC_SUPPLEMENT;"
    "GENERAL_PUNCTUATION;GEOMETRIC_SHAPES;GEOMETRIC_SHAPES_EXTENDED;GEORGIAN;"
    "GEORGIAN_EXTENDED;GEORGIAN_SUPPLEMENT;GLAGOLITIC;GLAGOLITIC_SUPPLEMENT;GOTHIC;GRANTHA;"
    "GREEK=GREEK AND COPTIC;GREEK_EXTENDED;GUJARATI;GUNJALA_GONDI;GURMUKHI;"
    "HALFWIDTH_AND_FULLWIDTH_FORMS;HANGUL_COMPATIBILITY_JAMO;HANGUL_JAMO;"
    "HANGUL_JAMO_EXTENDED_A=HANGUL JAMO EXTENDED-A;"
    "HANGUL_JAMO_EXTENDED_B=HANGUL JAMO EXTENDED-B;HANGUL_SYLLABLES;HANIFI_ROHINGYA;HANUNOO;"
    "HATRAN;HEBREW;HIGH_PRIVATE_USE_SURROGATES;HIGH_SURROGATES;HIRAGANA;"
    "IDEOGRAPHIC_DESCRIPTION_CHARACTERS;IDEOGRAPHIC_SYMBOLS_AND_PUNCTUATION;IMPERIAL_ARAMAIC;"
    "INDIC_SIYAQ_NUMBERS;INSCRIPTIONAL_PAHLAVI;INSCRIPTIONAL_PARTHIAN;IPA_EXTENSIONS;"
    "JAVANESE;KAITHI;KANA_EXTENDED_A=KANA EXTENDED-A;KANA_SUPPLEMENT;KANBUN;KANGXI_RADICALS;"
    "KANNADA;KATAKANA;KATAKANA_PHONETIC_EXTENSIONS;KAYAH_LI;KHAROSHTHI;KHITAN_SMALL_SCRIPT;"
    "KHMER;KHMER_SYMBOLS;KHOJKI;KHUDAWADI;LAO;LATIN_1_SUPPLEMENT=LATIN-1 SUPPLEMENT;"
    "LATIN_EXTENDED_A=LATIN EXTENDED-A;LATIN_EXTENDED_ADDITIONAL;"
    "LATIN_EXTENDED_B=LATIN EXTENDED-B;LATIN_EXTENDED_C=LATIN EXTENDED-C;"
    "LATIN_EXTENDED_D=LATIN EXTENDED-D;LATIN_EXTENDED_E=LATIN EXTENDED-E;LEPCHA;"
    "LETTERLIKE_SYMBOLS;LIMBU;LINEAR_A;LINEAR_B_IDEOGRAMS;LINEAR_B_SYLLABARY;LISU;"
    "LISU_SUPPLEMENT;LOW_SURROGATES;LYCIAN;LYDIAN;MAHAJANI;MAHJONG_TILES;MAKASAR;MALAYALAM;"
    "MANDAIC;MANICHAEAN;MARCHEN;MASARAM_GONDI;MATHEMATICAL_ALPHANUMERIC_SYMBOLS;"
    "MATHEMATICAL_OPERATORS;MAYAN_NUMERALS;MEDEFAIDRIN;MEETEI_MAYEK;MEETEI_MAYEK_EXTENSIONS;"
    "MENDE_KIKAKUI;MEROITIC_CURSIVE;MEROITIC_HIEROGLYPHS;MIAO;"
    "MISCELLANEOUS_MATHEMATICAL_SYMBOLS_A=MISCELLANEOUS MATHEMATICAL SYMBOLS-A;"
    "MISCELLANEOUS_MATHEMATICAL_SYMBOLS_B=MISCELLANEOUS MATHEMATICAL SYMBOLS-B;"
    "MISCELLANEOUS_SYMBOLS;MISCELLANEOUS_SYMBOLS_AND_ARROWS;"
    "MISCELLANEOUS_SYMBOLS_AND_PICTOGRAPHS;MISCELLANEOUS_TECHNICAL;MODI;"
    "MODIFIER_TONE_LETTERS;MONGOLIAN;MONGOLIAN_SUPPLEMENT;MRO;MULTANI;MUSICAL_SYMBOLS;"
    "MYANMAR;MYANMAR_EXTENDED_A=MYANMAR EXTENDED-A;MYANMAR_EXTENDED_B=MYANMAR EXTENDED-B;"
    "NABATAEAN;NANDINAGARI;NEWA;NEW_TAI_LUE;NKO;NUMBER_FORMS;NUSHU;NYIAKENG_PUACHUE_HMONG;"
    "OGHAM;OLD_HUNGARIAN;OLD_ITALIC;OLD_NORTH_ARABIAN;OLD_PERMIC;OLD_PERSIAN;OLD_SOGDIAN;"
    "OLD_SOUTH_ARABIAN;OLD_TURKIC;OL_CHIKI;OPTICAL_CHARACTER_RECOGNITION;ORIYA;"
    "ORNAMENTAL_DINGBATS;OSAGE;OSMANYA;OTTOMAN_SIYAQ_NUMBERS;PAHAWH_HMONG;PALMYRENE;"
    "PAU_CIN_HAU;PHAGS_PA=PHAGS-PA;PHAISTOS_DISC;PHOENICIAN;PHONETIC_EXTENSIONS;"
    "PHONETIC_EXTENSIONS_SUPPLEMENT;PLAYING_CARDS;PRIVATE_USE_AREA;PSALTER_PAHLAVI;REJANG;"
    "RUMI_NUMERAL_SYMBOLS;RUNIC;SAMARITAN;SAURASHTRA;SHARADA;SHAVIAN;"
    "SHORTHAND_FORMAT_CONTROLS;SIDDHAM;SINHALA;SINHALA_ARCHAIC_NUMBERS;SMALL_FORM_VARIANTS;"
    "SMALL_KANA_EXTENSION;SOGDIAN;SORA_SOMPENG;SOYOMBO;SPACING_MODIFIER_LETTERS;SPECIALS;"
    "SUNDANESE;SUNDANESE_SUPPLEMENT;SUPERSCRIPTS_AND_SUBSCRIPTS;"
    "SUPPLEMENTAL_ARROWS_A=SUPPLEMENTAL ARROWS-A;SUPPLEMENTAL_ARROWS_B=SUPPLEMENTAL ARROWS-B;"
    "SUPPLEMENTAL_ARROWS_C=SUPPLEMENTAL ARROWS-C;SUPPLEMENTAL_MATHEMATICAL_OPERATORS;"
    "SUPPLEMENTAL_PUNCTUATION;SUPPLEMENTAL_SYMBOLS_AND_PICTOGRAPHS;"
    "SUPPLEMENTARY_PRIVATE_USE_AREA_A=SUPPLEMENTARY PRIVATE USE AREA-A;"
    "SUPPLEMENTARY_PRIVATE_USE_AREA_B=SUPPLEMENTARY PRIVATE USE AREA-B;SURROGATES_AREA=;"
    "SUTTON_SIGNWRITING;SYLOTI_NAGRI;"
    "SYMBOLS_AND_PICTOGRAPHS_EXTENDED_A=SYMBOLS AND PICTOGRAPHS EXTENDED-A;"
    "SYMBOLS_FOR_LEGACY_COMPUTING;SYRIAC;SYRIAC_SUPPLEMENT;TAGALOG;TAGBANWA;TAGS;TAI_LE;"
    "TAI_THAM;TAI_VIET;TAI_XUAN_JING_SYMBOLS;TAKRI;TAMIL;TAMIL_SUPPLEMENT;TANGUT;"
    "TANGUT_COMPONENTS;TANGUT_SUPPLEMENT;TELUGU;THAANA;THAI;TIBETAN;TIFINAGH;TIRHUTA;"
    "TRANSPORT_AND_MAP_SYMBOLS;UGARITIC;UNIFIED_CANADIAN_ABORIGINAL_SYLLABICS;"
    "UNIFIED_CANADIAN_ABORIGINAL_SYLLABICS_EXTENDED;VAI;VARIATION_SELECTORS;"
    "VARIATION_SELECTORS_SUPPLEMENT;VEDIC_EXTENSIONS;VERTICAL_FORMS;WANCHO;WARANG_CITI;"
    "YEZIDI;YIJING_HEXAGRAM_SYMBOLS;YI_RADICALS;YI_SYLLABLES;ZANABAZAR_SQUARE"
)
_JAVA_CONTROL_NAMES = (
    "NULL;START OF HEADING;START OF TEXT;END OF TEXT;END OF TRANSMISSION;ENQUIRY;ACKNOWLEDGE;"
    "BEL;BACKSPACE;CHARACTER TABULATION;LINE FEED (LF);LINE TABULATION;FORM FEED (FF);"
    "CARRIAGE RETURN (CR);SHIFT OUT;SHIFT IN;DATA LINK ESCAPE;DEVICE CONTROL ONE;"
    "DEVICE CONTROL TWO;DEVICE CONTROL THREE;DEVICE CONTROL FOUR;NEGATIVE ACKNOWLEDGE;"
    "SYNCHRONOUS IDLE;END OF TRANSMISSION BLOCK;CANCEL;END OF MEDIUM;SUBSTITUTE;ESCAPE;"
    "INFORMATION SEPARATOR FOUR;INFORMATION SEPARATOR THREE;INFORMATION SEPARATOR TWO;"
    "INFORMATION SEPARATOR ONE;DELETE;PADDING CHARACTER;HIGH OCTET PRESET;"
    "BREAK PERMITTED HERE;NO BREAK HERE;;NEXT LINE (NEL);START OF SELECTED AREA;"
    "END OF SELECTED AREA;CHARACTER TABULATION SET;CHARACTER TABULATION WITH JUSTIFICATION;"
    "LINE TABULATION SET;PARTIAL LINE FORWARD;PARTIAL LINE BACKWARD;REVERSE LINE FEED;"
    "SINGLE SHIFT TWO;SINGLE SHIFT THREE;DEVICE CONTROL STRING;PRIVATE USE ONE;"
    "PRIVATE USE TWO;SET TRANSMIT STATE;CANCEL CHARACTER;MESSAGE WAITING;"
    "START OF GUARDED AREA;END OF GUARDED AREA;START OF STRING;"
    "SINGLE GRAPHIC CHARACTER INTRODUCER;SINGLE CHARACTER INTRODUCER;"
    "CONTROL SEQUENCE INTRODUCER;STRING TERMINATOR;OPERATING SYSTEM COMMAND;PRIVACY MESSAGE;"
    "APPLICATION PROGRAM COMMAND"
)
_JAVA_BLOCK_FORM_NAMES = (
    "LATIN_1_SUPPLEMENT=84-84;CJK_UNIFIED_IDEOGRAPHS_EXTENSION_A=3400-4DBF;"
    "CJK_UNIFIED_IDEOGRAPHS=4E00-9FFC;HANGUL_SYLLABLES=AC00-D7A3;HIGH_SURROGATES=D800-DB7F;"
    "HIGH_PRIVATE_USE_SURROGATES=DB80-DBFF;LOW_SURROGATES=DC00-DFFF;"
    "PRIVATE_USE_AREA=E000-F8FF;TANGUT=17000-187F7;TANGUT_SUPPLEMENT=18D00-18D08;"
    "CJK_UNIFIED_IDEOGRAPHS_EXTENSION_B=20000-2A6DD;"
    "CJK_UNIFIED_IDEOGRAPHS_EXTENSION_C=2A700-2B734;"
    "CJK_UNIFIED_IDEOGRAPHS_EXTENSION_D=2B740-2B81D;"
    "CJK_UNIFIED_IDEOGRAPHS_EXTENSION_E=2B820-2CEA1;"
    "CJK_UNIFIED_IDEOGRAPHS_EXTENSION_F=2CEB0-2EBE0;"
    "CJK_UNIFIED_IDEOGRAPHS_EXTENSION_G=30000-3134A;"
    "SUPPLEMENTARY_PRIVATE_USE_AREA_A=F0000-FFFFD;"
    "SUPPLEMENTARY_PRIVATE_USE_AREA_B=100000-10FFFD"
)
_JAVA_LACKS_NAMES = (
    "61D-61D 870-88E 890-891 898-89F 8B5-8B5 8C8-8D2 C3C-C3C C5D-C5D CDD-CDD 170D-170D "
    "1715-1715 171F-171F 180F-180F 1AC1-1ACE 1B4C-1B4C 1B7D-1B7E 1DFA-1DFA 20C0-20C0 "
    "2C2F-2C2F 2C5F-2C5F 2E53-2E5D 3400-4DBF 4E00-9FFF A7C0-A7C1 A7D0-A7D1 A7D3-A7D3 "
    "A7D5-A7D9 A7F2-A7F4 AC00-D7A3 FBC2-FBC2 FD40-FD4F FDCF-FDCF FDFE-FDFF 10570-1057A "
    "1057C-1058A 1058C-10592 10594-10595 10597-105A1 105A3-105B1 105B3-105B9 105BB-105BC "
    "10780-10785 10787-107B0 107B2-107BA 10F70-10F89 11070-11075 110C2-110C2 116B9-116B9 "
    "11740-11746 11AB0-11ABF 12F90-12FF2 16A70-16ABE 16AC0-16AC9 1AFF0-1AFF3 1AFF5-1AFFB "
    "1AFFD-1AFFE 1B11F-1B122 1CF00-1CF2D 1CF30-1CF46 1CF50-1CFC3 1D1E9-1D1EA 1DF00-1DF1E "
    "1E290-1E2AE 1E7E0-1E7E6 1E7E8-1E7EB 1E7ED-1E7EE 1E7F0-1E7FE 1F6DD-1F6DF 1F7F0-1F7F0 "
    "1F979-1F979 1F9CC-1F9CC 1FA7B-1FA7C 1FAA9-1FAAC 1FAB7-1FABA 1FAC3-1FAC5 1FAD7-1FAD9 "
    "1FAE0-1FAE7 1FAF0-1FAF6 20000-2A6DF 2A700-2B738 2B740-2B81D 2B820-2CEA1 2CEB0-2EBE0 "
    "30000-3134A"
)
# --------------------------------------------------------------------------- end java-unicode-names

_JAVA_SCRIPT_NAMES = _names(_JAVA_SCRIPTS)


def _block_keys(entry: str) -> set[str]:
    """The keys of one ``_JAVA_BLOCKS`` entry: its ID, each NAME, each NAME without spaces."""
    block_id, *names = entry.split("=")
    keys = {block_id}
    for name in names or [block_id.replace("_", " ")]:
        keys |= {name, name.replace(" ", "")} if name else set()
    return keys


_JAVA_BLOCK_IDS = frozenset(entry.split("=")[0] for entry in _JAVA_BLOCKS.split(";"))
_JAVA_BLOCK_NAMES = frozenset(
    key for entry in _JAVA_BLOCKS.split(";") for key in _block_keys(entry)
)
_CONTROL_CODE_POINTS: dict[str, int] = {
    name: cp
    for name, cp in zip(
        _JAVA_CONTROL_NAMES.split(";"), [*range(0x20), *range(0x7F, 0xA0)], strict=True
    )
    if name
}


def _hex_ranges(text: str) -> _Ranges:
    """``"61D-61D 870-88E"`` as ranges."""
    pairs = (item.split("-") for item in text.split())
    return _normalize((int(low, 16), int(high, 16)) for low, high in pairs)


def _block_form(text: str) -> dict[str, _Ranges]:
    """``_JAVA_BLOCK_FORM_NAMES`` as {block ID: its characters named "<BLOCK> <HEX>"}."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for entry in text.split(";"):
        block, _, span = entry.partition("=")
        spans.setdefault(block, []).extend(_hex_ranges(span))
    return {block: _normalize(ranges) for block, ranges in spans.items()}


_JAVA_LACKS = _hex_ranges(_JAVA_LACKS_NAMES)
_JAVA_BLOCK_FORM = _block_form(_JAVA_BLOCK_FORM_NAMES)
