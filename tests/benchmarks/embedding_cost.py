"""What the embedding model costs, over MedQuAD's passages and query sets:

    python tests/benchmarks/embedding_cost.py [--corpus PATH/medquad.tar.gz]
        [--queries N] [--passages N]

Rows, in one process:
  - model load: first use of index/meaning/embedding.py's model (tokenizer and
    onnxruntime session), and the resident memory it adds;
  - query embedding, one thread, p50/p95 per query set (the short and long
    sets of search_latency.py), beside the baseline: the same model in an
    onnxruntime session left at its defaults (a pool sized to the machine,
    spinning), measured in the same run;
  - passage embedding on the build's threads over a fixed sample of
    passages (the text the build embeds, index/meaning/vectors.py): passages per
    second, ms per passage, and the first-time embedding of the whole
    corpus extrapolated from them; beside it the same passages on one
    thread, so the ratio shows what the workers bring;
  - dense retrieval (index/meaning/dense.py) over a matrix of the corpus's size:
    widening the float16 file once, then top-100 per query, p50/p95.
Goals beside them: query p95 <= 20 ms on one thread, the whole corpus in
<= 15 minutes, added memory <= 200 MB.
"""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

GOAL_QUERY_P95_MS = 20.0
GOAL_CORPUS_MINUTES = 15.0
GOAL_ADDED_MIB = 200.0


def rss_mib() -> float:
    """Resident memory of this process now (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def default_session_embed():
    """The shipped model in a session with onnxruntime's default threading:
    the baseline of the query rows."""
    import onnxruntime as ort

    from index.meaning import embedding

    model = embedding.Embedder(1)
    model._load()  # the tokenizer
    model._session = ort.InferenceSession(str(embedding.model_files()[0]),
                                          providers=["CPUExecutionProvider"])
    return model.embed_query


def row(name: str, ms: list[float]) -> tuple[float, float]:
    p50, p95 = common.percentile(ms, 50), common.percentile(ms, 95)
    print(f"{name:34}{p50:>9.2f}{p95:>9.2f}")
    return p50, p95


def main() -> int:
    def extra(parser):
        parser.add_argument("--queries", type=int, default=300,
                            help="timed queries per set (default 300)")
        parser.add_argument("--passages", type=int, default=2000,
                            help="passages embedded for the throughput row (default 2000)")
    args = common.arguments(__doc__, extra)
    corpus = common.corpus(args.corpus)
    docs = common.load_docs(corpus.kb_dir)
    sets = common.query_sets(docs, args.queries)
    from index.meaning import embedding, vectors
    from index.meaning.dense import DenseIndex

    print(f"MedQuAD: {len(docs)} passages; model {embedding.MODEL_ID}; {common.load_average()}")
    before = rss_mib()
    started = time.perf_counter()
    model = embedding.embedder()
    model.embed_query("warm")
    load_ms = (time.perf_counter() - started) * 1000
    added = rss_mib() - before
    print(f"\nmodel load: {load_ms:.0f} ms; resident memory +{added:.0f} MiB")

    print(f"\n{'query embedding (ms)':34}{'p50':>9}{'p95':>9}")
    worst = 0.0
    baseline = default_session_embed()
    for name, (warm, queries) in sets.items():
        common.timed(model.embed_query, warm)
        _, p95 = row(f"{name}: kb, 1 thread", common.timed(model.embed_query, queries))
        common.timed(baseline, warm)
        _, base95 = row(f"{name}: onnxruntime defaults", common.timed(baseline, queries))
        print(f"{'':34}p95 x defaults: {p95 / base95:.2f}")
        worst = max(worst, p95)
    del baseline

    rng = random.Random(7)
    sample = rng.sample(docs, min(args.passages, len(docs)))
    texts = [vectors.passage_text(d.title, d.heading, d.body, embedding.MAX_CHARS)
             for d in sample]
    build = embedding.embedder()
    build.embed_passages(texts[:32])
    started = time.perf_counter()
    build.embed_passages(texts)
    seconds = time.perf_counter() - started
    rate = len(texts) / seconds
    corpus_min = len(docs) / rate / 60
    print(f"\npassage embedding, {build.workers} thread(s), {len(texts)} passages: "
          f"{rate:.0f}/s, {1000 / rate:.2f} ms per passage; "
          f"all {len(docs)}: {corpus_min:.1f} min (extrapolated)")
    added_by_model = rss_mib() - before
    single = embedding.Embedder(workers=1)
    single.embed_passages(texts[:32])
    started = time.perf_counter()
    single.embed_passages(texts)
    single_rate = len(texts) / (time.perf_counter() - started)
    print(f"  one thread: {single_rate:.0f}/s; {build.workers} threads x one thread: "
          f"{rate / single_rate:.2f}")
    del single

    matrix = np.random.default_rng(1).standard_normal((len(docs), embedding.DIM),
                                                      dtype=np.float32)
    matrix = (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float16)
    dense = DenseIndex("bench", [d.id for d in docs], matrix)
    mem = rss_mib()
    started = time.perf_counter()
    dense.matrix
    widen_ms = (time.perf_counter() - started) * 1000
    print(f"\ndense retrieval over {len(docs)} x {embedding.DIM}: widening once "
          f"{widen_ms:.0f} ms, +{rss_mib() - mem:.0f} MiB")
    query_vectors = [model.embed_query(q) for q in sets["long"][1]]
    print(f"{'':34}{'p50':>9}{'p95':>9}")
    row("nearest, k=100", common.timed(lambda v: dense.nearest(v, 100), query_vectors))
    mask = np.zeros(len(docs), bool)
    mask[::3] = True
    row("nearest, k=100, a third allowed",
        common.timed(lambda v: dense.nearest(v, 100, allowed=mask), query_vectors))
    total_added = added_by_model + (rss_mib() - mem)

    print(f"\ngoals: query p95 <= {GOAL_QUERY_P95_MS:.0f} ms: "
          f"{'met' if worst <= GOAL_QUERY_P95_MS else 'MISSED'} ({worst:.2f} ms); "
          f"corpus <= {GOAL_CORPUS_MINUTES:.0f} min: "
          f"{'met' if corpus_min <= GOAL_CORPUS_MINUTES else 'MISSED'} ({corpus_min:.1f} min); "
          f"added memory <= {GOAL_ADDED_MIB:.0f} MiB: "
          f"{'met' if total_added <= GOAL_ADDED_MIB else 'MISSED'} ({total_added:.0f} MiB, "
          "the model after queries and a build, plus the widened matrix)")
    print(common.load_average())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
