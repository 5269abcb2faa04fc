import os
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb import store, yaml_emit, yamlcheck
from kb.article import (MAX_ID_LENGTH, MAX_SECTION_NUMBER, SECTION_KINDS, SLUG_PATTERN, Article,
                        RelatedTopic, Section, Source)
from kb.errors import KBError, ValidationError
from kb.store import (
    MAX_ARTICLE_BYTES,
    article_from_yaml,
    article_path,
    article_to_yaml,
    check_knowledge_base,
    default_kb_dir,
    load_article,
    load_knowledge_base,
    write_article,
    write_articles,
)

HAS_LIBYAML = hasattr(yaml, "CSafeLoader")
FLAVORS = ["libyaml", "pure"] if HAS_LIBYAML else ["pure"]


@contextmanager
def yaml_flavor(name: str):
    """Run store with libyaml or with PyYAML's pure-Python loader/dumper."""
    saved = yamlcheck.LOADER, yaml_emit.DUMPER
    if name == "pure":
        yamlcheck.LOADER, yaml_emit.DUMPER = yaml.SafeLoader, yaml_emit.PURE_DUMPER
    try:
        yield
    finally:
        yamlcheck.LOADER, yaml_emit.DUMPER = saved


@pytest.fixture(params=FLAVORS)
def flavor(request):
    with yaml_flavor(request.param):
        yield request.param


def article(article_id: str = "numb-leg", **changes) -> Article:
    fields = dict(
        id=article_id,
        title="Why Does My Leg Go Numb?",
        sections=(
            Section("intro", text="Numbness happens to everyone."),
            Section("fact", number=1, heading="Pinched Nerves", text="Pressure on a nerve."),
            Section("transition", text="Now, some questions."),
            Section("question", number=1, question="Is it dangerous?", answer="Rarely."),
            Section("question", number=2, question="Where to read more?", answer="",
                    qid="0001-2", qtype="information", url="https://example.org/q2"),
            Section("conclusion", text="Move around."),
        ),
        related=(RelatedTopic("Why Does My Big Toe Nail Hurt"),
                 RelatedTopic("Knee Popping", id="knee-popping")),
        source=Source("seed/numb.txt", "0" * 64, url="https://example.org/a",
                      credit="Example Health"),
    )
    fields.update(changes)
    return Article(**fields)


# ------------------------------------------------------------------ round trip

TRICKY_TEXTS = [
    "“Curly quotes” and ‘single’ ones",
    "key: value with a colon",
    "# looks like a comment",
    "text with # inside",
    "'single' and \"double\" quotes",
    "- starts like a list item",
    "2024", "3.14", "yes", "no", "null", "~", "true", "0x1f", "1e3",
    "emoji 😀 and accents é ü ñ",
    "tab\there",
    "trailing space inside  \nthe line",
    "first line\nsecond line\n\nfourth after a blank",
    "ends with a newline\n",
    "  leading spaces\nkept",
    "\tleading tab",
    "Wrapped long text " * 20,
    "A" * 300,
    "line\r\nwith CRLF and a lone \r return",
    "odd breaks \x85 \u2028 \u2029 and a BOM \ufeff inside",
    "control \x07 bell and \x1b escape",
    "> folded marker", "| literal marker", "{flow: mapping}", "[flow, list]",
    "& anchor * alias ! tag % directive @ reserved ` backtick",
    "---", "...", "? question mark key",
]


@pytest.mark.parametrize("text", TRICKY_TEXTS)
def test_tricky_text_survives_the_round_trip(flavor, text):
    a = article(title=text, sections=(
        Section("intro", text=text),
        Section("fact", number=7, heading=text, text=text),
        Section("question", number=3, question=text, answer=text, qid=text),
    ), related=(RelatedTopic(text),), source=Source(text, text))
    assert article_from_yaml(article_to_yaml(a)) == a


def test_an_article_without_source_or_related_round_trips(flavor):
    a = article(source=None, related=())
    text = article_to_yaml(a)
    assert "source" not in text and "related" not in text
    assert article_from_yaml(text) == a


