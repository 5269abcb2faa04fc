import hashlib
import shutil
from pathlib import Path

import pytest

from kb.article import RelatedTopic, is_slug
from kb.errors import ParseError
from kb.medquad import (MEDQUAD_CREDIT, RELATED_LIMIT, read_medquad, is_medquad_dir,
                        parse_document)
from kb.medquad_text import tidy_answer, tidy_question

FIXTURES = Path(__file__).parent / "fixtures" / "medquad"


@pytest.fixture(scope="module")
def result():
    return read_medquad(FIXTURES)


@pytest.fixture(scope="module")
def by_id(result):
    return {a.id: a for a in result.articles}


def _document(pairs: str, *, doc_id="0000001", source="GHR", focus="Topic",
              cuis=(), url="https://example.org/topic") -> bytes:
    cui_xml = "".join(f"<CUI>{c}</CUI>" for c in cuis)
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<Document id="{doc_id}" source="{source}" url="{url}">\n'
            f"<Focus>{focus}</Focus>\n"
            f"<FocusAnnotations><UMLS><CUIs>{cui_xml}</CUIs></UMLS></FocusAnnotations>\n"
            f"<QAPairs>{pairs}</QAPairs>\n</Document>\n").encode()


def _pair(pid, question="What is it?", answer="It is a thing.") -> str:
    return (f'<QAPair pid="{pid}"><Question qid="q-{pid}" qtype="information">'
            f"{question}</Question><Answer>{answer}</Answer></QAPair>")


# --- ids, titles, sections ---------------------------------------------------

def test_article_ids_name_source_and_document_id(by_id):
    assert set(by_id) == {
        "medquad-adam-0000001",
        "medquad-cancergov-0000001-1",
        "medquad-cancergov-0000013-2",
        "medquad-cancergov-0000013-2-1",
        "medquad-ghr-0000804",
        "medquad-ghr-0000805",
        "medquad-ninds-0000007",
    }
    assert all(is_slug(article_id) for article_id in by_id)


def test_title_is_the_focus(by_id):
    assert by_id["medquad-cancergov-0000001-1"].title == "Adult Acute Lymphoblastic Leukemia"


def test_missing_focus_is_titled_from_the_first_question_with_a_note(result, by_id):
    assert by_id["medquad-ghr-0000805"].title == "This condition"
    assert any(path == "3_GHR_QA/0000805.xml" and "no Focus" in note
               for path, note in result.notes)


@pytest.mark.parametrize("questions, title", [
    # MedQuAD's templates with the Focus missing name nothing: passed over.
    (["What is (are)  ?", "what is staphylococcus aureus?"], "Staphylococcus aureus"),
    (["Who is at risk for ? ?", "How to prevent  ?", "how vaccines prevent disease"],
     "How vaccines prevent disease"),
    (["What are Vancomycin-Resistant Enterococci?"], "Vancomycin-Resistant Enterococci"),
])
def test_a_document_without_focus_is_titled_by_what_its_questions_name(questions, title):
    pairs = "".join(_pair(n, question=q) for n, q in enumerate(questions, 1))
    assert parse_document(_document(pairs, focus=""), "0000199.xml").title == title


def test_a_document_whose_questions_name_nothing_falls_back_to_its_file_name():
    pairs = _pair(1, question="What is (are)  ?") + _pair(2, question="How to prevent  ?")
    assert parse_document(_document(pairs, focus=""), "x/0000199.xml").title == "0000199.xml"


def test_each_qa_pair_becomes_a_question_section_numbered_by_pid(by_id):
    sections = by_id["medquad-cancergov-0000001-1"].sections
    assert [s.kind for s in sections] == ["question", "question"]
    assert [s.number for s in sections] == [1, 2]
    second = sections[1]
    assert second.qid == "0000001_1-2"
    assert second.qtype == "treatment"
    assert second.url == "https://www.cancer.gov/types/leukemia/patient/adult-all-treatment-pdq"
    assert second.answer == "Chemotherapy's role is \"central\"."


def test_pid_gaps_are_kept_as_numbers(by_id):
    assert [s.number for s in by_id["medquad-adam-0000001"].sections] == [1, 4]


def test_repeated_pid_is_renumbered_and_noted(result, by_id):
    sections = by_id["medquad-ghr-0000804"].sections
    assert [(s.number, s.qid) for s in sections] == [
        (1, "0000804-1"), (3, "0000804-3"), (4, "0000804-3b")]
    assert ("3_GHR_QA/0000804.xml", "pid '3' repeated: numbered 4") in result.notes


def test_question_whitespace_collapses_to_one_line_and_the_template_reads_as_a_question(by_id):
    section = by_id["medquad-cancergov-0000001-1"].sections[0]
    assert section.question == "What is Adult Acute Lymphoblastic Leukemia?"
    # The source's own wording is kept for provenance.
    assert section.original == "What is (are) Adult Acute Lymphoblastic Leukemia ?"


