"""Hide a dbt model's Jinja from a SQL parser, edit the SQL, and put every bit of Jinja back.

`{{ ... }}` in table or column position becomes an identifier (`__jinja_0__`); config calls,
`{# comments #}` and `{% ... %}` tags become SQL comments (`/*__jinja_1__*/`), so the parser
reads the SQL of the "if true, loop once" rendering. An `{% else %}`/`{% elif %}` branch and
the body of blocks that are not SQL (macro, call, raw, block set ...) are hidden whole, inside
the comment of their first tag: only one branch of an if is ever parsed.

`Splicer` turns a changed sqlglot tree back into file text: only the tokens that differ from
sqlglot's rendering of the unchanged tree are spliced into the original, so comments, layout and
every tag stay where the author put them. A splice is kept only if (1) sqlglot reads the spliced
file as the changed tree, (2) DuckDB's own parser reads the same splice of the *unchanged*
rendering exactly like the original (the rendering lost nothing: precision, `::`, intervals ...),
(3) no tag moved and every placeholder is back once, in order.
"""

from __future__ import annotations

import difflib
import json
import re
import threading
from dataclasses import dataclass

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

DIALECT = "duckdb"
_DUCKDB = Dialect.get_or_raise(DIALECT)
_NAME_TOKENS = {TokenType.VAR, TokenType.IDENTIFIER}
_TRAILING = {"ALL", "ASC", "DESC", "NULLS"}  # inserted words that finish the keyword before them
_SHOUTED = re.compile(r"[A-Z][A-Z_ ]*")  # CAST, PARTITION BY, NULLS: never a string or "quoted"

_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_TAG_NAME = re.compile(r"\{%[-+]?\s*(\w+)")
_CONFIG = re.compile(r"\{\{[-+]?\s*config\s*\(")
_PLACEHOLDER = re.compile(r"/\*__jinja_(\d+)__\*/|__jinja_(\d+)__")
_RELATION = re.compile(r"(ref|source)\(.*\)|this", re.S)
_STATEMENT = re.compile(r"/\*__jinja_\d+__\*/")
# Blocks whose body is Jinja or text, never part of the model's SQL.
_OPAQUE = {"macro", "call", "raw", "docs", "filter", "materialization", "test"}


@dataclass(frozen=True)
class Masked:
    sql: str  # the file with every piece of Jinja replaced by a placeholder
    jinja: tuple[str, ...]  # the original Jinja, placeholder i holds jinja[i]


def mask(text: str) -> Masked | None:
    """Placeholders for all Jinja of a model file; None when its blocks do not nest."""
    out: list[str] = []
    jinja: list[str] = []
    open_blocks: list[str] = []
    pos = 0
    while match := _JINJA.search(text, pos):
        start, end = match.span()
        name = _tag_name(match.group())
        if name in ("if", "for"):
            open_blocks.append(name)
        elif name in ("endif", "endfor") and (not open_blocks or open_blocks.pop() != name[3:]):
            return None
        hidden_until = _hidden_end(text, end, name, match.group(), open_blocks)
        if hidden_until is None:
            return None
        end = max(end, hidden_until)
        chunk = text[start:end]
        statement = not chunk.startswith("{{") or _CONFIG.match(chunk)
        placeholder = f"__jinja_{len(jinja)}__"
        out += [text[pos:start], f"/*{placeholder}*/" if statement else placeholder]
        jinja.append(chunk)
        pos = end
    if open_blocks:
        return None
    return Masked("".join(out) + text[pos:], tuple(jinja))


def _tag_name(tag: str) -> str:
    match = _TAG_NAME.match(tag)
    return match.group(1) if match else ""


def _hidden_end(text: str, pos: int, name: str, tag: str, open_blocks: list[str]) -> int | None:
    """Where the text hidden behind this tag ends: an else branch or a non-SQL block body."""
    if name in ("else", "elif"):
        if not open_blocks:
            return None
        closing = _closing(text, pos, open_blocks[-1])
        return closing and closing[0]  # stop before the endif/endfor: it is masked on its own
    if name in _OPAQUE or (name == "set" and "=" not in tag):
        closing = _closing(text, pos, name)
        return closing and closing[1]
    return pos


