"""Query understanding: the question type asked, the topic named, typos
ranked by the articles' own frequencies, answerless passages below the
answer of their topic."""
from __future__ import annotations

import pytest

from index.ranking import rerank
from index.understanding import spelling
from index.ranking.answers import demote_pointers
from index.understanding.query import parse_query
from index.understanding.query_plan import plan
from index.understanding.question_types import ANSWERED_BY, READER_TYPE_OF, answering_qtypes, asked_types
from index.understanding.understanding import TitleTable, blend_weight, understand
from kb.article import Article, Section, Source
from support import HASHED_MODEL
from kb.synonyms import Synonyms
from medquad_like import QUESTIONS, STUB_ONLY

# Each reader's kind in several everyday phrasings (none of MedQuAD's templates).
PHRASINGS = [
    ("what is kalomi syndrome", "what it is"),
    ("what does kalomi syndrome mean", "what it is"),
    ("never heard of kalomi, what exactly is it", "what it is"),
    ("tell me about kalomi syndrome", "overview"),
    ("information on kalomi syndrome", "overview"),
    ("kalomi syndrome signs", "symptoms"),
    ("how do i know if my child has kalomi", "symptoms"),
    ("why do people get kalomi syndrome", "causes"),
    ("which gene is behind kalomi syndrome", "causes"),
    ("how is kalomi syndrome treated", "treatment"),
    ("is there a cure for kalomi", "treatment"),
    ("how can i avoid getting kalomi", "prevention"),
    ("life expectancy with kalomi syndrome", "outlook"),
    ("will kalomi go away on its own", "outlook"),
    ("how common is kalomi syndrome", "how common"),
    ("how many people have kalomi", "how common"),
    ("is kalomi rare", "how common"),
    ("who gets kalomi syndrome", "who gets it"),
    ("am i at risk of kalomi", "who gets it"),
    ("risk factors for kalomi", "who gets it"),
    ("does kalomi run in families", "inheritance"),
    ("will my kids get it too, kalomi", "inheritance"),
    ("is there a test for kalomi", "tests"),
    ("how do doctors diagnose kalomi", "tests"),
    ("complications of kalomi syndrome", "complications"),
    ("what other problems can kalomi lead to", "complications"),
    ("how should i store warfarin", "storage"),
    ("can warfarin be kept at room temperature", "storage"),
    ("how do i throw away old warfarin", "storage"),
    ("how do i take warfarin", "use"),
    ("i forgot a dose of warfarin", "use"),
    ("drug interactions between warfarin and ibuprofen", "interactions"),
    ("can i take warfarin with ibuprofen", "interactions"),
    ("warfarin side effects", "side effects"),
    ("new research on kalomi", "research"),
    ("support groups for kalomi families", "support"),
    ("when should i see a doctor about kalomi", "see a doctor"),
    ("what foods to eat with kalomi", "diet"),
]


@pytest.mark.parametrize("query,kind", PHRASINGS)
def test_each_phrasing_asks_for_its_kind_of_answer(query, kind):
    assert kind in asked_types(query)


def test_every_reader_kind_has_a_phrasing_test():
    assert {kind for _, kind in PHRASINGS} == set(ANSWERED_BY)


def test_a_specific_kind_leaves_out_what_it_is():
    assert asked_types("what are the symptoms of kalomi syndrome") == {"symptoms"}


def test_a_story_of_a_diagnosis_asks_for_no_test():
    assert "tests" not in asked_types("my son was diagnosed with kalomi syndrome last year")


def test_a_query_naming_only_a_topic_asks_for_nothing():
    assert asked_types("kalomi syndrome") == frozenset()


@pytest.mark.parametrize("qtype", sorted({q for q, *_ in QUESTIONS + STUB_ONLY}
                                          | {"genetic changes", "frequency", "susceptibility",
                                             "exams and tests", "storage and disposal",
                                             "interactions with medications"}))
def test_medquad_question_types_map_into_the_readers_kinds(qtype):
    kind = READER_TYPE_OF[qtype]
    assert qtype in answering_qtypes({kind})


def test_causes_are_answered_by_genetic_changes_too():
    assert answering_qtypes({"causes"}) == {"causes", "genetic changes"}


# -- the topic ------------------------------------------------------------------

class Concept:
    """A query concept as index/understanding/query_plan.py makes one."""

    def __init__(self, text, weight=1.0, names_topic=True, synonyms=()):
        self.text, self.weight, self.names_topic = text, weight, names_topic
        self.synonyms = synonyms

    def terms(self):
        from index.understanding.analysis import terms
        return {t for text in (self.text, *self.synonyms) for t in terms(text)}


