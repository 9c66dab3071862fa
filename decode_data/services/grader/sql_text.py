"""Readers of a learner's SQL and Jinja text that take time in proportion to its length.

The grader reads learner files (and what dbt compiled from them) in the server's own process,
outside the sandbox and its time limit, and Python's regex engine holds the GIL while it
backtracks. A lazy `/\\*.*?\\*/` over a thousand unclosed `/*`, or `\\{\\{[^}]*ref\\(` over a file of
`{`, is quadratic: one click of Check my work stalled every learner for minutes. So the shapes
that can nest or stay unclosed (comments, Jinja tags, `case ... end`, macros) are found here with
`str.find` and a stack, each character visited a bounded number of times, and the texts are cut
to MAX_CHARS first (the advice they feed is a hint; a file too big to read gets none).
"""

from __future__ import annotations

import bisect
import re

MAX_CHARS = 1_000_000  # far above any model a learner writes (saves are capped at 100 KB)

_OPENERS = re.compile(r"--|/\*|\{#")
_CLOSERS = {"--": "\n", "/*": "*/", "{#": "#}"}
_CALL_RE = re.compile(r"\b(?:ref|source)\s*\(")
_WORD_RE = re.compile(r"\b(case|end)\b", re.IGNORECASE)
_MACRO_TAG_RE = re.compile(r"\{%-?\s*macro\s+(\w+)\s*\(([^)]*)\)\s*-?%\}\Z")
_ENDMACRO_TAG_RE = re.compile(r"\{%-?\s*endmacro\s*-?%\}\Z")
ARGUMENT_RE = re.compile(r"[A-Za-z_]\w*")


def cut(text: str) -> str:
    return text[:MAX_CHARS]


def without_comments(text: str) -> str:
    """SQL's `--` and `/* */` comments and Jinja's `{# #}` blanked; an unclosed one runs to the end."""
    text, out, at = cut(text), [], 0
    while (found := _OPENERS.search(text, at)) is not None:
        out.append(text[at : found.start()])
        closer = _CLOSERS[found.group()]
        end = text.find(closer, found.end())
        if end < 0:
            return "".join(out) + " "
        at = end + (0 if closer == "\n" else len(closer))
        out.append(" ")
    return "".join(out) + text[at:]


def jinja_tags(text: str) -> list[str]:
    """Every `{{ ... }}` and `{% ... %}` in order; an unclosed tag ends the list."""
    text, tags, at = cut(text), [], 0
    while (start := text.find("{", at)) >= 0:
        kind = text[start + 1 : start + 2]
        if kind not in ("{", "%"):
            at = start + 1
            continue
        end = text.find("}}" if kind == "{" else "%}", start + 2)
        if end < 0:
            break
        tags.append(text[start : end + 2])
        at = end + 2
    return tags


def calls_ref_or_source(text: str) -> bool:
    """Whether a `{{ }}` tag of the text calls ref() or source()."""
    return any(tag.startswith("{{") and _CALL_RE.search(tag) for tag in jinja_tags(text))


def macros(text: str) -> list[tuple[str, list[str], str]]:
    """(name, argument names, the Jinja tags of its body) of each `{% macro %}` in the text."""
    found, opened = [], None
    for tag in jinja_tags(text):
        if opened is None and (head := _MACRO_TAG_RE.match(tag)):
            opened = (head.group(1), _argument_names(head.group(2)), [])
        elif opened is not None and _ENDMACRO_TAG_RE.match(tag):
            found.append((opened[0], opened[1], " ".join(opened[2])))
            opened = None
        elif opened is not None:
            opened[2].append(tag)
    return found


def _argument_names(arguments: str) -> list[str]:
    """`value, unit='kwh'` -> [value, unit]; what is not a name (text inside a default) is left out."""
    names = (part.split("=", 1)[0].strip() for part in arguments.split(","))
    return [name for name in names if ARGUMENT_RE.fullmatch(name)]


def uses_name(jinja: str, name: str) -> bool:
    return ARGUMENT_RE.fullmatch(name) is not None and re.search(rf"\b{re.escape(name)}\b", jinja) is not None


def without_case_blocks(code: str) -> str:
    """Every `case ... end` blanked, nested ones with their outer block (a computed value, not a
    filter); an unclosed case runs to the end."""
    out, at, depth = [], 0, 0
    for word in _WORD_RE.finditer(code):
        if word.group(1).lower() == "case":
            if depth == 0:
                out.append(code[at : word.start()])
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                out.append(" ")
                at = word.end()
    if depth:
        return "".join(out) + " "
    return "".join(out) + code[at:]


class Clauses:
    """Which SQL clause a position of the code lies in, by bisecting the clause keywords' places."""

    def __init__(self, code: str, keywords: re.Pattern):
        found = list(keywords.finditer(code))
        self._starts = [match.start() for match in found]
        self._names = [match.group(1).lower() for match in found]

    def at(self, position: int) -> str | None:
        index = bisect.bisect_left(self._starts, position)
        return self._names[index - 1] if index else None
