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
  - kb as it was at BEFORE (words only and hybrid): that commit's index/
    and kb/ packages, taken from git into a temporary folder and run in a
    child process over the same index;
  - kb now, words only: ``SearchIndex(..., meaning=False)``, the bundled synonyms;
  - kb now, hybrid: ``SearchIndex(...)`` as the site searches (flat ranking).

Then the blend rule (index/understanding/understanding.py ``blend_weight``) is
cross-validated across the four styles: for each style, the rule's
settings that score best on the other three are chosen from a small grid,
and scored on the held-out style.
"""
from __future__ import annotations

import functools
import importlib.util
import itertools
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

EVAL_KIT = common.ROOT.parent / "shared" / "eval"
# The commit whose ranking the issue measured kb against.
BEFORE = "591cbf7"
# The blend rule's grid: (words' weight up to SHORT_WORDS words, its floor).
SHORT_ALPHAS = (0.6, 0.7, 0.8)
LONG_ALPHAS = (0.3, 0.4, 0.5, 0.7)

# Run in a child process with an older kb on its path: every query through
# that kb's SearchIndex, words only and hybrid, hits as JSON.
_OLD_RUN = """
import functools, json, sys
sys.path.insert(0, sys.argv[1])
from index import SearchIndex
from kb.synonyms import cached_synonyms
index_dir, synonyms_file = sys.argv[2], sys.argv[3]
queries = json.load(sys.stdin)
synonyms = functools.partial(cached_synonyms, synonyms_file)
out = {}
for name, meaning in (("words", False), ("hybrid", True)):
    engine = SearchIndex(index_dir, synonyms=synonyms, meaning=meaning)
    out[name] = {q["id"]: [{"id": h.id, "article": {"id": h.article_id}, "kind": h.kind,
                            "number": h.number}
                           for h in engine.search(q["q"], per_page=10).hits] for q in queries}
    engine.close()
