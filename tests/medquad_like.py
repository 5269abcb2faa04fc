"""A MedQuAD-like knowledge base made by the tests: a few hundred articles
shaped like MedQuAD's, so the results page can be tried at something like
its scale without the corpus.

Each topic (a made-up condition name) has an answered article (GARD-like:
what it is, symptoms, causes, treatment, inheritance), an answerless one
(MedlinePlus-like: four of the same kinds of question and the outlook,
each only a link to its answer) and, for every third topic, a second answered source (GHR-like)
asking the same questions: duplicates across sources. Answers use common
English words ("tired", "from", "have", "very") that no correction may
touch. Deterministic: the same articles every time.
"""
from __future__ import annotations

import random

from kb.article import Article, RelatedTopic, Section, Source

TOPICS = 110
CREDIT = "MedQuAD (test fixture), CC BY 4.0"
_SYLLABLES = ("ka", "lo", "mi", "ren", "tor", "vu", "zel", "phi", "dra", "quo", "bex", "sul")

QUESTIONS = (
    ("information", "What is (are) {t} ?",
     "{t} is a rare condition. People who have it often feel very tired and weak."),
    ("symptoms", "What are the symptoms of {t} ?",
     "The symptoms of {t} include tiredness, joint pain and a rash on the arms."),
    ("causes", "What causes {t} ?",
     "{t} is caused by changes in the {g} gene, passed from a parent."),
    ("treatment", "What are the treatments for {t} ?",
     "Treatment of {t} aims to ease the symptoms; rest and physical therapy help."),
    ("inheritance", "Is {t} inherited ?",
     "{t} is inherited in an autosomal recessive pattern: both parents carry a copy."),
)

# Asked only by the answerless source: its answer is only at its link.
STUB_ONLY = (("outlook", "What is the outlook for {t} ?", ""),)


def topic_names(count: int = TOPICS) -> list[str]:
    rng = random.Random(20261201)
    names: list[str] = []
    while len(names) < count:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(3))
        name = f"{word.capitalize()} syndrome"
        if name not in names:
            names.append(name)
    return names


def _answered(article_id: str, topic: str, gene: str, url: str, related) -> Article:
    sections = tuple(Section("question", number=n, question=q.format(t=topic),
                             answer=a.format(t=topic, g=gene), qtype=qtype, url=url)
                     for n, (qtype, q, a) in enumerate(QUESTIONS, 1))
    return Article(article_id, topic, sections, related,
                   source=Source(path=f"{article_id}.xml", sha256="0" * 64, url=url,
                                 credit=CREDIT))


def medquad_like_articles(count: int = TOPICS) -> list[Article]:
    articles = []
    names = topic_names(count)
    for n, topic in enumerate(names):
        gene = f"{topic[:3].upper()}{n}"
        related = (RelatedTopic(names[(n + 1) % count]),)
        articles.append(_answered(f"medquad-gard-{n:07d}", topic, gene,
                                  f"https://rarediseases.info.nih.gov/diseases/{n}/x", related))
        stub_url = f"https://www.nlm.nih.gov/medlineplus/ency/article/{n:06d}.htm"
        articles.append(Article(
            f"medquad-adam-{n:07d}", topic,
            tuple(Section("question", number=k, question=q.format(t=topic), answer="",
                          qtype=qtype, url=stub_url)
                  for k, (qtype, q, _) in enumerate(QUESTIONS[:4] + STUB_ONLY, 1)),
            source=Source(path=f"{n:07d}.xml", sha256="0" * 64, url=stub_url, credit=CREDIT)))
        if n % 3 == 0:
            articles.append(_answered(f"medquad-ghr-{n:07d}", topic, gene,
                                      f"https://ghr.nlm.nih.gov/condition/{n}", ()))
    return articles