_tricky = st.sampled_from(TRICKY_TEXTS + [" ", "\n", ": ", " #", "- ", "é", "😀"])
_text = st.one_of(
    st.text(min_size=1),
    st.lists(st.one_of(_tricky, st.text(max_size=8)), min_size=1, max_size=12).map("".join),
).filter(lambda s: s.strip())
_slug = st.from_regex(SLUG_PATTERN, fullmatch=True).filter(
    lambda s: s != "synonyms" and len(s) <= MAX_ID_LENGTH)


@st.composite
def articles(draw) -> Article:
    kinds = draw(st.lists(st.sampled_from(SECTION_KINDS), min_size=1, max_size=6))
    numbers = iter(draw(st.lists(st.integers(1, MAX_SECTION_NUMBER), unique=True,
                                 min_size=len(kinds), max_size=len(kinds))))
    optional = st.none() | _text
    sections = []
    for kind in kinds:
        if kind == "fact":
            sections.append(Section(kind, number=next(numbers), heading=draw(_text),
                                    text=draw(_text)))
        elif kind == "question":
            url = draw(optional)
            answer = draw(_text | st.just("")) if url else draw(_text)
            sections.append(Section(kind, number=next(numbers), question=draw(_text),
                                    answer=answer, qid=draw(optional),
                                    qtype=draw(optional), url=url))
        else:
            sections.append(Section(kind, text=draw(_text)))
    related = draw(st.lists(st.builds(RelatedTopic, _text, st.none() | _slug), max_size=3))
    source = draw(st.none() | st.builds(Source, _text, _text, optional, optional))
    return Article(draw(_slug), draw(_text), tuple(sections), tuple(related), source)


@pytest.mark.slow
@pytest.mark.parametrize("name", FLAVORS)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=articles())
def test_any_valid_article_survives_the_round_trip(name, a):
    with yaml_flavor(name):
        assert article_from_yaml(article_to_yaml(a)) == a


def test_yaml_reads_well_key_order_and_block_styles():
    long_text = ("Sitting cross-legged presses the peroneal nerve against the bone, "
                 "which stops its signals for a while.")
    a = article(sections=(
        Section("intro", text="First paragraph.\n\nSecond paragraph."),
        Section("fact", number=1, heading="Nerves", text=long_text),
        Section("question", number=1, question="Q?", answer="A.", url="https://x.org"),
    ), related=(), source=None)
    text = article_to_yaml(a)
    assert text.startswith("id: numb-leg\ntitle: Why Does My Leg Go Numb?\nsections:\n")
    assert ("- kind: intro\n  text: |-\n    First paragraph.\n\n    Second paragraph.\n"
            in text)
    assert ("- kind: fact\n  number: 1\n  heading: Nerves\n  text: >-\n"
            "    Sitting cross-legged presses the peroneal nerve against the bone, which stops\n"
            "    its signals for a while.\n") in text
    assert ("- kind: question\n  number: 1\n  question: Q?\n  answer: A.\n"
            "  url: https://x.org\n") in text
    assert max(len(line) for line in text.splitlines()) <= 82


def test_yaml_key_order_puts_source_before_sections_and_related_last():
    text = article_to_yaml(article())
    keys = [line.split(":")[0] for line in text.splitlines() if line[:1].isalpha()]
    assert keys == ["id", "title", "source", "sections", "related"]
    assert "source:\n  path: seed/numb.txt\n  sha256: " in text


def test_output_is_deterministic_and_the_same_from_both_emitters():
    a = article()
    outputs = set()
    for name in FLAVORS:
        with yaml_flavor(name):
            outputs.add(article_to_yaml(a))
            outputs.add(article_to_yaml(a))
    assert len(outputs) == 1


# ------------------------------------------------------------------ validation

VALID = """\
id: numb-leg
title: Why Does My Leg Go Numb?
sections:
- kind: intro
  text: Numbness happens.
- kind: fact
  number: 1
  heading: Nerves
  text: Pressure.
- kind: question
  number: 1
  question: Is it bad?
  answer: Rarely.
"""


def _edit(old: str, new: str) -> str:
    assert old in VALID
    return VALID.replace(old, new, 1)