def _closing(text: str, pos: int, block: str) -> tuple[int, int] | None:
    """Span of the tag that closes `block` (opened just before pos), minding nested blocks."""
    depth = 0
    for match in _JINJA.finditer(text, pos):
        name = _tag_name(match.group())
        if name == block:
            depth += 1
        elif name == f"end{block}":
            if depth == 0:
                return match.span()
            depth -= 1
    return None


def unmask(sql: str, jinja: tuple[str, ...]) -> str | None:
    """The file text back, or None unless every placeholder is there exactly once, in order."""
    found = [int(a or b) for a, b in _PLACEHOLDER.findall(sql)]
    if found != list(range(len(jinja))):
        return None
    return _PLACEHOLDER.sub(lambda m: jinja[int(m.group(1) or m.group(2))], sql)


def readable(sql: str, jinja: tuple[str, ...]) -> str:
    """Placeholders back as Jinja for descriptions, a relation as its call: `ref('orders')`."""

    def shown(match: re.Match) -> str:
        text = jinja[int(match.group(1) or match.group(2))]
        call = text.strip("{}-+ ")
        return call if _RELATION.fullmatch(call) else text

    return _PLACEHOLDER.sub(shown, sql)


def has_tag(sql: str, start: int, end: int) -> bool:
    """An edit of sql[start:end] would move or delete a tag, config call or Jinja comment."""
    return any(m.start() < end and m.end() > start for m in _STATEMENT.finditer(sql))


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str  # replaces masked sql[start:end]


def splice(sql: str, edits: list[Edit]) -> str:
    """Apply non-overlapping edits; a deletion takes its spaces along, and its line if emptied."""
    for edit in sorted(edits, key=lambda e: e.start, reverse=True):
        start, end = edit.start, edit.end
        if not edit.text and start < end:
            start, end = _widen(sql, start, end)
        sql = sql[:start] + edit.text + sql[end:]
        if not edit.text:
            sql = _drop_blank_line(sql, start)
    return sql


def _widen(sql: str, start: int, end: int) -> tuple[int, int]:
    """Take spaces along with a deleted span, so no `( x`, `x ,` or double space is left."""
    left, right = sql[start - 1 : start], sql[end : end + 1]
    if right in (" ", "\t") and left in ("", " ", "\t", "\n", "("):
        while end < len(sql) and sql[end] in " \t":
            end += 1
    elif left in (" ", "\t") and right in ("", "\n", ",", ")"):
        before = start
        while before > 0 and sql[before - 1] in " \t":
            before -= 1
        if before > 0 and sql[before - 1] != "\n":  # spaces, but not a line's indentation
            start = before
    return start, end


def _drop_blank_line(sql: str, at: int) -> str:
    line_start = sql.rfind("\n", 0, at) + 1
    line_end = sql.find("\n", at)
    line_end = len(sql) if line_end < 0 else line_end
    if sql[line_start:line_end].strip():
        return sql
    if line_end == len(sql):  # the last line: its newline goes, not the one after it
        return sql[: max(line_start - 1, 0)]
    return sql[:line_start] + sql[line_end + 1 :]


def parse(sql: str) -> exp.Query | None:
    """The one query of a masked model, or None."""
    try:
        statements = [s for s in sqlglot.parse(sql, dialect=DIALECT) if s is not None]
    except SqlglotError:
        return None
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        return None
    return statements[0]


def render(tree: exp.Expression) -> str:
    return tree.sql(dialect=DIALECT, comments=False, normalize_functions="lower")


def _tokens(sql: str) -> list:
    try:
        return _DUCKDB.tokenize(sql)
    except SqlglotError:
        return []


def _key(token) -> tuple:
    if token.token_type in (TokenType.STRING, TokenType.IDENTIFIER):
        return token.token_type, token.text
    return token.token_type, token.text.upper()