TITLES = TitleTable(["Kalomi syndrome", "Myosin storage myopathy", "Genes", "Hyperglycemia",
                     "Children", "Glutaric acidemia type 1", "Glutaric acidemia type 2"]
                    + [f"Other{n} syndrome type {n % 2 + 1}" for n in range(200)])


def test_a_title_named_by_the_query_is_its_topic():
    found = understand("kalomi syndrome symptoms", ["kalomi", "syndrome", "symptoms"],
                       [Concept("kalomi", 5), Concept("syndrome", 1), Concept("symptoms", 1)],
                       TITLES)
    assert found.topics == ("Kalomi syndrome",) and found.topic_words == ("kalomi",)


def test_a_title_is_named_without_the_words_many_titles_share():
    found = understand("glutaric acidemia", ["glutaric", "acidemia"],
                       [Concept("glutaric", 5), Concept("acidemia", 5)], TITLES)
    assert set(found.topics) == {"Glutaric acidemia type 1", "Glutaric acidemia type 2"}


def test_the_words_of_a_named_topic_ask_for_no_kind_of_answer():
    found = understand("myosin storage myopathy", ["myosin", "storage", "myopathy"],
                       [Concept("myosin", 5), Concept("storage", 3), Concept("myopathy", 5)],
                       TITLES)
    assert found.topics == ("Myosin storage myopathy",) and found.asked == frozenset()


def test_a_title_made_of_question_words_is_no_topic():
    found = understand("kalomi syndrome genes", ["kalomi", "syndrome", "genes"],
                       [Concept("kalomi", 5), Concept("syndrome", 1), Concept("genes", 2)], TITLES)
    assert found.topics == ("Kalomi syndrome",) and "causes" in found.asked


def test_a_topic_is_named_through_a_synonym():
    found = understand("high blood sugar", ["high", "blood", "sugar"],
                       [Concept("high blood sugar", 4, synonyms=("hyperglycemia",))], TITLES)
    assert found.topics == ("Hyperglycemia",)


def test_the_story_around_a_question_names_no_topic():
    found = understand("my children and kalomi syndrome",
                       ["my", "children", "and", "kalomi", "syndrome"],
                       [Concept("children", 2, names_topic=False), Concept("kalomi", 5),
                        Concept("syndrome", 1)], TITLES)
    assert found.topics == ("Kalomi syndrome",)


def test_long_messages_lean_on_meaning_more_than_short_queries():
    assert blend_weight(3) > blend_weight(25)
    assert blend_weight(2) == blend_weight(4)


def test_a_passage_lacking_the_topic_ranks_below_one_that_has_it():
    topic = understand("kalomi syndrome treatment information",
                       ["kalomi", "syndrome", "treatment", "information"],
                       [Concept("kalomi", 5), Concept("syndrome", 1), Concept("treatment", 1)],
                       TITLES)
    lacking = {"id": "x#q-1", "title": "Treatment", "heading": "What treatments are there?",
               "body": "Treatment information: treatments and more treatment."}
    having = {"id": "k#q-1", "title": "Kalomi syndrome", "heading": "What is Kalomi syndrome?",
              "body": "Kalomi syndrome is rare."}
    assert rerank.topic_factor(having, topic.topic_terms) > rerank.topic_factor(
        lacking, topic.topic_terms)


# -- the topic rule over a small knowledge base --------------------------------------

def _article(article_id, title, questions):
    return Article(article_id, title, tuple(
        Section("question", number=n, question=q, answer=a, qtype=t, url="https://example.org/")
        for n, (t, q, a) in enumerate(questions, 1)),
        source=Source(path=f"{article_id}.xml", sha256="0" * 64))


@pytest.fixture(scope="module")
def topic_search(tmp_path_factory):
    from index import SearchIndex, build_index
    from medquad_like import medquad_like_articles

    articles = medquad_like_articles(30) + [
        _article("medquad-nichd-0000001", "Information for parents", [
            ("information", "What information is there for parents of children?",
             "There is information for parents: what children need, what to tell children, "
             "what are the questions children ask, and information about children's health."),
            ("treatment", "What are the treatments children are given?",
             "Children are given treatments that children tolerate; information about "
             "treatments for children is here."),
        ])]
    folder = tmp_path_factory.mktemp("topic-index")
    build_index(articles, folder, model=HASHED_MODEL)
    engine = SearchIndex(folder, meaning=False)
    yield engine, articles[0].title
    engine.close()


