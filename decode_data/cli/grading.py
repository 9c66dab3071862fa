"""`lessons check` and `workspace grade`: the grader from the shell.

`lessons check` proves every lesson: in a throw-away data folder (fresh app database, fresh
sandboxed workspaces) the reference solution must pass every step and the starter must not.
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor

from decode_data.cli.output import EXIT_FAILED, EXIT_OK, out, print_json, table
from decode_data.cli.workspace import CliError, find_lesson, learner_workspace, migrate


def feedback_text(feedback) -> str:
    mark = "PASS" if feedback.passed else "FAIL"
    lines = [f"[{mark}] step {feedback.step_id}: {feedback.summary}"]
    failure = feedback.first_failure
    if failure is not None:
        if failure.stage:
            lines.append(f"       stage: {failure.stage} (on {failure.seeds})")
        if failure.hint and failure.hint != failure.message:
            lines.append(f"       hint: {failure.hint}")
        if failure.diff:
            for label, rows, total in (
                ("missing", failure.diff["missing"], failure.diff["missing_total"]),
                ("unexpected", failure.diff["extra"], failure.diff["extra_total"]),
            ):
                if total:
                    lines.append(f"       {label} rows ({total}):")
                    lines.extend("         " + line for line in table(failure.diff["columns"], rows).splitlines())
    return "\n".join(lines)


def grade(args) -> int:
    from decode_data.services.checking import check_steps
    from decode_data.services.engine import get_engine

    get_engine()  # warm the workers while the database and workspace are prepared
    with learner_workspace(args) as (session, user, lesson):
        try:
            results = check_steps(session, user, lesson, [args.step] if args.step else None)
        except ValueError as exc:
            raise CliError(str(exc)) from None
    if args.json:
        print_json([r.to_dict() for r in results])
    else:
        out("\n".join(feedback_text(r) for r in results))
    return EXIT_OK if all(r.passed for r in results) else EXIT_FAILED


def check(args) -> int:
    from decode_data.services.lessons import list_lessons

    lessons = [find_lesson(i) for i in args.ids] if args.ids else list_lessons()
    with tempfile.TemporaryDirectory(prefix="decode-data-lessons-check-") as scratch:
        _use_scratch_data_dir(scratch)
        rows, problems, proofs = _check_all(lessons, mutants=getattr(args, "mutants", False))
    if getattr(args, "wrong_answers", False):
        out(table(["lesson", "step", "wrong answer", "caught by", "ok"], [_proof_row(p) for p in proofs]) + "\n")
    out(table(["lesson", "step", "solution", "starter", "wrong answers", "mutants", "result"], rows))
    out(f"\n{sum(1 for r in rows if r[-1] == 'ok')} of {len(rows)} steps ok")
    if problems:
        out("\n" + "\n".join(f"- {p}" for p in problems))
    return EXIT_FAILED if problems or any(r[-1] != "ok" for r in rows) else EXIT_OK


def _use_scratch_data_dir(scratch: str) -> None:
    from decode_data import settings

    os.environ["DECODE_DATA_DIR"] = scratch
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/app.db"
    settings.reset_settings()
    migrate()


def _proof_row(proof) -> list:
    failure = proof.feedback.first_failure if proof.feedback else None
    caught = f"{failure.kind}" + (f": {', '.join(failure.shapes)}" if failure.shapes else "") if failure else "-"
    return [proof.lesson_id, proof.answer.step_id, proof.answer.mistake[:60], caught, "yes" if proof.ok else "NO"]


def _check_all(lessons, mutants: bool = False) -> tuple[list[list], list[str], list]:
    """Every lesson proved side by side, reported in catalog order. A lesson alone leaves
    workers idle while it waits on one build (its reference, then a solution's grading);
    the other lessons' jobs fill them."""
    from decode_data.services.engine import get_engine

    get_engine()
    with ThreadPoolExecutor(max_workers=max(1, len(lessons))) as pool:
        checked = list(pool.map(lambda lesson: _check_lesson(lesson, mutants), lessons))
    rows, problems, every_proof = [], [], []
    for lesson_rows, lesson_problems, proofs in checked:
        rows += lesson_rows
        problems += lesson_problems
        every_proof += proofs
    return rows, problems, every_proof


def _check_lesson(lesson, mutants: bool) -> tuple[list[list], list[str], list]:
    from decode_data.db import session_scope
    from decode_data.services.authoring.proofs import prove_wrong_answers
    from decode_data.services.authoring.solution_proof import check_lesson, describe

    proofs = prove_wrong_answers(lesson)
    problems = [f"{lesson.id}: {p.describe()}" for p in proofs if not p.ok]
    scores = _mutation_scores(lesson) if mutants else {}
    rows = []
    with session_scope() as session:
        for step in check_lesson(session, lesson):
            mine = [p for p in proofs if p.answer.step_id == step.step_id]
            wrong = f"{sum(p.ok for p in mine)}/{len(mine)} rejected" if mine else "none"
            result = describe(step)
            if result == "ok" and any(not p.ok for p in mine):
                result = "a wrong answer slips through (below)"
            score = scores.get(step.step_id)
            if score is not None and result == "ok" and not score.ok:
                result = f"mutation score {score.percent:.0f}% < {score.target:.0f}% (below)"
                problems += [f"{lesson.id}/{step.step_id}: survivor: {m}" for m in score.survivors]
            rows.append(
                [
                    step.lesson_id,
                    step.step_id,
                    _mark(step.solution),
                    _mark(step.starter),
                    wrong,
                    score.label if score else "-",
                    result,
                ]
            )
    return rows, problems, proofs


def _mutation_scores(lesson) -> dict:
    from decode_data.services.authoring.mutation_score import mutation_scores

    return mutation_scores(lesson)


def _mark(feedback) -> str:
    if feedback is None:
        return "-"
    return "passes" if feedback.passed else "fails"
