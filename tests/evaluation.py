"""Relevance metrics over judged queries, shared by the relevance benchmark
and the relevance regression test.

Judgments label passages as ``intro``, ``conclusion``, ``fact:N``, ``q:N``
with grades 2 (the passage a reader wants first) and 1 (related, useful).
"""
from __future__ import annotations

import math
from pathlib import Path
from statistics import mean
from typing import Callable, Iterable

import yaml

K = 10


def label_of(passage_id: str) -> str:
    """'article#fact-4' -> 'fact:4'; 'article#q-7' -> 'q:7'."""
    anchor = passage_id.partition("#")[2]
    kind, _, number = anchor.partition("-")
    return f"{kind}:{number}" if number else kind


def load_judgments(path: Path) -> list[dict]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [{"q": item["q"], "rel": {str(k): int(v) for k, v in item["rel"].items()}}
            for item in data["queries"]]


def ndcg(ranked: list[str], rel: dict[str, int], k: int = K) -> float:
    gains = [rel.get(label, 0) for label in ranked[:k]]
    dcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted(rel.values(), reverse=True)[:k]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def mrr(ranked: list[str], rel: dict[str, int], k: int = K) -> float:
    return next((1 / (i + 1) for i, label in enumerate(ranked[:k]) if rel.get(label)), 0.0)


def success_at_1(ranked: list[str], rel: dict[str, int]) -> float:
    return float(bool(ranked) and rel.get(ranked[0]) == 2)


def recall_at_3(ranked: list[str], rel: dict[str, int]) -> float:
    return len(set(ranked[:3]) & set(rel)) / len(rel)


METRICS: dict[str, Callable[[list[str], dict[str, int]], float]] = {
    "nDCG@10": ndcg, "MRR@10": mrr, "Success@1": success_at_1, "Recall@3": recall_at_3,
}


def evaluate(search: Callable[[str], Iterable[str]], judgments: list[dict]) -> dict:
    """Mean of each metric; ``search`` maps a query to ranked passage ids."""
    per_query = []
    for j in judgments:
        ranked = [label_of(pid) for pid in search(j["q"])]
        per_query.append({name: f(ranked, j["rel"]) for name, f in METRICS.items()})
    return {name: mean(q[name] for q in per_query) for name in METRICS} | {
        "zero_results": sum(1 for j in judgments if not list(search(j["q"])))}