def _keys(tokens: list) -> list[tuple]:
    return [_key(t) for t in tokens]


def lower_keywords(sql: str, tokens: list | None = None) -> str:
    """sqlglot shouts keywords, lessons do not. Same length, so token offsets stay valid."""
    chars = list(sql)
    for token in _tokens(sql) if tokens is None else tokens:
        raw = sql[token.start : token.end + 1]
        if token.token_type != TokenType.IDENTIFIER and _SHOUTED.fullmatch(raw):
            chars[token.start : token.end + 1] = raw.lower()
    return "".join(chars)


class Splicer:
    """One masked model: its tokens, sqlglot's rendering of it, and how the two line up."""

    def __init__(self, masked: Masked, tree: exp.Expression):
        self.masked = masked
        self.tokens = _tokens(masked.sql)
        words = [masked.sql[t.start : t.end + 1] for t in self.tokens]
        words = [w for w, t in zip(words, self.tokens, strict=False) if t.token_type not in _NAME_TOKENS]
        self.lower = sum(w.islower() for w in words) >= sum(w.isupper() for w in words)
        self.render = render(tree)
        self.render_tokens = _tokens(self.render)
        self.styled = lower_keywords(self.render, self.render_tokens) if self.lower else self.render
        self.duck = duckdb_tree(masked.sql)
        self.keys = _keys(self.render_tokens)
        blocks = difflib.SequenceMatcher(None, self.keys, _keys(self.tokens), False)
        # index of a rendered token -> index of the same token in the file
        self.where = {i + k: j + k for i, j, n in blocks.get_matching_blocks() for k in range(n)}

    def text_of(self, changed: exp.Expression) -> str | None:
        """The file text of a changed tree, or None when it cannot be spliced in faithfully."""
        new_render = render(changed)
        if new_render == self.render or self.duck is None:
            return None
        tokens, old = _tokens(new_render), self.render_tokens
        opcodes = difflib.SequenceMatcher(None, self.keys, _keys(tokens), False).get_opcodes()
        regions = _regions(opcodes, self.where, len(old))
        if regions is None:
            return None
        styled = lower_keywords(new_render, tokens) if self.lower else new_render
        edits, controls = [], []
        for i1, i2, j1, j2 in regions:
            if i1 == i2:
                edit = self._insertion(i1, styled[tokens[j1].start : tokens[j2 - 1].end + 1])
            elif j1 == j2:
                i1, i2, edit = self._deletion(i1, i2)
            else:
                edit = self._replacement(i1, i2, styled[tokens[j1].start : tokens[j2 - 1].end + 1])
            if edit is None:
                return None
            edits.append(edit)
            if i1 < i2:  # the same span with the unchanged rendering: must mean the original
                unchanged = self.styled[old[i1].start : old[i2 - 1].end + 1]
                controls.append(Edit(edit.start, edit.end, unchanged))
        return self._checked(splice(self.masked.sql, edits), new_render, controls)

    def _deletion(self, i1: int, i2: int) -> tuple[int, int, Edit | None]:
        """Delete rendered tokens i1..i2, slid along equal tokens if that keeps a tag out.

        `a and b {% if %} and c {% endif %}` minus `b`: difflib may delete `b and`, across the
        tag, where `and b` deletes the same tokens without touching it.
        """
        keys, slides = self.keys, [(i1, i2)]
        a, b = i1, i2
        while a > 0 and keys[a - 1] == keys[b - 1]:
            a, b = a - 1, b - 1
            slides.append((a, b))
        a, b = i1, i2
        while b < len(keys) and keys[a] == keys[b]:
            a, b = a + 1, b + 1
            slides.append((a, b))
        for a, b in slides:
            if a in self.where and b - 1 in self.where:
                edit = self._replacement(a, b, "")
                if edit is not None:
                    return a, b, edit
        return i1, i2, None

    def _replacement(self, i1: int, i2: int, new: str) -> Edit | None:
        start = self.tokens[self.where[i1]].start
        end = self.tokens[self.where[i2 - 1]].end + 1
        if start >= end or has_tag(self.masked.sql, start, end):
            return None
        return Edit(start, end, new)

    def _insertion(self, i: int, new: str) -> Edit | None:
        """Before the next token, or on a line of its own at the end; never across a tag."""
        sql = self.masked.sql
        after = self.tokens[self.where[i - 1]].end + 1 if i else 0
        if i < len(self.render_tokens):
            at = self.tokens[self.where[i]].start
            if has_tag(sql, after, at):
                return None
            if i and new.split(" ")[0].upper() in _TRAILING:  # `union` -> `union all`
                return Edit(after, after, " " + new)
            return Edit(at, at, new + " ")  # `join` -> `left join`
        if has_tag(sql, after, len(sql)):
            return None
        line_end = sql.find("\n", after)
        at = len(sql) if line_end < 0 else line_end
        return Edit(at, at, "\n" + new)

    def _checked(self, sql: str, new_render: str, controls: list[Edit]) -> str | None:
        reparsed = parse(sql)
        if reparsed is None or render(reparsed) != new_render:
            return None
        if duckdb_tree(splice(self.masked.sql, controls)) != self.duck:
            return None
        return unmask(sql, self.masked.jinja)