def test_a_named_topic_outranks_the_template_words(topic_search):
    engine, topic = topic_search
    hits = engine.search(f"information about what are the treatments for children with "
                         f"{topic.lower()}").hits
    assert hits[0].article_title == topic


def test_a_long_message_keeps_its_topic(topic_search):
    engine, topic = topic_search
    hits = engine.search(f"Hi, my son is 7 and his teachers tell us he is tired. Thank you for "
                         f"any information for parents of children. His doctor mentioned "
                         f"{topic}. What are the treatments?").hits
    assert hits[0].article_title == topic and hits[0].qtype == "treatment"


# -- typos ---------------------------------------------------------------------------

class _Leaf:
    def __init__(self, vocabulary):
        self.vocabulary = vocabulary

    def terms_within(self, field, word, distance, prefix=0):
        return [t for t in self.vocabulary if t[:prefix] == word[:prefix]
                and spelling.edit_distance(word, t) <= distance]


class _Reader:
    """The few reader calls spelling and the plan make, over passage counts."""

    def __init__(self, frequencies):
        self.frequencies = frequencies

    def leaf_readers(self):
        return [(_Leaf(list(self.frequencies)), 0)]

    def doc_frequency(self, field, term):
        from index.understanding.analysis import terms
        return sum(n for word, n in self.frequencies.items() if terms(word) == [term])

    def doc_count(self):
        return 1000


def test_a_common_word_two_edits_away_beats_a_rare_one_one_edit_away():
    reader = _Reader({"asthma": 400, "athsmi": 1})
    assert spelling.corrections("athsma", reader, ("body",))[0] == "asthma"


def test_a_rare_word_one_edit_away_beats_a_word_only_a_little_more_common_two_edits_away():
    reader = _Reader({"asthma": 20, "athsmi": 5})
    assert spelling.corrections("athsma", reader, ("body",))[0] == "athsmi"


def test_a_dictionary_word_gets_a_much_more_frequent_article_word_one_edit_away():
    assert spelling.is_english_word("hart")
    assert spelling.corrections("hart", _Reader({"heart": 300}), ("body",)) == ["heart"]
    assert spelling.corrections("hart", _Reader({"heart": 20}), ("body",)) == []


def test_a_dictionary_word_is_only_ever_a_did_you_mean():
    reader = _Reader({"heart": 300})
    work = plan(parse_query("hart"), reader, Synonyms.empty())
    assert work.corrected == "heart" and not work.correction_applied


# -- answerless passages -------------------------------------------------------------

def test_an_answerless_card_ranks_below_the_answer_of_its_topic_under_another_name():
    stub = {"id": "s#q-1", "kind": "question", "title": "High blood sugar",
            "heading": "What is high blood sugar?", "body": "", "qtype": "information"}
    answer = {"id": "h#q-1", "kind": "question", "title": "Hyperglycemia",
              "heading": "What is hyperglycemia?", "body": "Hyperglycemia means high blood sugar.",
              "qtype": "information"}
    synonyms = Synonyms((("high blood sugar", "hyperglycemia"),))
    ranked = demote_pointers([(2.0, stub), (1.0, answer)], synonyms)
    assert [f["id"] for _, f in ranked] == ["h#q-1", "s#q-1"]


def test_an_answerless_passage_stays_above_answers_of_other_topics():
    stub = {"id": "s#q-1", "kind": "question", "title": "Kalomi syndrome", "body": "",
            "heading": "What is the outlook for Kalomi syndrome?", "qtype": "outlook"}
    other = {"id": "o#q-1", "kind": "question", "title": "Lomi syndrome", "body": "Rare.",
             "heading": "What is Lomi syndrome?", "qtype": "information"}
    assert [f["id"] for _, f in demote_pointers([(2.0, stub), (1.0, other)])] == ["s#q-1", "o#q-1"]


def test_a_topic_between_the_words_of_a_question_stays_the_topic():
    found = understand("my son has kalomi syndrome, will his kids get it",
                       ["my", "son", "has", "kalomi", "syndrome", "will", "his", "kids", "get", "it"],
                       [Concept("kalomi", 5), Concept("syndrome", 1)], TITLES)
    assert found.topics == ("Kalomi syndrome",) and found.asked == {"inheritance"}
