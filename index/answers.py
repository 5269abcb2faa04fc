"""Passages that answer the same question, and passages that only point to
an answer.

MedQuAD asks the same question of a topic in several sources ("What is
Glaucoma?" five times), and 31,000 of its questions have no answer text,
only the page where the answer is published. For a reader:

- an answerless passage ranks on how well its question matches, but never
  above an answered passage on the same topic that answers the same kind
  of question (``demote_pointers``);
- duplicates can be collapsed into one result naming every source
  (``collapse``); the one shown is the best answered one.

Two passages ask the same question when they are about the same topic (the
article title, normalised) and ask the same kind of question (their qtype,
or else their normalised wording).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_NON_WORD = re.compile(r"[\W_]+")


def answered(fields: dict) -> bool:
    return fields.get("kind") != "question" or bool((fields.get("body") or "").strip())


def _normal(text: str) -> str:
    return _NON_WORD.sub(" ", text.casefold()).strip()


def question_key(fields: dict) -> tuple[str, str] | None:
    """What question a passage answers; None for passages that are not
    questions (facts, intros: never duplicates of each other)."""
    if fields.get("kind") != "question":
        return None
    return _normal(fields.get("title") or ""), fields.get("qtype") or _normal(fields.get("heading") or "")


@dataclass
class Ranked:
    """A ranked passage and the duplicates folded into it."""
    score: float
    fields: dict
    duplicates: list[dict] = field(default_factory=list)


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


def collapse(ranked: list[tuple[float, dict]]) -> list[Ranked]:
    """One entry per question, at the rank of its best copy, with the other
    copies as its duplicates. The copy shown is an answered one when there
    is one, from the article that ranks first among them, so one source's
    card carries a topic's answers rather than each source a few. Only
    passages of other articles are duplicates (one page's several answers of
    a kind are all its own); passages that are not questions stay as they
    are."""
    article_rank: dict[str, int] = {}
    for n, (_, fields) in enumerate(ranked):
        article_rank.setdefault(fields["article_id"], n)
    slots: list[list[tuple[float, dict]]] = []
    by_key: dict[tuple, list[tuple[float, dict]]] = {}
    for score, fields in ranked:
        key = question_key(fields)
        copies = by_key.get(key) if key is not None else None
        if copies is not None and any(f["article_id"] == fields["article_id"] for _, f in copies):
            copies = None
        if copies is None:
            copies = []
            slots.append(copies)
            if key is not None:
                by_key.setdefault(key, copies)
        copies.append((score, fields))
    out = []
    for copies in slots:
        shown = min(copies, key=lambda c: (not answered(c[1]), article_rank[c[1]["article_id"]]))
        out.append(Ranked(copies[0][0], shown[1],
                          [fields for _, fields in copies if fields is not shown[1]]))
    return out


def group_by_article(entries: list[Ranked], per_article: int) -> list[list[Ranked]]:
    """Entries grouped by article, articles in the order of their best
    entry, at most ``per_article`` entries each and one of each heading (a
    page that answers "What is Glaucoma?" in three parts shows the best)."""
    groups: dict[str, list[Ranked]] = {}
    headings: dict[str, set[str]] = {}
    for entry in entries:
        article_id = entry.fields["article_id"]
        group = groups.setdefault(article_id, [])
        seen = headings.setdefault(article_id, set())
        heading = _normal(entry.fields.get("heading") or "")
        if len(group) < per_article and heading not in seen:
            seen.add(heading)
            group.append(entry)
    return list(groups.values())
