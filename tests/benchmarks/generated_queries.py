"""Lay queries the project makes itself from MedQuAD's own questions, with
their judgments: a tuning and checking set that is not the judged dev set.

For a sample of answered questions (seeded), the question's topic (its
article's title) and kind (its qtype) are rewritten in four styles a reader
uses: keywords (the topic and a word for the kind), a question in lay
words, a help-line message (the question inside a story: a relative, an
age, thanks) and a misspelling (one edit in the topic's longest word).
Grade 2: every answered passage of the same topic (title, normalised) and
the same kind (causes and genetic changes as one); grade 1: the other
answered passages of the question's own article.

    python tests/benchmarks/generated_queries.py [--per-style N]   # prints a few
"""
from __future__ import annotations

import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

STYLES = ("keywords", "question", "verbose", "misspelled")
# qtype -> (keyword, lay question templates)
_KINDS = {
    "information": ("", ("what is {t}?", "can you explain {t}", "{t} meaning")),
    "symptoms": ("symptoms", ("what are the signs of {t}?", "how do i know if i have {t}")),
    "causes": ("causes", ("why do people get {t}?", "what causes {t}")),
    "genetic changes": ("gene", ("which gene is behind {t}?", "what genetic change causes {t}")),
    "treatment": ("treatment", ("how do doctors treat {t}?", "is there a cure for {t}")),
    "inheritance": ("inherited", ("can {t} be passed down to my kids?",
                                  "does {t} run in families")),
    "exams and tests": ("test", ("how is {t} diagnosed?", "is there a test for {t}")),
    "outlook": ("outlook", ("what is the life expectancy with {t}?", "will {t} go away")),
    "prevention": ("prevention", ("how can i prevent {t}?", "can {t} be avoided")),
    "frequency": ("how common", ("how many people have {t}?", "is {t} rare")),
    "complications": ("complications", ("what problems can {t} lead to?",)),
    "susceptibility": ("risk", ("who gets {t}?", "am i at risk of {t}")),
}
_STORIES = ("My {who} was just diagnosed with {t} and we are all worried. {q} Thank you.",
            "Hi, I am {age} and my doctor said I might have {t}. {q}",
            "Our {who} is {age}. Last month we heard about {t} from the pediatrician. {q} "
            "Any information would help.")
_WHO = ("son", "daughter", "mother", "husband", "wife", "father")
_SAME = {"genetic changes": "causes"}
_WORD = re.compile(r"[A-Za-z]+")


def _kind(qtype: str) -> str:
    return _SAME.get(qtype, qtype)


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


def _misspell(rng: random.Random, topic: str) -> str | None:
    words = _WORD.findall(topic)
    longest = max(words, key=len, default="")
    if len(longest) < 6:
        return None
    i = rng.randrange(1, len(longest) - 1)
    edit = rng.choice(("drop", "swap", "double", "vowel"))
    if edit == "drop":
        wrong = longest[:i] + longest[i + 1:]
    elif edit == "swap":
        wrong = longest[:i] + longest[i + 1] + longest[i] + longest[i + 2:]
    elif edit == "double":
        wrong = longest[:i] + longest[i] + longest[i:]
    else:
        vowels = "aeiou"
        spots = [k for k, c in enumerate(longest) if c in vowels and k]
        if not spots:
            return None
        k = rng.choice(spots)
        wrong = longest[:k] + rng.choice([v for v in vowels if v != longest[k]]) + longest[k + 1:]
    return topic.replace(longest, wrong.lower(), 1).lower() if wrong != longest else None


def passages(index_dir: Path) -> list[dict]:
    """Every passage's stored fields, from the index."""
    from whoosh import index as whoosh_index

    from index import generations

    ix = whoosh_index.open_dir(str(generations.current_generation(index_dir)), readonly=True)
    with ix.searcher() as searcher:
        return [dict(fields) for _, fields in searcher.reader().iter_docs()]


def generate(docs: list[dict], per_style: int = 50, seed: int = 7) -> list[dict]:
    """``per_style`` queries of each style: {"id", "q", "style", "rel"}."""
    rng = random.Random(seed)
    answered = [d for d in docs if d.get("kind") == "question" and (d.get("body") or "").strip()
                and d.get("qtype") in _KINDS and 3 <= len(d.get("title") or "") <= 40]
    by_topic_kind: dict[tuple[str, str], list[str]] = {}
    by_article: dict[str, list[str]] = {}
    for d in answered:
        by_topic_kind.setdefault((_norm(d["title"]), _kind(d["qtype"])), []).append(d["id"])
        by_article.setdefault(d["article_id"], []).append(d["id"])
    rng.shuffle(answered)
    out: list[dict] = []
    counts = dict.fromkeys(STYLES, 0)
    for d in answered:
        style = min(counts, key=counts.get)
        if counts[style] >= per_style:
            break
        topic = re.sub(r"\s*\(.*?\)", "", d["title"]).strip()
        keyword, questions = _KINDS[d["qtype"]]
        if style == "keywords":
            q = f"{topic.lower()} {keyword}".strip()
        elif style == "question":
            q = rng.choice(questions).format(t=topic.lower())
        elif style == "verbose":
            q = rng.choice(_STORIES).format(who=rng.choice(_WHO), age=rng.randrange(4, 80),
                                            t=topic, q=rng.choice(questions).format(t="it"))
        else:
            wrong = _misspell(rng, topic)
            if wrong is None:
                continue
            q = f"{wrong} {keyword}".strip()
        rel = {pid: 1 for pid in by_article[d["article_id"]]}
        rel.update({pid: 2 for pid in by_topic_kind[(_norm(d["title"]), _kind(d["qtype"]))]})
        out.append({"id": f"G{len(out):04d}", "q": q, "style": style, "rel": rel})
        counts[style] += 1
    return out


def main() -> int:
    args = common.arguments(__doc__)
    corpus = common.corpus(args.corpus)
    for q in generate(passages(corpus.index_dir), 5):
        print(f"[{q['style']}] {q['q']}  ({sum(g == 2 for g in q['rel'].values())} answers)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