INVALID = [
    # (case, YAML, line, words the message must contain)
    ("yaml syntax error", _edit("title: Why Does", "title: Why: Does"), 2,
     "YAML syntax error: mapping values are not allowed"),
    ("unclosed quote", _edit("text: Pressure.", "text: 'Pressure."), 9,
     "YAML syntax error: found unexpected end of stream (while scanning a quoted "
     "scalar, started on this line)"),
    ("bad indentation", _edit("  heading: Nerves", " heading: Nerves"), 8,
     "YAML syntax error"),
    ("control character", _edit("Pressure.", "Pres\x07sure."), 9, "control character"),
    ("two documents", VALID + "---\nid: other\n", 14, "single document"),
    ("empty file", "", 1, "the file is empty"),
    ("top level not a mapping", "- id: numb-leg\n", 1, "the article must be a mapping"),
    ("top level a string", "just text\n", 1, "the article must be a mapping"),
    ("unknown key", VALID + "relatd: []\n", 14, "unknown key 'relatd' (did you mean "
     "'related'?); expected id, title, source, sections, related"),
    ("missing key", _edit("title: Why Does My Leg Go Numb?\n", ""), 1, "missing 'title'"),
    ("key given twice", _edit("sections:", "title: Again\nsections:"), 3,
     "'title' is given twice (first on line 2)"),
    ("title not text", _edit("title: Why Does My Leg Go Numb?", "title: 2024"), 2,
     "'title' must be text, got 2024 (a number); put it in quotes"),
    ("title yes/no", _edit("title: Why Does My Leg Go Numb?", "title: yes"), 2,
     "'title' must be text, got yes (read as true/false)"),
    ("blank title", _edit("title: Why Does My Leg Go Numb?", "title: ' '"), 2,
     "'title' is blank"),
    ("sections not a list", _edit("sections:", "sections: intro\nx:"), 3,
     "'sections' must be a list of sections, got 'intro'"),
    ("no sections", "id: numb-leg\ntitle: T\nsections: []\n", 3, "'sections' is empty"),
    ("section not a mapping", _edit("- kind: intro\n  text: Numbness happens.\n",
                                    "- intro\n"), 4,
     "section 1 must be a mapping"),
    ("number is text", _edit("number: 1\n  heading", "number: four\n  heading"), 7,
     "section 2 (fact): 'number' must be a positive integer, got 'four'"),
    ("number is zero", _edit("number: 1\n  heading", "number: 0\n  heading"), 7,
     "'number' must be a positive integer, got 0"),
    ("unknown kind", _edit("kind: fact", "kind: fakt"), 6,
     "section 2: unknown kind 'fakt'; expected one of intro, fact, transition"),
    ("missing kind", _edit("- kind: intro\n  text", "- text"), 4, "section 1: missing 'kind'"),
    ("key of another kind", _edit("  text: Numbness happens.",
                                  "  text: Numbness happens.\n  heading: H"), 6,
     "section 1 (intro): 'heading' does not belong in an intro section"),
    ("missing fact heading", _edit("  heading: Nerves\n", ""), 6,
     "section 2 (fact): missing 'heading'; a fact section needs number, heading, text"),
    ("unknown section key", _edit("  heading: Nerves", "  heading: Nerves\n  colour: red"),
     9, "section 2: unknown key 'colour'"),
    ("blank fact text", _edit("text: Pressure.", "text: ''"), 9,
     "section 2 (fact): 'text' is blank"),
    ("blank heading", _edit("heading: Nerves", "heading: '   '"), 8, "'heading' is blank"),
    ("blank question", _edit("question: Is it bad?", "question: ''"), 12,
     "section 3 (question): 'question' is blank"),
    ("blank answer without url", _edit("answer: Rarely.", "answer: ''"), 13,
     "'answer' is blank; give the answer, or a 'url'"),
    ("duplicate fact numbers", VALID + "- kind: fact\n  number: 1\n  heading: H\n  text: T\n",
     14, "section 4 (fact): fact number 1 is used twice (first on line 6)"),
    ("duplicate question numbers",
     VALID + "- kind: question\n  number: 1\n  question: Q\n  answer: A\n",
     14, "question number 1 is used twice (first on line 10)"),
    ("id not a slug", _edit("id: numb-leg", "id: Numb Leg"), 1, "'id' must be a slug"),
    ("reserved id", _edit("id: numb-leg", "id: synonyms"), 1, "id 'synonyms' is reserved"),
    ("unknown tag", _edit("title: Why", "title: !shout Why"), 2, "cannot read the value"),
    ("source not a mapping", VALID + "source: somewhere\n", 14,
     "source must be a mapping of path, sha256, url, credit"),
    ("source missing sha256", VALID + "source:\n  path: a.txt\n", 15, "source: missing 'sha256'"),
    ("related not a list", VALID + "related: Knees\n", 14, "'related' must be a list of topics"),
    ("related id not a slug", VALID + "related:\n- title: Knees\n  id: Knees!\n", 16,
     "related topic 1: 'id' must be a slug"),
]


