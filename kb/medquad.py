"""MedQuAD's XML documents turned into articles.

MedQuAD keeps one XML file per topic page of an NIH site: a ``<Document>``
with ``id``, ``source`` and ``url``, a ``<Focus>`` (the topic), UMLS
annotations (``<CUI>`` concept ids) and ``<QAPairs>`` of ``<Question qid
qtype>`` / ``<Answer>``. A few files use older shapes of the same record
(``<DiseaseFile fid>``, ``<doc docid corpus>`` with ``<doctitle-focus>`` and
``<pair>``); they are read too, so no question is lost.

Each document becomes one article whose sections are its questions; an
answer removed by the dataset's authors (the MedlinePlus subsets) is kept as
an empty answer with the page's url. Documents sharing a UMLS concept list
each other as related topics.

Answer, question and title text are tidied by kb/medquad_text.py.

Parsing uses ElementTree and refuses any document with a DOCTYPE, so no
entity, internal or external, is ever declared or expanded.
"""
from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from kb.article import (Article, RelatedTopic, Section, Source, cap_id, is_slug,
                        number_too_long, shorten, slugify)
from kb.errors import InputError, KBError, ParseError
from kb.files import read_bytes
from kb.inputs import MAX_INPUT_BYTES
from kb.medquad_text import one_line, tidy_answer, tidy_question, title_from_questions

MEDQUAD_CREDIT = (
    "MedQuAD by Asma Ben Abacha and Dina Demner-Fushman, \"A question-entailment "
    "approach to question answering\", BMC Bioinformatics 20, 511 (2019), "
    "CC BY 4.0, from NIH websites."
)

RELATED_LIMIT = 10

# Tag and attribute names of the three shapes MedQuAD's files come in.
_ROOT_TAGS = ("Document", "DiseaseFile", "doc")
_ID_ATTRS = ("id", "fid", "docid")
_SOURCE_ATTRS = ("source", "corpus")
_FOCUS_TAGS = ("Focus", "doctitle-focus")
_PAIR_TAGS = ("QAPair", "pair")
_QUESTION_TAGS = ("Question", "question")
_ANSWER_TAGS = ("Answer", "answer")
_CUI_TAGS = ("CUI", "cui")
_SEMANTIC_TYPE_TAGS = ("SemanticType", "semanticType")
_SYNONYM_TAGS = ("Synonym",)

_SNIFF_FILES = 3
_ETREE_POSITION = re.compile(r": line \d+, column \d+$")


@dataclass(frozen=True)
class MedquadPair:
    """One question and its answer ("" when MedQuAD removed it).

    ``number`` is the pid, unless the pid was missing, not a positive
    integer or repeated: then the next number after the document's pids.
    """
    number: int
    pid: str | None
    qid: str | None
    qtype: str | None
    question: str
    answer: str


@dataclass(frozen=True)
class MedquadDocument:
    path: str
    id: str
    source: str
    url: str
    title: str
    pairs: tuple[MedquadPair, ...]
    cuis: tuple[str, ...] = ()
    semantic_types: tuple[str, ...] = ()
    synonyms: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def article_id(self) -> str:
        """``medquad-<source>-<id>`` (capped in length, see ``cap_id``);
        unique across MedQuAD but for a few CancerGov documents, which
        ``read_medquad`` renames."""
        return cap_id(f"medquad-{slugify(self.source)}-{slugify(self.id)}")


@dataclass
class MedquadImport:
    """The articles of an import and its account of what it did.

    Paths in ``renamed``, ``skipped`` and ``notes`` are relative to the
    imported folder; an error's path is the file as found, so
    ``path:line`` opens it.
    """
    articles: list[Article] = field(default_factory=list)
    files: int = 0
    documents: int = 0
    questions: int = 0
    answered: int = 0
    renamed: list[tuple[str, str, str]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)
    errors: list[KBError] = field(default_factory=list)
    written: int = 0  # set by whoever writes the articles

    @property
    def unanswered(self) -> int:
        return self.questions - self.answered

    def lines(self, root: Path, target: Path) -> list[str]:
        """The account of the import, errors apart, as printed."""
        out = [f"{root} -> {target}",
               f"  documents: {self.documents} in {self.files} files; "
               f"articles written: {self.written}",
               f"  questions: {self.questions} ({self.answered} with answers; "
               "the others keep their source link)"]
        out += [f"  renamed: {path}: id {old} is taken, imported as {new}"
                for path, old, new in self.renamed]
        out += [f"  skipped: {path}: no questions" for path in self.skipped]
        out += [f"  note: {path}: {note}" for path, note in self.notes]
        return out


class _DoctypeRefused(Exception):
    pass


