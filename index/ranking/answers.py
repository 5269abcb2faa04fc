"""Passages that answer the same question, and passages that only point to
an answer.

MedQuAD asks the same question of a topic in several sources ("What is
Glaucoma?" five times), and 31,000 of its questions have no answer text,
only the page where the answer is published. For a reader:

- an answerless passage ranks on how well its question matches, but never
  above an answered passage on the same topic (``demote_pointers``): a
  link is no answer, and the topic is the same under another name too
  (the "High blood sugar" card below Hyperglycemia's answer, the two
  titles being synonyms);
- a front end can fold duplicates into one result naming every source
  (webapp/results_page.py), by ``question_key``.

Two passages ask the same question when they are about the same topic (the
article title, normalised) and ask the same kind of question (their qtype,
or else their normalised wording).
"""
from __future__ import annotations

from index.understanding.analysis import folded
from index.understanding.topic_names import topic_names
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


def demote_pointers(ranked: list[tuple[float, dict]], synonyms=None) -> list[tuple[float, dict]]:
    """``ranked`` (best first) with every answerless passage moved below the
    best answered passage of the same topic (``topic_names``), when one is
    in the pool."""
    names: dict[str, set[str]] = {}  # by title: a pool repeats its titles

    def named(fields: dict) -> set[str]:
        title = fields.get("title") or ""
        if title not in names:
            names[title] = topic_names(title, synonyms)
        return names[title]

    best_answered: dict[str, float] = {}
    for score, fields in ranked:
        if answered(fields):
            for name in named(fields):
                best_answered[name] = max(score, best_answered.get(name, 0.0))
    if not best_answered:
        return ranked
    out = []
    for n, (score, fields) in enumerate(ranked):
        if not answered(fields):
            best = max((best_answered.get(name, -1.0) for name in named(fields)), default=-1.0)
            if best >= 0 and score >= best:
                score = best * 0.999
        out.append((score, n, fields))
    out.sort(key=lambda r: (-r[0], r[1]))
    return [(score, fields) for score, _, fields in out]
