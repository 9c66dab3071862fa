"""Mutants of a lesson's model SQL: the wrong answers a learner might write.

A lesson's checks should fail for each of them (a `>=` that became `>`, a left join that became
an inner join ...): a mutant that passes every check is a mistake the lesson cannot catch.

Each operator looks at one node of the sqlglot tree and offers replacements for it; the
`Splicer` (see `jinja_mask`) writes a changed tree back into the file, Jinja and layout intact,
and refuses any change it cannot prove it spliced in faithfully.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from itertools import islice, zip_longest

from sqlglot import exp

from decode_data.services.authoring.jinja_mask import Splicer, lower_keywords, mask, parse, readable, render

Offer = tuple[exp.Expression | None, str]  # (replacement node or None to delete it, description)
Operator = Callable[[exp.Expression], Iterator[Offer]]


@dataclass(frozen=True)
class Mutant:
    path: str  # project-relative path of the mutated file, e.g. "models/customers.sql"
    operator: str  # short id of the mutation operator, e.g. "join_type"
    description: str  # one line for the lesson author: what changed, and where
    text: str  # the whole mutated file text, Jinja intact, ready to save into a dbt project


def sql_mutants(text: str, path: str, limit: int | None = None) -> list[Mutant]:
    """Distinct, valid mutants of one model file, round-robin over operators, at most `limit`."""
    masked = mask(text)
    tree = parse(masked.sql) if masked else None
    if masked is None or tree is None:
        return []
    splicer = Splicer(masked, tree)
    offers = [_offers(tree, name, op) for name, op in OPERATORS]
    found: list[Mutant] = []
    seen, said = {text}, Counter()
    for name, changed, description in _round_robin(offers):
        if limit is not None and len(found) >= limit:
            break
        mutant = splicer.text_of(changed)
        if mutant is not None and mutant not in seen:
            seen.add(mutant)
            description = readable(description, masked.jinja)
            said[description] += 1  # an author lists survivors by description: keep them apart
            repeat = f" #{said[description]}" if said[description] > 1 else ""
            found.append(Mutant(path, name, description + repeat, mutant))
    return found


def file_mutants(files: dict[str, str], limit: int | None = None) -> list[Mutant]:
    """Mutants of every model and snapshot `.sql` file of a project (path -> text)."""
    return [
        mutant
        for path in sorted(files)
        if path.endswith(".sql") and path.startswith(("models/", "snapshots/"))
        for mutant in sql_mutants(files[path], path, limit)
    ]


def _round_robin(offers: list[Iterator]) -> Iterator:
    """First offer of each operator, then the second of each ...: a capped list stays diverse.
    Lazy, so a capped list copies no more trees than it needs."""
    return (item for row in zip_longest(*offers) for item in row if item is not None)


def _offers(tree: exp.Expression, name: str, operator: Operator) -> Iterator[tuple]:
    """(name, changed copy of the whole tree, description) for each replacement offered."""
    for index, node in enumerate(tree.walk()):
        for new, description in operator(node):
            copy = tree.copy()
            target = next(islice(copy.walk(), index, None))  # same walk order in a copy
            if target is copy:
                yield name, new, description
                continue
            if new is None:
                target.pop()
            else:
                target.replace(new)
            yield name, copy, description


def _sql(node: exp.Expression | None, width: int = 70) -> str:
    """A node as short lowercase SQL; a long one keeps its start and its end (`... = 1`)."""
    text = " ".join(lower_keywords(render(node)).split()) if node is not None else ""
    text = re.sub(r"\bnot (\S+) is null\b", r"\1 is not null", text)  # as authors write it
    half = (width - 3) // 2
    return text if len(text) <= width else f"{text[:half]}...{text[-half:]}"


_CLAUSES = {
    exp.Qualify: "qualify",
    exp.Having: "having",
    exp.Where: "where",
    exp.Join: "join",
    exp.Group: "group by",
    exp.Window: "window",
    exp.Order: "order by",
    exp.Case: "case",
}


def _at(node: exp.Expression) -> str:
    """The clause a node sits in, and its CTE: where an author finds it in the file."""
    place, current = "select", node
    while current is not None and not isinstance(current, exp.Query):
        if type(current) in _CLAUSES:
            place = _CLAUSES[type(current)]
            place = "filter" if isinstance(current.parent, exp.Filter) else place
            break
        current = current.parent
    column = node if isinstance(node, exp.Alias) else node.find_ancestor(exp.Alias)
    if place in ("select", "case") and column and isinstance(column.parent, exp.Select):
        place = f"{place} {column.alias}"
    cte = node.find_ancestor(exp.CTE)
    return f"{place} of cte {cte.alias}" if cte else place


def _change(old: exp.Expression, new: exp.Expression) -> Offer:
    """Replace `old` by `new`, described as `old -> new (where)`."""
    return new, f"{_sql(old)} -> {_sql(new)} ({_at(old)})"


def _binary(cls: type[exp.Binary], node: exp.Binary) -> exp.Binary:
    return cls(this=node.this.copy(), expression=node.expression.copy())


def _conjuncts(condition: exp.Expression) -> list[exp.Expression]:
    if isinstance(condition, exp.And):
        return _conjuncts(condition.left) + _conjuncts(condition.right)
    return [condition]


def _without(holder: exp.Expression, key: str, k: int) -> exp.Expression:
    """A copy of a WHERE/ON holder with its k-th `and` conjunct gone."""
    copy = holder.copy()
    gone = _conjuncts(copy.args[key])[k]
    pair = gone.parent
    pair.replace(pair.right if gone is pair.left else pair.left)
    return copy


_SPECIAL_JOINS = ("CROSS", "SEMI", "ANTI", "ASOF", "POSITIONAL", "ANY")


def join_type(node: exp.Expression) -> Iterator[Offer]:
    """left <-> inner; right and full -> left: the join that keeps or loses unmatched rows."""
    if not isinstance(node, exp.Join) or node.method or node.kind in _SPECIAL_JOINS:
        return
    on, using = node.args.get("on"), node.args.get("using")
    if not (on or using):
        return
    new = node.copy()
    new.set("side", None if node.side == "LEFT" else "LEFT")
    new.set("kind", "INNER" if node.side == "LEFT" else None)
    old_name, new_name = (node.side or "inner").lower(), "inner" if node.side == "LEFT" else "left"
    joined = f"{_sql(node.this)} on {_sql(on)}" if on else _sql(node.this)
    yield new, f"{old_name} join -> {new_name} join ({joined})"


def join_condition(node: exp.Expression) -> Iterator[Offer]:
    """Drop one `and` condition of a join: the classic fan-out or missing time window."""
    if isinstance(node, exp.Join) and isinstance(node.args.get("on"), exp.And):
        for k, part in enumerate(_conjuncts(node.args["on"])):
            description = f"drop join condition {_sql(part)} (join {_sql(node.this)})"
            yield _without(node, "on", k), description


_FLIP = {exp.GT: exp.GTE, exp.GTE: exp.GT, exp.LT: exp.LTE, exp.LTE: exp.LT, exp.EQ: exp.NEQ, exp.NEQ: exp.EQ}


def comparison(node: exp.Expression) -> Iterator[Offer]:
    """> <-> >=, < <-> <=, = <-> <>: the off-by-one of filters and time windows."""
    if type(node) in _FLIP:
        yield _change(node, _binary(_FLIP[type(node)], node))


def and_or(node: exp.Expression) -> Iterator[Offer]:
    """`and` <-> `or` in a WHERE, HAVING, QUALIFY or join condition."""
    if not isinstance(node, (exp.And, exp.Or)):
        return
    clause = node.find_ancestor(exp.Where, exp.Having, exp.Qualify, exp.Join, exp.Select)
    if clause is None or isinstance(clause, exp.Select):
        return
    new = _binary(exp.Or if isinstance(node, exp.And) else exp.And, node)
    names = ("and", "or") if isinstance(node, exp.And) else ("or", "and")
    wrapped = exp.Paren(this=new) if isinstance(node.parent, exp.And) else new
    yield wrapped, f"{names[0]} -> {names[1]} before {_sql(node.right)} ({_at(node)})"


def drop_predicate(node: exp.Expression) -> Iterator[Offer]:
    """Forget a filter: one `and` conjunct, the whole WHERE/HAVING/QUALIFY, or an agg FILTER."""
    if isinstance(node, exp.Filter):
        yield _change(node, node.this.copy())
    if not isinstance(node, (exp.Where, exp.Having, exp.Qualify)):
        return
    parts = _conjuncts(node.this)
    if len(parts) == 1 and not isinstance(node.parent, exp.Filter):
        yield None, f"drop {_sql(node)} ({_at(node.parent)})"
    for k, part in enumerate(parts if len(parts) > 1 else []):
        yield _without(node, "this", k), f"drop {_sql(part)} ({_at(node)})"


def coalesce(node: exp.Expression) -> Iterator[Offer]:
    """coalesce(x, d) -> x: the NULL a left join leaves behind shows up again."""
    if isinstance(node, exp.Coalesce) and node.expressions:
        yield _change(node, node.this.copy())


def distinct(node: exp.Expression) -> Iterator[Offer]:
    """Remove `distinct`: select distinct, count(distinct x)."""
    if isinstance(node, exp.Select) and node.args.get("distinct"):
        new = node.copy()
        new.set("distinct", None)
        yield new, f"select distinct -> select ({_at(node)})"
    inner = node.this if isinstance(node, exp.AggFunc) else None
    if isinstance(inner, exp.Distinct) and len(inner.expressions) == 1:
        new = node.copy()
        new.set("this", new.this.expressions[0])
        yield _change(node, new)


def group_by(node: exp.Expression) -> Iterator[Offer]:
    """Drop one group-by column, from the select too, so the mutant still builds."""
    group = node.args.get("group") if isinstance(node, exp.Select) else None
    columns = group.expressions if group else []
    if any(isinstance(c, (exp.Literal, exp.Rollup, exp.Cube, exp.GroupingSets)) for c in columns):
        return  # `group by 1` or a rollup: dropping one is not a plain column
    for k, column in enumerate(columns):
        gone = [p.alias_or_name for p in node.expressions if _is_projection_of(p, column)]
        if any(_read_elsewhere(node, name) for name in gone):
            continue  # a CTE's key the query joins on: the mutant would not build
        new = node.copy()
        keep = [p for p in new.expressions if not _is_projection_of(p, column)]
        if not keep:
            continue
        new.set("expressions", keep)
        new.args["group"].expressions[k].pop()
        if not new.args["group"].expressions:
            new.set("group", None)
        yield new, f"drop {_sql(column)} from group by and select ({_at(node)})"


def _read_elsewhere(select: exp.Select, name: str) -> bool:
    """Whether the rest of the query reads a column of this select by that name."""
    inside = {id(n) for n in select.walk()}
    return any(c.name == name and id(c) not in inside for c in select.root().find_all(exp.Column))


def _is_projection_of(projection: exp.Expression, column: exp.Expression) -> bool:
    if projection.unalias() == column:
        return True
    by_alias = isinstance(projection, exp.Alias) and isinstance(column, exp.Column)
    return by_alias and not column.table and projection.alias == column.name


def literal(node: exp.Expression) -> Iterator[Offer]:
    """n -> n+1; 'completed' -> 'COMPLETED' in a comparison; one value less in an IN list."""
    if isinstance(node, exp.In) and len(node.expressions) > 1:
        for k in range(len(node.expressions)):
            new = node.copy()
            new.expressions[k].pop()
            yield _change(node, new)
    if not isinstance(node, exp.Literal) or node.find_ancestor(exp.DataType, exp.Interval):
        return
    if not node.is_string and not isinstance(node.parent, (exp.Group, exp.Ordered, exp.Order)):
        try:
            yield _change(node, exp.Literal.number(str(Decimal(node.this) + 1)))
        except InvalidOperation:
            return
    text, parent = node.this, node.parent
    compared = isinstance(parent, (exp.Binary, exp.In)) and not isinstance(parent, exp.DPipe)
    if node.is_string and compared and "__jinja_" not in text and text.upper() != text.lower():
        changed = text.upper() if text.upper() != text else text.lower()
        yield _change(node, exp.Literal.string(changed))


_SWAP = {exp.Sum: exp.Avg, exp.Avg: exp.Sum, exp.Min: exp.Max, exp.Max: exp.Min}


def aggregate(node: exp.Expression) -> Iterator[Offer]:
    """sum <-> avg, min <-> max, count(*) <-> count(distinct col), count(col) -> count(*)."""
    if type(node) in _SWAP:
        yield _change(node, _SWAP[type(node)](this=node.this.copy()))
    if not isinstance(node, exp.Count) or node.this is None:
        return
    new = node.copy()
    if isinstance(node.this, exp.Star):
        column = _other_aggregated_column(node)
        if column is None:
            return
        new.set("this", exp.Distinct(expressions=[column.copy()]))
    else:
        new.set("this", exp.Star())
    yield _change(node, new)


def _other_aggregated_column(count: exp.Count) -> exp.Column | None:
    """A column another aggregate of the same select reads, for `count(distinct col)`."""
    select = count.find_ancestor(exp.Select)
    for agg in select.find_all(exp.AggFunc) if select else []:
        if not isinstance(agg, exp.Count) and agg.find_ancestor(exp.Select) is select:
            column = agg.find(exp.Column)
            if column is not None:
                return column
    return None


def case_fn(node: exp.Expression) -> Iterator[Offer]:
    """Drop lower()/upper()/trim()/round(): the clean-up a learner forgets."""
    plain = not (node.args.get("expression") or node.args.get("position"))
    if isinstance(node, (exp.Lower, exp.Upper, exp.Round)) or isinstance(node, exp.Trim) and plain:
        yield _change(node, node.this.copy())


def cast(node: exp.Expression) -> Iterator[Offer]:
    """Drop a cast to a number type; `a / b` -> `a // b` (integer division of cents)."""
    if isinstance(node, exp.Cast) and node.to.is_type(*exp.DataType.NUMERIC_TYPES):
        yield _change(node, node.this.copy())
    if isinstance(node, exp.Div):
        yield _change(node, _binary(exp.IntDiv, node))


def limit(node: exp.Expression) -> Iterator[Offer]:
    """`limit 5` on the final select; drop the ORDER BY of a limited one (an arbitrary top n)."""
    if node.parent is not None or not isinstance(node, exp.Query):
        return
    if not node.args.get("limit") and isinstance(node, exp.Select):
        yield node.limit(5), "add limit 5 to the final select"
    elif node.args.get("limit") and node.args.get("order"):
        new = node.copy()
        new.set("order", None)
        yield new, f"drop {_sql(node.args['order'])} before {_sql(node.args['limit'])}"


def union(node: exp.Expression) -> Iterator[Offer]:
    """union <-> union all: duplicates removed or kept."""
    if isinstance(node, exp.Union):
        new = node.copy()
        new.set("distinct", not node.args.get("distinct"))
        names = ["union", "union all"] if node.args.get("distinct") else ["union all", "union"]
        yield new, f"{names[0]} -> {names[1]} ({_at(node)})"


def window(node: exp.Expression) -> Iterator[Offer]:
    """Drop one partition-by column; row_number() -> rank() (ties get the same number)."""
    if isinstance(node, exp.RowNumber):
        yield _change(node, exp.Rank())
    parts = node.args.get("partition_by") if isinstance(node, exp.Window) else None
    for k, column in enumerate(parts or []):
        new = node.copy()
        new.args["partition_by"][k].pop()
        if not new.args["partition_by"]:
            new.set("partition_by", None)
        named = node.arg_key == "windows"  # `window by_meter as (...)` of the select
        label = f"window {node.this}" if named else _sql(node)
        yield new, f"drop partition by {_sql(column)} ({label})"


OPERATORS: list[tuple[str, Operator]] = [
    (op.__name__, op)
    for op in (
        join_type,
        join_condition,
        comparison,
        and_or,
        drop_predicate,
        coalesce,
        distinct,
        group_by,
        literal,
        aggregate,
        case_fn,
        cast,
        limit,
        union,
        window,
    )
]