class _NoDoctypeBuilder(ET.TreeBuilder):
    """Stops the parse at a DOCTYPE, before any entity can be declared."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise _DoctypeRefused(name)


def _parse_xml(xml_bytes: bytes, path: str) -> ET.Element:
    parser = ET.XMLParser(target=_NoDoctypeBuilder())
    try:
        parser.feed(xml_bytes)
        return parser.close()
    except _DoctypeRefused:
        # The parser cannot say where it stopped; a UTF-8 file can.
        at = xml_bytes.find(b"<!DOCTYPE")
        line = xml_bytes.count(b"\n", 0, at) + 1 if at >= 0 else None
        raise ParseError("DOCTYPE declarations are not accepted in MedQuAD files",
                         path, line) from None
    except ET.ParseError as e:
        line, column = e.position
        reason = _ETREE_POSITION.sub("", str(e))
        raise ParseError(f"malformed XML: {reason} (column {column + 1})",
                         path, line) from None


def _first_attr(element: ET.Element, names: tuple[str, ...]) -> str:
    for name in names:
        value = (element.get(name) or "").strip()
        if value:
            return value
    return ""


def _child(element: ET.Element, tags: tuple[str, ...]) -> ET.Element | None:
    return next((c for c in element if c.tag in tags), None)


def _texts(root: ET.Element, tags: tuple[str, ...]) -> tuple[str, ...]:
    """Non-empty texts of every element with one of ``tags``, deduplicated."""
    seen: dict[str, None] = {}
    for element in root.iter():
        if element.tag in tags:
            text = one_line("".join(element.itertext()))
            if text:
                seen.setdefault(text, None)
    return tuple(seen)


def _numbers(pids: list[str | None]) -> tuple[list[int], list[str]]:
    """Section numbers for the pids, with a note for each one renumbered."""
    valid = [_pid_number(p) for p in pids]
    next_free = max((v for v in valid if v is not None), default=0) + 1
    numbers, notes, used = [], [], set()
    for pid, value in zip(pids, valid):
        if value is None or value in used:
            why = "repeated" if value is not None else "not a positive integer of at most 6 digits"
            shown = repr(shorten(pid)) if pid is not None else "None"
            notes.append(f"pid {shown} {why}: numbered {next_free}")
            value, next_free = next_free, next_free + 1
        used.add(value)
        numbers.append(value)
    return numbers, notes


def _pid_number(pid: str | None) -> int | None:
    # ASCII digits only ("²".isdigit() is true, and int() refuses it), and
    # bounded before int() reads them.
    if not (pid and pid.isascii() and pid.isdigit()) or number_too_long(pid):
        return None
    return int(pid) or None


def parse_document(xml_bytes: bytes, path: str) -> MedquadDocument:
    """One MedQuAD XML file; ParseError if it is malformed or incomplete."""
    root = _parse_xml(xml_bytes, path)
    if root.tag not in _ROOT_TAGS:
        raise ParseError(f"not a MedQuAD document: root element <{root.tag}>", path, None)
    doc_id = _first_attr(root, _ID_ATTRS)
    source = _first_attr(root, _SOURCE_ATTRS)
    url = _first_attr(root, ("url",))
    for name, value in (("id", doc_id), ("source", source), ("url", url)):
        if not value:
            raise ParseError(f"<{root.tag}> has no {name} attribute", path, None)
    if not slugify(doc_id) or not slugify(source):
        raise ParseError(f"id {doc_id!r} or source {source!r} has no letters or digits",
                         path, None)

    focus = _child(root, _FOCUS_TAGS)
    title = one_line("".join(focus.itertext())) if focus is not None else ""

    raw_pairs = []
    for pair in root.iter():
        if pair.tag not in _PAIR_TAGS:
            continue
        question = _child(pair, _QUESTION_TAGS)
        question_text = one_line("".join(question.itertext())) if question is not None else ""
        if not question_text:
            raise ParseError(f"QA pair pid={pair.get('pid')!r} has no question", path, None)
        answer = _child(pair, _ANSWER_TAGS)
        answer_text = tidy_answer("".join(answer.itertext())) if answer is not None else ""
        raw_pairs.append((pair.get("pid"), question, question_text, answer_text))

    notes = []
    if not title:
        title = (title_from_questions(
            ["".join(q.itertext()) for _, q, _, _ in raw_pairs]) or Path(path).name)
        notes.append(f"no Focus: titled {title!r}")
    numbers, renumbered = _numbers([pid for pid, *_ in raw_pairs])
    pairs = tuple(
        MedquadPair(number=number, pid=pid, qid=question.get("qid"),
                    qtype=question.get("qtype"), question=question_text, answer=answer_text)
        for number, (pid, question, question_text, answer_text) in zip(numbers, raw_pairs))
    return MedquadDocument(
        path=path, id=doc_id, source=source, url=url, title=title, pairs=pairs,
        cuis=_texts(root, _CUI_TAGS), semantic_types=_texts(root, _SEMANTIC_TYPE_TAGS),
        synonyms=_texts(root, _SYNONYM_TAGS), notes=tuple(notes + renumbered))


def medquad_files(root: Path) -> list[Path]:
    """The XML files under ``root`` in a stable order (hidden files, such as
    archivers' ``._name.xml`` companions, are not MedQuAD's)."""
    return sorted(p for p in root.rglob("*")
                  if p.suffix.lower() == ".xml" and p.is_file()
                  and not any(part.startswith(".") for part in p.relative_to(root).parts))


def is_medquad_dir(path: Path) -> bool:
    """Whether ``path`` is a folder of MedQuAD XML files (in sub-folders or not)."""
    if not path.is_dir():
        return False
    for file in medquad_files(path)[:_SNIFF_FILES]:
        try:
            parse_document(read_bytes(file, max_bytes=MAX_INPUT_BYTES), str(file))
        except (InputError, ParseError):
            continue
        return True
    return False


def _unique_id(doc: MedquadDocument, taken: set[str]) -> str:
    """The document's id, else one from its file name, else a numbered one."""
    candidates = [doc.article_id,
                  cap_id(f"medquad-{slugify(doc.source)}-{slugify(Path(doc.path).stem)}")]
    for candidate in candidates:
        if candidate not in taken and is_slug(candidate):
            return candidate
    n = 2
    while cap_id(f"{doc.article_id}-{n}") in taken:
        n += 1
    return cap_id(f"{doc.article_id}-{n}")