_DUCKDB_PARSER: list = []  # one in-memory connection, made on first use (connecting is slow)
_DUCKDB_LOCK = threading.Lock()


def duckdb_tree(sql: str):
    """DuckDB's own parse tree, positions dropped: what the SQL means to the warehouse."""
    with _DUCKDB_LOCK:
        if not _DUCKDB_PARSER:
            _DUCKDB_PARSER.append(duckdb.connect())
        raw = _DUCKDB_PARSER[0].execute("select json_serialize_sql(?)", [sql]).fetchone()[0]
    parsed = json.loads(raw)
    return None if parsed.get("error") else _canonical(parsed["statements"])


def _regions(opcodes, where: dict[int, int], n: int) -> list[list[int]] | None:
    """Changed token ranges [i1, i2, j1, j2], widened until both ends are tokens the file has."""
    pending = [list(op[1:]) for op in opcodes if op[0] != "equal"]
    done: list[list[int]] = []
    while pending:
        i1, i2, j1, j2 = pending.pop(0)
        if done and i1 <= done[-1][1]:  # touches the previous region: one region
            p1, _, q1, _ = done.pop()
            pending.insert(0, [p1, i2, q1, j2])
        elif pending and i2 >= pending[0][0]:  # touches the next region
            _, n2, _, m2 = pending.pop(0)
            pending.insert(0, [i1, n2, j1, m2])
        elif not (i1 in where if i1 < i2 else i1 == 0 or i1 - 1 in where):
            if i1 == 0:
                return None
            pending.insert(0, [i1 - 1, i2, j1 - 1, j2])
        elif not (i2 - 1 in where if i1 < i2 else i1 == n or i1 in where):
            if i2 == n:
                return None
            pending.insert(0, [i1, i2 + 1, j1, j2 + 1])
        else:
            done.append([i1, i2, j1, j2])
    return done


def _canonical(value):
    """DuckDB parse JSON without positions; spellings sqlglot normalises are made equal."""
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _canonical(v) for k, v in value.items() if not k.startswith("query_location")}
    children = out.get("children") or []
    if out.get("type") == "OPERATOR_NOT" and len(children) == 1 and children[0].get("type") == "OPERATOR_IS_NULL":
        # not x is null == x is not null
        return {**children[0], "type": "OPERATOR_IS_NOT_NULL", "alias": out.get("alias")}
    if isinstance(out.get("function_name"), str):  # datediff == date_diff
        out["function_name"] = out["function_name"].lower().replace("_", "")
    if out.get("kind") == "STRING" and isinstance(out.get("text"), str):  # 'hour' == 'HOUR'
        out["text"] = out["text"].lower()
    return out
