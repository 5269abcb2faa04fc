"""Relevance on MedQuAD: the judged lay queries of the dev set through kb's
search, by words only and hybrid, beside plain Whoosh over the same passages.

    python tests/benchmarks/relevance_medquad.py [--corpus PATH/medquad.tar.gz]
        [--queries PATH/medquad_dev_queries.yaml] [--show-misses]

The corpus, its import and index are common.py's cache (the first run pays
for them). The queries and their metrics come from the evaluation kit kept
beside the project (../shared/eval/: the queries file and score_medquad.py,
whose metrics this prints: nDCG@10 and Success@1 over all queries, nDCG@10
per style). Each engine answers every query once, first page of 10:

  - plain Whoosh: one stemmed field, QueryParser with OrGroup (common.py);
  - kb, words only: ``SearchIndex(..., meaning=False)``, the bundled synonyms;
  - kb, hybrid: ``SearchIndex(...)`` as the site searches (flat ranking).
"""
from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

EVAL_KIT = common.ROOT.parent / "shared" / "eval"


def _extra(parser) -> None:
    parser.add_argument("--queries", type=Path, default=EVAL_KIT / "medquad_dev_queries.yaml",
                        help="judged queries (default: %(default)s)")
    parser.add_argument("--show-misses", action="store_true",
                        help="list the queries whose top hybrid hit is not an answer")


def _scorer(queries: Path):
    """score_medquad.py, loaded from beside the queries file."""
    path = queries.parent / "score_medquad.py"
    if not path.is_file():
        print(f"The scoring script is absent: {path} does not exist.")
        raise SystemExit(2)
    spec = importlib.util.spec_from_file_location("score_medquad", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _kb_run(engine, queries: list[dict], to_answer) -> dict[str, list]:
    run = {}
    for q in queries:
        response = engine.search(q["q"], per_page=10)
        run[q["id"]] = [to_answer({"id": h.id, "article": {"id": h.article_id},
                                   "kind": h.kind, "number": h.number}) for h in response.hits]
    return run


def _whoosh_run(search, queries: list[dict], to_answer) -> dict[str, list]:
    return {q["id"]: [to_answer({"id": f["id"]}) for f in search.search(q["q"])]
            for q in queries}


def main() -> int:
    args = common.arguments(__doc__, _extra)
    if not args.queries.is_file():
        print(f"The judged queries are absent: {args.queries} does not exist.")
        return 2
    score = _scorer(args.queries)
    queries = score.load_queries(args.queries)
    corpus = common.corpus(args.corpus)
    docs = common.load_docs(corpus.kb_dir)
    _, whoosh_folder = common.baselines(corpus, docs)

    from index import SearchIndex
    from kb.synonyms import cached_synonyms, synonyms_path

    synonyms = functools.partial(cached_synonyms, synonyms_path(corpus.kb_dir))
    plain = common.PlainWhooshSearch(whoosh_folder)
    words = SearchIndex(corpus.index_dir, synonyms=synonyms, meaning=False)
    hybrid = SearchIndex(corpus.index_dir, synonyms=synonyms)
    try:
        runs = {"plain Whoosh (one stemmed field, OR)": _whoosh_run(
                    plain, queries, score.result_to_answer_id),
                "kb, words only": _kb_run(words, queries, score.result_to_answer_id),
                "kb, hybrid (as the site searches)": _kb_run(
                    hybrid, queries, score.result_to_answer_id)}
    finally:
        plain.close()
        words.close()
        hybrid.close()

    styles = [s for s in score.STYLES if any(q.get("style") == s for q in queries)]
    print(f"{len(queries)} judged queries from {args.queries}; "
          f"{len(docs)} passages; load {common.load_average()}\n")
    print(f"{'':38}{'nDCG@10':>9}{'S@1':>7}{'MRR@10':>8}{'zero':>6}"
          + "".join(f"{s:>12}" for s in styles))
    for label, run in runs.items():
        per = {q["id"]: score.score_query(run[q["id"]], q["rel"]) for q in queries}
        every = score.aggregate(list(per.values()))
        by_style = [score.aggregate([per[q["id"]] for q in queries if q.get("style") == s])
                    for s in styles]
        print(f"{label:38}{every['nDCG@10']:>9.3f}{every['S@1']:>7.3f}{every['MRR@10']:>8.3f}"
              f"{every['zero']:>6}" + "".join(f"{a['nDCG@10']:>12.3f}" for a in by_style))
    if args.show_misses:
        run = runs["kb, hybrid (as the site searches)"]
        print("\nTop hybrid hit not an answer:")
        for q in queries:
            top = run[q["id"]][:1]
            if not top or q["rel"].get(top[0], 0) < 2:
                print(f"  {q['id']} [{q.get('style')}] {q['q']!r}: {top[0] if top else 'nothing'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