def _related(ids: list[str], docs: list[MedquadDocument],
             limit: int) -> list[tuple[RelatedTopic, ...]]:
    """For each document, the others sharing a UMLS concept.

    Most shared concepts first, then the rarer shared concept (a concept
    held by 300 documents, such as "Syndrome", says less than one held by
    two), then article id; at most ``limit``.
    """
    holders: dict[str, list[int]] = defaultdict(list)
    for i, doc in enumerate(docs):
        for cui in doc.cuis:
            holders[cui].append(i)
    related = []
    for i, doc in enumerate(docs):
        shared: dict[int, list[int]] = defaultdict(list)
        for cui in doc.cuis:
            for j in holders[cui]:
                if j != i:
                    shared[j].append(len(holders[cui]))
        ranked = sorted(shared, key=lambda j: (-len(shared[j]), min(shared[j]), ids[j]))
        related.append(tuple(RelatedTopic(title=docs[j].title, id=ids[j])
                             for j in ranked[:limit]))
    return related


def _article(doc: MedquadDocument, article_id: str, relative_path: str, sha256: str,
             related: tuple[RelatedTopic, ...]) -> Article:
    sections = tuple(
        Section(kind="question", number=p.number, question=tidy_question(p.question),
                answer=p.answer, qid=p.qid, qtype=p.qtype, url=doc.url,
                original=p.question if tidy_question(p.question) != p.question else None)
        for p in doc.pairs)
    source = Source(path=relative_path, sha256=sha256, url=doc.url, credit=MEDQUAD_CREDIT)
    return Article(id=article_id, title=doc.title, sections=sections,
                   related=related, source=source)


def read_medquad(root: Path, progress: Callable[[int], None] | None = None,
                   *, related_limit: int = RELATED_LIMIT) -> MedquadImport:
    """Every MedQuAD document under ``root`` as an article.

    A file that cannot be read or parsed is reported in ``errors`` and the
    import goes on. ``progress(1)`` is called once per file done, so a
    progress bar's ``update`` (length ``len(medquad_files(root))``) fits.
    """
    report = MedquadImport()
    kept: list[tuple[MedquadDocument, str, str]] = []
    for file in medquad_files(root):
        relative = file.relative_to(root).as_posix()
        report.files += 1
        try:
            # Bounded: a 60 MB file would cost a minute and a gigabyte.
            data = read_bytes(file, max_bytes=MAX_INPUT_BYTES)
            doc = parse_document(data, str(file))
        except (InputError, ParseError) as e:
            report.errors.append(e)
        else:
            report.documents += 1
            report.questions += len(doc.pairs)
            report.answered += sum(1 for p in doc.pairs if p.answer)
            report.notes.extend((relative, note) for note in doc.notes)
            if doc.pairs:
                kept.append((doc, relative, hashlib.sha256(data).hexdigest()))
            else:
                report.skipped.append(relative)
        if progress is not None:
            progress(1)

    ids: list[str] = []
    taken: set[str] = set()
    for doc, relative, _ in kept:
        article_id = _unique_id(doc, taken)
        if article_id != doc.article_id:
            report.renamed.append((relative, doc.article_id, article_id))
        taken.add(article_id)
        ids.append(article_id)

    docs = [doc for doc, _, _ in kept]
    for (doc, relative, sha256), article_id, related in zip(
            kept, ids, _related(ids, docs, related_limit)):
        report.articles.append(_article(doc, article_id, relative, sha256, related))
    return report
