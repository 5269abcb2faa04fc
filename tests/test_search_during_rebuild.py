"""A rebuild never interrupts search: threads keep searching one SearchIndex
while full builds publish (and prune) generation after generation.

The small, fast twin of tests/benchmarks/rebuild_under_load.py.
"""
from __future__ import annotations

import threading
import time

from index import build_index
from index import SearchIndex

from support import HASHED_MODEL

SEARCHERS = 4
BUILDS = 5
QUERIES = ["sciatica", "leg numbness", "sciatia", '"laying down"', "tingling -sciatica",
           "circulation", "calf cramp"]


def answer_problems(response, expected_ids: list[str], manifest_ids: set[str]) -> list:
    """What is wrong with one answer: incomplete, or not the answer the
    (unchanging) articles give."""
    problems = []
    got = [r.id for r in response.hits]
    if got != expected_ids:
        problems.append(("results differ", got, expected_ids))
    if response.total < len(got):
        problems.append(("total below the results shown", response.total, len(got)))
    for hit in response.hits:
        if hit.article_id not in manifest_ids or not hit.snippet.text:
            problems.append(("incomplete hit", hit.id))
    return problems


def test_searches_during_repeated_full_rebuilds_all_get_complete_answers(
        tmp_path, seed_article, make_article):
    articles = [seed_article,
                make_article("cramps", "Cramps", facts=[("Calf cramp", "A cramp grips the calf.")],
                             related=["Why Does My Leg Go Numb When I Lay Down?"])]
    build_index(articles, tmp_path, model=HASHED_MODEL)
    engine = SearchIndex(tmp_path)
    expected = {q: [r.id for r in engine.search(q, per_page=50).hits] for q in QUERIES}
    assert all(expected[q] for q in QUERIES if not q.startswith('"'))
    manifest_ids = {a.id for a in articles}
    stop = threading.Event()
    failures: list = []
    answered = [0] * SEARCHERS

    def search(n: int) -> None:
        i = n
        while not stop.is_set():
            query = QUERIES[i % len(QUERIES)]
            i += 1
            try:
                response = engine.search(query, per_page=50)
            except Exception as exc:  # reported below, not lost in the thread
                failures.append((query, repr(exc)))
                continue
            failures.extend(answer_problems(response, expected[query], manifest_ids))
            answered[n] += 1

    threads = [threading.Thread(target=search, args=(n,)) for n in range(SEARCHERS)]
    for t in threads:
        t.start()
    generations = []
    try:
        for _ in range(BUILDS):
            generations.append(build_index(articles, tmp_path, full=True, lock_wait=10,
                                           model=HASHED_MODEL).generation)
            time.sleep(0.02)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
        engine.close()
    assert len(set(generations)) == BUILDS  # every build published a new generation
    assert failures[:5] == []
    assert all(answered), answered  # every thread got answers