@pytest.mark.parametrize("asked, tidied", [
    ("What is (are) Glaucoma ?", "What is Glaucoma?"),
    ("Who is at risk for High Blood Pressure? ?", "Who is at risk for High Blood Pressure?"),
    ("What are the treatments for Fragile X syndrome ?",
     "What are the treatments for Fragile X syndrome?"),
    ("Do you have information about Flu Shot", "Do you have information about Flu Shot"),
])
def test_medquad_question_templates_are_tidied(asked, tidied):

    assert tidy_question(asked) == tidied


def test_answer_keeps_paragraphs_and_puts_list_items_on_their_own_lines(by_id):
    answer = by_id["medquad-cancergov-0000001-1"].sections[0].answer
    assert answer == (
        "Key Points\n"
        "- ALL is a type of cancer of the bone marrow.\n"
        "- Leukemia may affect red blood cells.\n"
        "\n"
        "Adult acute lymphoblastic leukemia (ALL) is a type of cancer.\n"
        "It usually gets worse quickly if it is not treated.")


def test_tidy_answer_never_drops_words():
    raw = "  One   two\n\n\n\tthree    - four  five\n  six  "
    tidied = tidy_answer(raw)
    assert tidied == "One two\n\nthree\n- four five\nsix"
    assert tidied.split() == raw.split()


def test_missing_answers_are_kept_empty_with_the_page_url(by_id):
    article = by_id["medquad-adam-0000001"]
    assert [s.answer for s in article.sections] == ["", ""]
    assert all(s.url == "https://www.nlm.nih.gov/medlineplus/ency/article/000502.htm"
               for s in article.sections)
    assert [p.url for p in article.passages()] == [s.url for s in article.sections]


def test_older_doc_shape_is_read(by_id):
    article = by_id["medquad-ninds-0000007"]
    assert article.title == "Holmes-Adie"
    assert article.sections[0].question == "what is holmes-adie syndrome?"
    assert article.sections[0].answer.startswith("Holmes-Adie syndrome (HAS)")


def test_source_records_relative_path_hash_url_and_credit(by_id):
    source = by_id["medquad-ghr-0000804"].source
    assert source.path == "3_GHR_QA/0000804.xml"
    assert source.sha256 == hashlib.sha256(
        (FIXTURES / "3_GHR_QA" / "0000804.xml").read_bytes()).hexdigest()
    assert source.url == "https://ghr.nlm.nih.gov/condition/polycystic-kidney-disease"
    assert source.credit == MEDQUAD_CREDIT


# --- renaming, related topics ------------------------------------------------

def test_shared_document_id_is_renamed_after_the_file_and_reported(result, by_id):
    assert result.renamed == [("1_CancerGov_QA/0000013_2_1.xml",
                               "medquad-cancergov-0000013-2",
                               "medquad-cancergov-0000013-2-1")]
    assert by_id["medquad-cancergov-0000013-2"].title == "Skin Cancer"
    assert by_id["medquad-cancergov-0000013-2-1"].title == "Melanoma"


def test_shared_document_id_and_file_name_get_a_numbered_id(tmp_path):
    for name in ("a.xml", "b.xml", "c.xml"):
        (tmp_path / name).write_bytes(_document(_pair(1), doc_id="7", focus=name))
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "c.xml").write_bytes(_document(_pair(1), doc_id="7"))
    result = read_medquad(tmp_path)
    assert [a.id for a in result.articles] == [
        "medquad-ghr-7", "medquad-ghr-b", "medquad-ghr-c", "medquad-ghr-7-2"]
    assert [new for _, _, new in result.renamed] == [
        "medquad-ghr-b", "medquad-ghr-c", "medquad-ghr-7-2"]


def test_documents_sharing_a_cui_list_each_other(by_id):
    assert by_id["medquad-ghr-0000804"].related == (
        RelatedTopic(title="Polycystic kidney disease", id="medquad-adam-0000001"),)
    assert by_id["medquad-adam-0000001"].related == (
        RelatedTopic(title="polycystic kidney disease", id="medquad-ghr-0000804"),)


def test_document_without_shared_cui_has_no_related(by_id):
    assert by_id["medquad-cancergov-0000001-1"].related == ()


def test_related_are_capped_deduplicated_and_never_self(tmp_path):
    for i in range(RELATED_LIMIT + 3):
        # Every document holds both CUIs: each other one must appear once.
        (tmp_path / f"{i:03}.xml").write_bytes(
            _document(_pair(1), doc_id=f"{i:03}", focus=f"Topic {i}", cuis=("C1", "C2")))
    result = read_medquad(tmp_path)
    for article in result.articles:
        ids = [r.id for r in article.related]
        assert len(ids) == RELATED_LIMIT
        assert len(set(ids)) == len(ids)
        assert article.id not in ids