@pytest.mark.parametrize("case, text, line, words", INVALID, ids=[c[0] for c in INVALID])
def test_invalid_yaml_is_refused_naming_its_line(flavor, case, text, line, words):
    with pytest.raises(ValidationError) as caught:
        article_from_yaml(text, "articles/numb-leg.yaml")
    error = caught.value
    assert words in error.message
    assert (error.path, error.line) == ("articles/numb-leg.yaml", line)
    assert str(error).startswith(f"articles/numb-leg.yaml:{line}: ")


def test_valid_yaml_loads(flavor):
    a = article_from_yaml(VALID)
    assert [s.kind for s in a.sections] == ["intro", "fact", "question"]
    assert a.sections[1] == Section("fact", number=1, heading="Nerves", text="Pressure.")


def test_an_empty_answer_is_fine_with_a_url(flavor):
    a = article_from_yaml(_edit("answer: Rarely.", "answer: ''\n  url: https://x.org/q"))
    assert a.sections[2].answer == "" and a.sections[2].url == "https://x.org/q"


def test_a_fact_and_a_question_may_share_a_number(flavor):
    a = article_from_yaml(VALID)
    assert a.sections[1].number == a.sections[2].number == 1


# ------------------------------------------------------------ files on disk

def _put(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_article_reads_a_written_article(tmp_path):
    a = article()
    assert load_article(write_article(a, tmp_path)) == a


def test_load_article_wants_the_id_to_match_the_file_name(tmp_path):
    path = _put(tmp_path, "other-name.yaml", "# note\n" + VALID)
    with pytest.raises(ValidationError, match="id 'numb-leg' does not match the file "
                                              "name; the file must be named numb-leg.yaml") as caught:
        load_article(path)
    assert (caught.value.path, caught.value.line) == (str(path), 2)


def test_load_article_refuses_a_symlink_leading_outside_the_folder(tmp_path):
    outside = _put(tmp_path / "elsewhere", "numb-leg.yaml", VALID)
    link = tmp_path / "kb" / "numb-leg.yaml"
    link.parent.mkdir()
    link.symlink_to(outside)
    with pytest.raises(ValidationError, match="outside the knowledge-base folder"):
        load_article(link)


def test_load_article_follows_a_symlink_inside_the_folder(tmp_path):
    _put(tmp_path, "drafts-numb-leg.txt", VALID)
    link = tmp_path / "numb-leg.yaml"
    link.symlink_to(tmp_path / "drafts-numb-leg.txt")
    assert load_article(link).id == "numb-leg"


def test_load_article_refuses_an_oversized_file_by_its_size(tmp_path, monkeypatch):
    path = tmp_path / "numb-leg.yaml"
    with path.open("wb") as f:
        f.truncate(1 << 30)

    def never_open(*args, **kwargs):
        raise AssertionError("an oversized article must be refused before it is opened")

    monkeypatch.setattr(Path, "open", never_open)
    start = time.perf_counter()
    with pytest.raises(ValidationError, match=r"too large: 1024\.0 MiB, the limit is 5\.0 MiB"):
        load_article(path)
    assert time.perf_counter() - start < 1.0
    assert MAX_ARTICLE_BYTES == 5 * 1024 * 1024


def test_load_article_names_the_line_of_a_non_utf8_byte(tmp_path):
    path = tmp_path / "numb-leg.yaml"
    path.write_bytes(VALID.replace("Pressure.", "Pression \xe9lev\xe9e.").encode("latin-1"))
    with pytest.raises(ValidationError, match="is not UTF-8: byte 0xe9") as caught:
        load_article(path)
    assert caught.value.line == 9


def test_load_article_refuses_a_folder_named_like_an_article(tmp_path):
    (tmp_path / "numb-leg.yaml").mkdir()
    with pytest.raises(ValidationError, match="is a folder"):
        load_article(tmp_path / "numb-leg.yaml")


def test_load_article_accepts_a_byte_order_mark(tmp_path):
    path = tmp_path / "numb-leg.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + VALID.encode())
    assert load_article(path).id == "numb-leg"


# -------------------------------------------------------- the whole folder

def test_check_reports_every_problem_in_every_file(tmp_path):
    write_article(article("alpha"), tmp_path)
    write_article(article("omega"), tmp_path)
    _put(tmp_path, "broken.yaml", "id: broken\ntitle: ''\nsections:\n- kind: fakt\n")
    _put(tmp_path, "mangled.yaml", "id: mangled\ntitle: [oops\n")
    _put(tmp_path, "synonyms.yaml", "groups:\n- [numb, tingling]\n")
    _put(tmp_path, ".numb-leg.yaml.swp.yaml", "not: an article\n")
    _put(tmp_path, "notes.txt", "not an article\n")
    articles, problems = check_knowledge_base(tmp_path)
    assert [a.id for a in articles] == ["alpha", "omega"]
    assert [(Path(p.path).name, p.line) for p in problems] == [
        ("broken.yaml", 2), ("broken.yaml", 4), ("mangled.yaml", 2)]
    assert "'title' is blank" in problems[0].message
    assert "unknown kind 'fakt'" in problems[1].message


def test_check_reports_a_duplicate_id_on_the_second_files_id_line(tmp_path):
    write_article(article("numb-leg"), tmp_path)
    copy = _put(tmp_path, "numb-leg-copy.yaml", "# copied\n" + VALID)
    articles, problems = check_knowledge_base(tmp_path)
    assert [a.id for a in articles] == ["numb-leg"]
    duplicate = [p for p in problems if "duplicate id" in p.message]
    assert len(duplicate) == 1
    assert (duplicate[0].path, duplicate[0].line) == (str(copy), 2)
    assert duplicate[0].message == "duplicate id 'numb-leg': numb-leg.yaml already has it"


def test_check_of_an_empty_folder_finds_nothing(tmp_path):
    assert check_knowledge_base(tmp_path) == ([], [])


def test_a_missing_folder_is_one_clear_error(tmp_path):
    with pytest.raises(KBError, match="knowledge-base folder does not exist") as caught:
        check_knowledge_base(tmp_path / "nowhere")
    assert caught.value.path == str(tmp_path / "nowhere")


def test_a_file_given_as_the_folder_is_one_clear_error(tmp_path):
    with pytest.raises(KBError, match="is not a folder"):
        check_knowledge_base(_put(tmp_path, "numb-leg.yaml", VALID))


def test_an_unreadable_folder_is_one_clear_error(tmp_path, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0)
    if os.access(folder, os.R_OK):
        # Running as root, where mode bits do not stop reading: make the
        # listing fail the way it would for anyone else.
        def denied(path):
            raise PermissionError(13, "Permission denied", str(path))
        monkeypatch.setattr(store.os, "listdir", denied)
    try:
        with pytest.raises(KBError, match="cannot read the knowledge-base folder: "
                                          "permission denied"):
            check_knowledge_base(folder)
    finally:
        folder.chmod(0o755)


def test_load_knowledge_base_returns_the_articles_when_all_are_valid(tmp_path):
    write_articles([article("beta"), article("alpha")], tmp_path)
    assert [a.id for a in load_knowledge_base(tmp_path)] == ["alpha", "beta"]


def test_load_knowledge_base_raises_the_first_problem(tmp_path):
    write_article(article("alpha"), tmp_path)
    _put(tmp_path, "beta.yaml", "id: beta\n")
    _put(tmp_path, "gamma.yaml", "id: wrong\n")
    with pytest.raises(ValidationError) as caught:
        load_knowledge_base(tmp_path)
    assert Path(caught.value.path).name == "beta.yaml"


def test_the_bundled_knowledge_base_is_the_articles_folder_of_the_package():
    assert default_kb_dir() == Path(store.__file__).parent / "articles"


def test_article_path_refuses_an_id_that_could_leave_the_folder(tmp_path):
    assert article_path(tmp_path, "numb-leg") == tmp_path / "numb-leg.yaml"
    with pytest.raises(KBError, match="is not an article id"):
        article_path(tmp_path, "../outside")


# ------------------------------------------------------------------ writing

def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "numb-leg.yaml")


