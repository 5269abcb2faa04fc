"""Passages that answer the same question, and passages that only point to
an answer.

MedQuAD asks the same question of a topic in several sources ("What is
Glaucoma?" five times), and 31,000 of its questions have no answer text,
only the page where the answer is published. For a reader:

- an answerless passage ranks on how well its question matches, but never
  above an answered passage on the same topic that answers the same kind
  of question (``demote_pointers``);
- a front end can fold duplicates into one result naming every source
  (webapp/results_page.py), by ``question_key``.

Two passages ask the same question when they are about the same topic (the
article title, normalised) and ask the same kind of question (their qtype,
or else their normalised wording).
"""
from __future__ import annotations

from index.understanding.analysis import folded
from kb.article import is_answered


def answered(fields: dict) -> bool:
    """Whether the passage of these stored fields answers in its own text."""
    return is_answered(fields.get("kind"), fields.get("body"))


def question_key(fields: dict) -> tuple[str, str] | None:
    """What question a passage answers; None for passages that are not
    questions (facts, intros: never duplicates of each other)."""
    if fields.get("kind") != "question":
        return None
    return folded(fields.get("title") or ""), fields.get("qtype") or folded(fields.get("heading") or "")


def demote_pointers(ranked: list[tuple[float, dict]]) -> list[tuple[float, dict]]:
    """``ranked`` (best first) with every answerless passage moved below the
    best answered passage of the same question, when one is in the pool."""
    best_answered: dict[tuple, float] = {}
    for score, fields in ranked:
        key = question_key(fields)
        if key is not None and answered(fields):
            best_answered[key] = max(score, best_answered.get(key, 0.0))
    if not best_answered:
        return ranked
    out = []
    for n, (score, fields) in enumerate(ranked):
        key = question_key(fields)
        if key in best_answered and not answered(fields) and score >= best_answered[key]:
            score = best_answered[key] * 0.999
        out.append((score, n, fields))
    out.sort(key=lambda r: (-r[0], r[1]))
    return [(score, fields) for score, _, fields in out]