print(json.dumps(out))
"""


def _extra(parser) -> None:
    parser.add_argument("--queries", type=Path, default=EVAL_KIT / "medquad_dev_queries.yaml",
                        help="judged queries (default: %(default)s)")
    parser.add_argument("--show-misses", action="store_true",
                        help="list the queries whose top hybrid hit is not an answer")
    parser.add_argument("--generated", type=int, metavar="N", default=0,
                        help="score N queries of each style made from MedQuAD's own questions "
                             "(generated_queries.py) instead of the judged queries")
    parser.add_argument("--no-cross-validation", action="store_true",
                        help="skip the blend rule's cross-validation (a dozen more runs)")


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


def _before_runs(corpus, queries: list[dict], to_answer) -> dict[str, dict[str, list]]:
    """kb as it was at BEFORE: "words" and "hybrid" runs."""
    from kb.synonyms import synonyms_path

    with tempfile.TemporaryDirectory(prefix="kb-before-") as folder:
        archive = subprocess.run(["git", "-C", str(common.ROOT), "archive", BEFORE, "index", "kb"],
                                 check=True, capture_output=True).stdout
        with tarfile.open(fileobj=__import__("io").BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
        out = subprocess.run([sys.executable, "-c", _OLD_RUN, folder, str(corpus.index_dir),
                              str(synonyms_path(corpus.kb_dir))],
                             input=json.dumps(queries), capture_output=True, text=True,
                             check=True).stdout
    runs = json.loads(out)
    return {name: {qid: [to_answer(h) for h in hits] for qid, hits in run.items()}
            for name, run in runs.items()}


def _scores(score, run: dict, queries: list[dict]) -> dict:
    return score.aggregate([score.score_query(run[q["id"]], q["rel"]) for q in queries])


def _cross_validated_blend(score, corpus, synonyms, queries: list[dict], styles: list[str]):
    """For each style: the blend settings best on the other styles, and
    their score on it. Returns (rows, the pooled held-out run)."""
    from index import SearchIndex
    from index.understanding import understanding

    runs = {}
    saved = understanding.SHORT_ALPHA, understanding.LONG_ALPHA
    try:
        for short, long_ in itertools.product(SHORT_ALPHAS, LONG_ALPHAS):
            if long_ > short:
                continue
            understanding.SHORT_ALPHA, understanding.LONG_ALPHA = short, long_
            engine = SearchIndex(corpus.index_dir, synonyms=synonyms)
            try:
                runs[(short, long_)] = _kb_run(engine, queries, score.result_to_answer_id)
            finally:
                engine.close()
    finally:
        understanding.SHORT_ALPHA, understanding.LONG_ALPHA = saved
    rows, pooled = [], {}
    for held in styles:
        train = [q for q in queries if q.get("style") != held]
        test = [q for q in queries if q.get("style") == held]
        chosen = max(runs, key=lambda k: (_scores(score, runs[k], train)["nDCG@10"], k == saved))
        rows.append((held, chosen, _scores(score, runs[chosen], train)["nDCG@10"],
                     _scores(score, runs[chosen], test)["nDCG@10"],
                     _scores(score, runs[saved], test)["nDCG@10"]))
        pooled.update({q["id"]: runs[chosen][q["id"]] for q in test})
    return rows, pooled


def _whoosh_run(search, queries: list[dict], to_answer) -> dict[str, list]:
    return {q["id"]: [to_answer({"id": f["id"]}) for f in search.search(q["q"])]
            for q in queries}


def main() -> int:
    args = common.arguments(__doc__, _extra)
    if not args.queries.is_file():
        print(f"The judged queries are absent: {args.queries} does not exist.")
        return 2
    score = _scorer(args.queries)
    corpus = common.corpus(args.corpus)
    if args.generated:
        import generated_queries

        queries = generated_queries.generate(generated_queries.passages(corpus.index_dir),
                                             args.generated)
        score.result_to_answer_id = lambda hit: hit["id"]
    else:
        queries = score.load_queries(args.queries)
    docs = common.load_docs(corpus.kb_dir)
    _, whoosh_folder = common.baselines(corpus, docs)

    from index import SearchIndex
    from kb.synonyms import cached_synonyms, synonyms_path

    synonyms = functools.partial(cached_synonyms, synonyms_path(corpus.kb_dir))
    plain = common.PlainWhooshSearch(whoosh_folder)
    words = SearchIndex(corpus.index_dir, synonyms=synonyms, meaning=False)
    hybrid = SearchIndex(corpus.index_dir, synonyms=synonyms)
    before = _before_runs(corpus, queries, score.result_to_answer_id)
    try:
        runs = {"plain Whoosh (one stemmed field, OR)": _whoosh_run(
                    plain, queries, score.result_to_answer_id),
                f"kb at {BEFORE}, words only": before["words"],
                f"kb at {BEFORE}, hybrid": before["hybrid"],
                "kb now, words only": _kb_run(words, queries, score.result_to_answer_id),
                "kb now, hybrid (as the site searches)": _kb_run(
                    hybrid, queries, score.result_to_answer_id)}
    finally:
        plain.close()
        words.close()
        hybrid.close()

    styles = [s for s in score.STYLES if any(q.get("style") == s for q in queries)]
    folds, pooled = ([], None) if args.no_cross_validation else _cross_validated_blend(
        score, corpus, synonyms, queries, styles)
    if pooled:
        runs["kb now, blend cross-validated by style"] = pooled
    print(f"{len(queries)} " + (f"generated queries" if args.generated else
                                 f"judged queries from {args.queries}") + "; "
          f"{len(docs)} passages; load {common.load_average()}\n")
    print(f"{'':42}{'nDCG@10':>9}{'S@1':>7}{'MRR@10':>8}{'zero':>6}"
          + "".join(f"{s:>12}" for s in styles))
    for label, run in runs.items():
        per = {q["id"]: score.score_query(run[q["id"]], q["rel"]) for q in queries}
        every = score.aggregate(list(per.values()))
        by_style = [score.aggregate([per[q["id"]] for q in queries if q.get("style") == s])
                    for s in styles]
        print(f"{label:42}{every['nDCG@10']:>9.3f}{every['S@1']:>7.3f}{every['MRR@10']:>8.3f}"
              f"{every['zero']:>6}" + "".join(f"{a['nDCG@10']:>12.3f}" for a in by_style))
    if folds:
        print("\nBlend rule cross-validated by style (settings: words' weight for short "
              "queries, its floor for long ones):")
        print(f"  {'held-out style':16}{'chosen':>12}{'train nDCG':>12}{'held-out':>10}"
              f"{'shipped':>9}")
        for held, chosen, train, test, shipped in folds:
            print(f"  {held:16}{str(chosen):>12}{train:>12.3f}{test:>10.3f}{shipped:>9.3f}")
    if args.show_misses:
        run = runs["kb now, hybrid (as the site searches)"]
        print("\nTop hybrid hit not an answer:")
        for q in queries:
            top = run[q["id"]][:1]
            if not top or q["rel"].get(top[0], 0) < 2:
                print(f"  {q['id']} [{q.get('style')}] {q['q']!r}: {top[0] if top else 'nothing'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
