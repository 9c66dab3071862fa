"""Point an error at the learner's own file and line.

DuckDB reports lines of the statement dbt sent (the compiled SQL wrapped in CREATE ... AS),
and Jinja reports lines of the template. A learner thinks in lines of the file they typed, so
a database error is mapped: the offending statement line is found in the compiled SQL, and the
compiled line is aligned back to the raw source with difflib. What to do about the usual
mistakes (a missing seed, a semicolon, a misspelt name ...) is error_fixes.py's.
"""

from __future__ import annotations

import difflib
import re

from decode_data.services.engine.error_fixes import (
    bad_yaml,
    explain_missing_table,
    explain_phrases,
    explain_statement_end,
    file_named_in,
    missing_input,
    read_source,
    refused_call,
    undefined_name,
)
from decode_data.services.engine.jobs import LearnerError

_LINE_RE = re.compile(r"^\s*LINE (\d+):\s?(.*)$", re.MULTILINE)
_JINJA_LINE_RE = re.compile(r"^\s*line (\d+)\s*$", re.MULTILINE)
_HEADER_RE = re.compile(r"^(?:Runtime|Compilation|Database|Parsing) Error in \w+ \S+ \(([^)]+)\)\s*$", re.MULTILINE)
MAX_MESSAGE_LINES = 8
_ANSI_RE = re.compile(r"\x1b\[[0-9;]*m")
_NOISE = ("compiled code at", "Compiled code at")


def clean_message(message: str) -> str:
    """Drop colour codes, the dbt header, and pointers to server paths."""
    text = _ANSI_RE.sub("", message or "").strip()
    lines = [ln for ln in text.splitlines() if not any(n in ln for n in _NOISE)]
    return "\n".join(lines).strip()


def _compiled_line(statement_line: str, compiled: str) -> int:
    """1-based line of the compiled SQL that contains the text DuckDB quoted, or 0."""
    needle = statement_line.strip()
    if not needle:
        return 0
    lines = compiled.splitlines()
    for i, line in enumerate(lines, 1):
        if needle in line.strip() or (line.strip() and line.strip() in needle):
            return i
    # DuckDB shortens long lines around the error position: match on the longest chunk.
    best, best_len = 0, 0
    for i, line in enumerate(lines, 1):
        match = difflib.SequenceMatcher(None, needle, line).find_longest_match()
        if match.size > best_len:
            best, best_len = i, match.size
    return best if best_len >= 8 else 0


def map_compiled_line(compiled_line: int, compiled: str, raw: str) -> int:
    """Map a 1-based line of compiled SQL to the raw source line that produced it."""
    if compiled_line <= 0:
        return 0
    c_lines, r_lines = compiled.splitlines(), raw.splitlines()
    matcher = difflib.SequenceMatcher(
        None, [line.strip() for line in r_lines], [line.strip() for line in c_lines], autojunk=False
    )
    target = compiled_line - 1
    for tag, r1, r2, c1, c2 in matcher.get_opcodes():
        if c1 <= target < c2:
            if tag == "equal":
                return r1 + (target - c1) + 1
            # Jinja expanded or replaced lines: point at the nearest raw line of that block.
            return min(r1 + (target - c1), max(r1, r2 - 1)) + 1
    return min(compiled_line, len(r_lines))


def learner_error(
    message: str,
    *,
    path: str | None,
    raw: str | None = None,
    compiled: str | None = None,
    node: str | None = None,
    known: dict[str, str] | None = None,
) -> LearnerError:
    """Build a LearnerError with the best line we can find for this message; `known` (node name
    -> kind) lets a missing-table error name its fix."""
    text = clean_message(message)
    header = _HEADER_RE.search(text)
    if header and not path:
        path = header.group(1)
    path = path or file_named_in(text)
    line = 0
    jinja = _JINJA_LINE_RE.search(text)
    duck = _LINE_RE.search(text)
    missing = (
        missing_input(text, path, raw, known or {})
        or bad_yaml(text)
        or undefined_name(text, path, raw)
        or refused_call(text, path, raw)
    )
    if missing:
        path, line, text = missing
        header = None
    elif jinja:
        line = int(jinja.group(1))
    elif duck and compiled and raw is not None:
        line = map_compiled_line(_compiled_line(duck.group(2), compiled), compiled, raw)
    if header:
        text = text[header.end() :].strip()
    this = node.rsplit(".", 1)[-1] if node else ""
    text = explain_missing_table(_LINE_RE.sub("", text).strip(), known or {}, this)
    text, line = explain_statement_end(text, raw if raw is not None else read_source(path), line)
    text = explain_phrases(text)
    lines = [line for line in text.splitlines() if line.strip() and set(line.strip()) != {"^"}]
    if len(lines) > MAX_MESSAGE_LINES:  # e.g. DuckDB's long lists of candidate functions
        lines = lines[:MAX_MESSAGE_LINES] + ["..."]
    text = "\n".join(lines)
    return LearnerError(message=text or "dbt reported an error", path=path, line=line, node=node)
