"""Where one search's time goes: MedQuAD's reader queries (http_load.py
--mix readers) searched in one process, one after another, under cProfile.

    python tests/benchmarks/request_cost.py [--corpus PATH/medquad.tar.gz]
        [--searches 200]

Prints the CPU time of a search (median of the profiled searches, and
their mean) and, for each part of it, its time per search and share of
the profiled total (cumulative time of the functions that do it, cProfile's
own overhead included, so Python-heavy parts weigh a little more than
in a server). The searches are distinct (a topic word appended to each),
as in the load run, so the response cache answers none; 30 searches warm
the process first.
"""
from __future__ import annotations

import cProfile
import pstats
import re
import statistics
import sys
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402
import http_load  # noqa: E402

WARM = 30
# (part, file ending, function): a part's time is its function's cumulative
# time (the outermost, where calls of that name nest).
PARTS = (
    ("embedding the query", "index/meaning/fusion.py", "query_vector"),
    ("the nearest passages (vectors)", "index/meaning/dense.py", "nearest"),
    ("re-ranking the pool", "index/ranking/rerank.py", "rank"),
    ("reading stored fields (pool and neighbours)", "whoosh/reading.py", "stored_fields"),
    ("spelling corrections", "index/reading/searchers.py", "corrections"),
    ("BM25F in numpy", "index/ranking/impacts.py", "score"),
    ("snippets and highlights", "index/ranking/highlight.py", "snippet"),
    ("the topic card", "index/reading/snapshot.py", "topic_card"),
)


def main() -> int:
    def extra(parser):
        parser.add_argument("--searches", type=int, default=200)
    args = common.arguments(__doc__, extra)
    corpus = common.corpus(args.corpus)
    docs = common.load_docs(corpus.kb_dir)
    queries = http_load.reader_queries(docs, http_load.DEV_QUERIES)
    words = sorted({w for d in docs for w in re.findall(r"[a-z]{5,}", d.title.lower())})
    paths = http_load.reader_mix(queries, words, WARM + args.searches, 5)
    mix = [urllib.parse.parse_qs(urllib.parse.urlparse(p).query)["q"][0] for p in paths]
    del docs

    from index import SearchIndex

    engine = SearchIndex(corpus.index_dir)
    try:
        for query in mix[:WARM]:
            engine.search(query)
        profile, cpu = cProfile.Profile(), []
        for query in mix[WARM:]:
            started = time.process_time()
            profile.enable()
            engine.search(query)
            profile.disable()
            cpu.append((time.process_time() - started) * 1000)
    finally:
        engine.close()
    stats = pstats.Stats(profile).stats
    total = sum(tt for (_, _, _), (_, _, tt, _, _) in stats.items())
    n = len(cpu)
    print(f"MedQuAD reader queries: {n} searches in one process; CPU per search median "
          f"{statistics.median(cpu):.1f} ms, mean {statistics.fmean(cpu):.1f} ms "
          f"(profiled); {common.load_average()}")
    print(f"{'part':45} {'ms/search':>10} {'share':>6}")
    for name, ending, function in PARTS:
        spent = max((ct for (path, _, fn), (_, _, _, ct, _) in stats.items()
                     if path.endswith(ending) and fn == function), default=0.0)
        print(f"{name:45} {spent / n * 1000:10.1f} {spent / total:6.0%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