def test_related_rank_more_shared_and_rarer_concepts_first(tmp_path):
    docs = {"a": ("C-common", "C-rare", "C-pair"),
            "b": ("C-common",),
            "c": ("C-common", "C-rare"),
            "d": ("C-common", "C-pair"),
            "e": ("C-common", "C-rare")}
    for name, cuis in docs.items():
        (tmp_path / f"{name}.xml").write_bytes(
            _document(_pair(1), doc_id=name, focus=name.upper(), cuis=cuis))
    related = {a.id: [r.id for r in a.related] for a in read_medquad(tmp_path).articles}
    # d shares two concepts with a, one of them held by two documents only.
    assert related["medquad-ghr-a"] == [
        "medquad-ghr-d", "medquad-ghr-c", "medquad-ghr-e", "medquad-ghr-b"]


# --- report, errors, safety --------------------------------------------------

def test_report_counts_documents_and_questions(result):
    assert result.files == 10
    assert result.documents == 8
    assert result.questions == 11
    assert result.answered == 9
    assert result.unanswered == 2


def test_document_without_questions_is_skipped_and_counted(result, by_id):
    assert result.skipped == ["10_MPlus_ADAM_QA/0000002.xml"]
    assert "medquad-adam-0000002" not in by_id


def test_malformed_file_is_reported_with_its_line_and_import_goes_on(result, by_id):
    errors = {Path(e.path).name: e for e in result.errors}
    assert set(errors) == {"0000020_1.xml", "0000806.xml"}
    error = errors["0000020_1.xml"]
    assert isinstance(error, ParseError)
    assert error.line == 7
    assert "malformed XML" in error.message
    assert str(error).startswith(f"{FIXTURES / '1_CancerGov_QA' / '0000020_1.xml'}:7: ")
    assert len(by_id) == 7


def test_doctype_with_entities_is_refused_and_nothing_leaks(result):
    error = next(e for e in result.errors if e.path.endswith("0000806.xml"))
    assert "DOCTYPE" in error.message
    assert error.line == 2
    texts = [s.question + s.answer for a in result.articles for s in a.sections]
    texts += [a.title for a in result.articles]
    assert not any("SECRET" in t or "lol" in t for t in texts)


def test_parse_document_reports_missing_id():
    xml = _document(_pair(1)).replace(b' id="0000001"', b"")
    with pytest.raises(ParseError, match="no id attribute") as caught:
        parse_document(xml, "x.xml")
    assert caught.value.path == "x.xml"


def test_parse_document_rejects_a_foreign_root():
    with pytest.raises(ParseError, match="not a MedQuAD document"):
        parse_document(b"<rss><channel/></rss>", "feed.xml")


def test_parse_document_reports_a_pair_without_question():
    xml = _document('<QAPair pid="1"><Question qid="1" qtype="x">  </Question>'
                    "<Answer>a</Answer></QAPair>")
    with pytest.raises(ParseError, match="no question"):
        parse_document(xml, "x.xml")


def test_parse_document_reads_annotations():
    doc = parse_document((FIXTURES / "10_MPlus_ADAM_QA" / "0000001.xml").read_bytes(), "p")
    assert doc.cuis == ("C0022680",)
    assert doc.semantic_types == ("T047",)
    assert doc.article_id == "medquad-adam-0000001"


def test_progress_is_called_once_per_file(result):
    calls = []
    read_medquad(FIXTURES, progress=calls.append)
    assert calls == [1] * result.files


def test_import_is_deterministic(result):
    again = read_medquad(FIXTURES)
    assert again.articles == result.articles
    assert [str(e) for e in again.errors] == [str(e) for e in result.errors]


# --- detection -----------------------------------------------------------------

def test_fixture_folder_and_a_source_subfolder_are_medquad():
    assert is_medquad_dir(FIXTURES)
    assert is_medquad_dir(FIXTURES / "3_GHR_QA")


def test_other_folders_and_files_are_not_medquad(tmp_path):
    assert not is_medquad_dir(tmp_path)
    (tmp_path / "feed.xml").write_bytes(b"<rss><channel/></rss>")
    assert not is_medquad_dir(tmp_path)
    assert not is_medquad_dir(FIXTURES / "3_GHR_QA" / "0000804.xml")


def test_hidden_files_are_ignored(tmp_path):
    shutil.copy(FIXTURES / "3_GHR_QA" / "0000804.xml", tmp_path / "0000804.xml")
    (tmp_path / "._0000804.xml").write_bytes(b"\x00\x05\x16\x07 not xml")
    result = read_medquad(tmp_path)
    assert result.files == 1
    assert result.errors == []