def test_write_article_creates_the_folder_and_a_readable_file(tmp_path):
    folder = tmp_path / "new" / "kb"
    path = write_article(article(), folder)
    assert path == folder / "numb-leg.yaml"
    assert path.read_text(encoding="utf-8") == article_to_yaml(article())
    assert path.stat().st_mode & 0o777 == 0o644
    assert _leftovers(folder) == []


def test_write_article_refuses_to_overwrite_without_force(tmp_path):
    path = write_article(article(), tmp_path)
    with pytest.raises(KBError, match="numb-leg.yaml already exists; use --force"):
        write_article(article(title="Changed"), tmp_path)
    assert load_article(path).title == "Why Does My Leg Go Numb?"
    write_article(article(title="Changed"), tmp_path, force=True)
    assert load_article(path).title == "Changed"


def test_write_article_refuses_an_article_that_would_not_load_back(tmp_path):
    with pytest.raises(ValidationError, match="cannot write article 'numb-leg': .*'title' "
                                              "is blank"):
        write_article(article(title=" "), tmp_path)
    with pytest.raises(ValidationError, match="reserved"):
        write_article(article("synonyms"), tmp_path)
    assert list(tmp_path.iterdir()) == []


def _fail_fsync(monkeypatch):
    def broken(fd):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(store.os, "fsync", broken)
    return OSError


