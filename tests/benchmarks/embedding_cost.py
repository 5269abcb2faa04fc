"""What the embedding model costs, over MedQuAD's passages and query sets:

    python tests/benchmarks/embedding_cost.py [--corpus PATH/medquad.tar.gz]
        [--queries N] [--passages N] [--rounds N]

Rows, in one process:
  - model load: first use of index/meaning/embedding.py's model (tokenizer and
    onnxruntime session), and the resident memory it adds;
  - query embedding, one thread, p50/p95 per query set (the short and long
    sets of search_latency.py), beside the baseline: the same model in an
    onnxruntime session left at its defaults (a pool sized to the machine,
    spinning), measured in the same run;
  - passage embedding over a fixed sample of passages (the text the build
    embeds, index/meaning/vectors.py), in passages a second (wall clock) and CPU
    ms a passage, each way in turn, --rounds times, best kept: the build's
    batching (every text sorted by tokens, batches of one length) on 1 and
    2 threads each running its own calls, and on 1 thread whose calls use 2
    onnxruntime threads; beside them the baseline, the previous batching
    (chunks of a shuffle, sorted apart) on 1 and 2 threads; the least
    cosine between a text's vector
    either way (>= 0.999: vectors stored by earlier builds stay valid); and
    the first-time embedding of the whole corpus extrapolated from the
    build's default;
  - dense retrieval (index/meaning/dense.py) over a matrix of the corpus's size:
    widening the float16 file once, then top-100 per query, p50/p95.
Goals beside them: query p95 <= 20 ms on one thread, the whole corpus in
<= 4 minutes on a quiet machine, added memory <= 200 MB.
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
GOAL_CORPUS_MINUTES = 4.0
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


def previous_batching(model, texts: list[str]) -> np.ndarray:
    """The baseline: how passages were batched before, units of 256 drawn
    from a fixed shuffle and sorted by tokens apart, on ``model.workers``
    threads."""
    from index.meaning import embedding

    out = np.zeros((len(texts), embedding.DIM), np.float32)
    shuffled = np.random.default_rng(0).permutation(len(texts))
    chunks = [shuffled[i:i + 256] for i in range(0, len(texts), 256)]

    def embed(chunk):
        token_ids = model._encode([texts[i] for i in chunk])
        rows = np.empty((len(chunk), embedding.DIM), np.float32)
        order = np.argsort([len(ids) for ids in token_ids], kind="stable")
        for start in range(0, len(order), embedding.BATCH):
            batch = order[start:start + embedding.BATCH]
            rows[batch] = model._run([token_ids[i] for i in batch])
        return rows
    done = (map(embed, chunks) if model.workers == 1
            else embedding._in_threads(embed, chunks, model.workers))
    for chunk, rows in zip(chunks, done):
        out[chunk] = rows
    return out


def throughput(texts: list[str], rounds: int) -> float:
    """Print the passage embedding rows; return the build default's rate."""
    from index.meaning import embedding

    ways = {
        "kb, 1 thread": (embedding.Embedder(1), "units"),
        "kb, 2 threads": (embedding.Embedder(2), "units"),
        "kb, 1 thread x 2 onnxruntime threads": (embedding.Embedder(1, threads_per_call=2),
                                                 "units"),
        "previous batching, 1 thread": (embedding.Embedder(1), "previous"),
        "previous batching, 2 threads": (embedding.Embedder(2), "previous"),
    }
    best: dict[str, tuple[float, float]] = {}
    vectors: dict[str, np.ndarray] = {}
    for model, _ in ways.values():
        model.embed_query("load")
    for _ in range(rounds):
        for name, (model, how) in ways.items():
            wall, cpu = time.perf_counter(), time.process_time()
            vectors[name] = (model.embed_passages(texts) if how == "units"
                             else previous_batching(model, texts))
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            rate, cpu_ms = len(texts) / wall, cpu / len(texts) * 1000
            if name not in best or rate > best[name][0]:
                best[name] = (rate, cpu_ms)
    print(f"\npassage embedding, {len(texts)} passages, {embedding.build_threads()} core(s); "
          f"{common.load_average()}")
    print(f"{'':40}{'passages/s':>11}{'CPU ms':>9}{'min cosine':>12}")
    baseline = vectors["previous batching, 1 thread"]
    for name, (rate, cpu_ms) in best.items():
        cosine = float((vectors[name] * baseline).sum(axis=1).min())
        print(f"{name:40}{rate:>11.1f}{cpu_ms:>9.2f}{cosine:>12.5f}")
    return best["kb, 2 threads" if embedding.build_threads() > 1 else "kb, 1 thread"][0]


def row(name: str, ms: list[float]) -> tuple[float, float]:
    p50, p95 = common.percentile(ms, 50), common.percentile(ms, 95)
    print(f"{name:34}{p50:>9.2f}{p95:>9.2f}")
    return p50, p95


def main() -> int:
    def extra(parser):
        parser.add_argument("--queries", type=int, default=300,
                            help="timed queries per set (default 300)")
        parser.add_argument("--passages", type=int, default=3000,
                            help="passages embedded for the throughput rows (default 3000)")
        parser.add_argument("--rounds", type=int, default=2,
                            help="times each way of embedding runs, best kept (default 2)")
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
    model.embed_passages(texts[:256])  # the process's model after a build
    added_by_model = rss_mib() - before
    rate = throughput(texts, args.rounds)
    corpus_min = len(docs) / rate / 60
    print(f"all {len(docs)} passages at the build's default: {corpus_min:.1f} min (extrapolated)")

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
