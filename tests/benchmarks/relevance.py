"""Relevance of kb's search on the judged dev queries, beside plain Whoosh.

    python tests/benchmarks/relevance.py [JUDGMENTS.yaml]

Scores the bundled article's index with the judged queries (by default
../shared/eval/seed_dev_queries.yaml when it exists, else the copy kept in
tests/fixtures/eval/) and prints nDCG@10, MRR@10, Success@1 (top hit graded
2) and Recall@3 for kb and for the baseline most projects start from: one
stemmed text field and Whoosh's QueryParser with OR-grouping, built in the
same run over the same passages.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from whoosh import index as whoosh_index  # noqa: E402
from whoosh.analysis import StemmingAnalyzer  # noqa: E402
from whoosh.fields import ID, TEXT, Schema  # noqa: E402
from whoosh.qparser import OrGroup, QueryParser  # noqa: E402

from index import vectors  # noqa: E402
from index.building.build import build_index  # noqa: E402
from index.reading.search import SearchIndex  # noqa: E402
from kb.store import check_knowledge_base, default_kb_dir  # noqa: E402
from kb.synonyms import cached_synonyms, synonyms_path  # noqa: E402
from tests.evaluation import METRICS, evaluate, load_judgments  # noqa: E402

SHARED = ROOT.parent / "shared" / "eval" / "seed_dev_queries.yaml"
BUNDLED_COPY = ROOT / "tests" / "fixtures" / "eval" / "seed_dev_queries.yaml"


def plain_whoosh(articles, folder: Path):
    """One stemmed field, default QueryParser OR-grouped: the usual start."""
    folder.mkdir(parents=True, exist_ok=True)
    ix = whoosh_index.create_in(str(folder), Schema(id=ID(stored=True),
                                                   text=TEXT(analyzer=StemmingAnalyzer())))
    with ix.writer() as w:
        for a in articles:
            for p in a.passages():
                w.add_document(id=p.id, text=f"{p.heading}\n{p.body}\n{a.title}")
    parser = QueryParser("text", ix.schema, group=OrGroup)
    searcher = ix.searcher()

    def search(q: str) -> list[str]:
        return [hit["id"] for hit in searcher.search(parser.parse(q), limit=10)]
    return search, searcher


def kb_search(articles, kb_dir: Path, folder: Path):
    build_index(articles, folder, full=True, model=vectors.default_model())
    engine = SearchIndex(folder, synonyms=lambda: cached_synonyms(synonyms_path(kb_dir)))

    def search(q: str) -> list[str]:
        return [r.id for r in engine.search(q, per_page=10).hits]
    return search, engine


def main(argv: list[str]) -> int:
    judgments_path = Path(argv[1]) if len(argv) > 1 else (
        SHARED if SHARED.exists() else BUNDLED_COPY)
    if not judgments_path.exists():
        print(f"judgments not found: {judgments_path}")
        return 2
    judgments = load_judgments(judgments_path)
    kb_dir = default_kb_dir()
    articles, problems = check_knowledge_base(kb_dir)
    with tempfile.TemporaryDirectory() as tmp:
        base_search, base_searcher = plain_whoosh(articles, Path(tmp) / "plain")
        ours, engine = kb_search(articles, kb_dir, Path(tmp) / "kb")
        try:
            rows = {"plain Whoosh (stemmed, OR)": evaluate(base_search, judgments),
                    "kb": evaluate(ours, judgments)}
        finally:
            base_searcher.close()
            engine.close()
    print(f"{len(judgments)} judged queries from {judgments_path}")
    names = [*METRICS, "zero_results"]
    print(f"{'':28}" + "".join(f"{n:>13}" for n in names))
    for label, scores in rows.items():
        print(f"{label:28}" + "".join(
            f"{scores[n]:>13}" if n == "zero_results" else f"{scores[n]:>13.3f}" for n in names))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