def _interrupt_replace(monkeypatch):
    def interrupted(src, dst):
        raise KeyboardInterrupt
    monkeypatch.setattr(store.os, "replace", interrupted)
    return KeyboardInterrupt


def _fail_dump(monkeypatch):
    def broken(*args, **kwargs):
        raise yaml.YAMLError("emitter failed")
    monkeypatch.setattr(store, "article_to_yaml", broken)
    return yaml.YAMLError


def _fail_midway_through_writing(monkeypatch):
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, text):
            self.f.write(text[: len(text) // 2])
            self.f.flush()
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(store.os, "fdopen", lambda *a, **k: HalfWriter(real_fdopen(*a, **k)))
    return OSError


@pytest.mark.parametrize("breakage", [_fail_fsync, _interrupt_replace, _fail_dump,
                                      _fail_midway_through_writing])
def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path, monkeypatch,
                                                                  breakage):
    path = write_article(article(), tmp_path)
    before = path.read_bytes()
    error = breakage(monkeypatch)
    with pytest.raises(error):
        write_article(article(title="Half Written"), tmp_path, force=True)
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == []


def test_write_articles_checks_every_article_before_writing_any(tmp_path):
    write_article(article("taken"), tmp_path)
    with pytest.raises(KBError, match="taken.yaml already exists"):
        write_articles([article("fresh"), article("taken")], tmp_path)
    with pytest.raises(ValidationError, match="'twice' is given twice"):
        write_articles([article("twice"), article("twice")], tmp_path)
    with pytest.raises(ValidationError, match="'title' is blank"):
        write_articles([article("fine"), article("bad", title="")], tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken.yaml"]


def test_write_articles_writes_them_all(tmp_path):
    batch = [article(f"article-{n}", title=f"Article {n}") for n in range(50)]
    paths = write_articles(batch, tmp_path)
    assert [load_article(p) for p in paths] == batch
