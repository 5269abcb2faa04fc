"""Articles as YAML files: one ``<id>.yaml`` per article in a folder.

Reading composes the YAML node tree and checks it node by node, so every
problem names the line of the key or value at fault; ``check_knowledge_base``
reports every problem in every file, not just the first. Writing goes
through a temporary file in the same folder and ``os.replace``, so an
article file is always either the old one or the new one, whole.

libyaml (``CSafeLoader``/``CSafeDumper``) is used when PyYAML has it — it
composes and emits several times faster, which counts with thousands of
articles — and PyYAML's pure-Python classes otherwise; both give the same
documents and the same line numbers.
"""
from __future__ import annotations

import difflib
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.article import SECTION_KINDS, Article, RelatedTopic, Section, Source, is_slug
from kb.errors import KBError, ValidationError
from kb.inputs import decode_utf8, read_bytes
from kb.synonyms import SYNONYMS_FILE

MAX_ARTICLE_BYTES = 5 * 1024 * 1024
"""The largest article file read (5 MiB), refused by size before reading;
the longest real articles are a few dozen kilobytes."""

ARTICLE_SUFFIX = ".yaml"
RESERVED_IDS = frozenset({Path(SYNONYMS_FILE).stem})

_ARTICLE_KEYS = ("id", "title", "source", "sections", "related")
_ARTICLE_REQUIRED = ("id", "title", "sections")
_SOURCE_KEYS = ("path", "sha256", "url", "credit")
_SOURCE_REQUIRED = ("path", "sha256")
_RELATED_KEYS = ("title", "id")
_SECTION_KEYS = ("kind", "number", "heading", "question", "answer", "text",
                 "qid", "qtype", "url")
# Per kind: the keys it must have, then the ones it may have.
_KIND_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "intro": (("text",), ()),
    "transition": (("text",), ()),
    "conclusion": (("text",), ()),
    "fact": (("number", "heading", "text"), ()),
    "question": (("number", "question", "answer"), ("qid", "qtype", "url")),
}
assert set(_KIND_KEYS) == set(SECTION_KINDS)

_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR_TAG = "tag:yaml.org,2002:str"
# Characters YAML reads as line breaks or cannot show raw in a block
# scalar; only escapes in double quotes carry them through unchanged.
_NEEDS_ESCAPES = re.compile(
    "[\r\x85\u2028\u2029\ufeff]|[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BAD = object()  # a value YAML could not construct, already reported
_WIDTH = 76
_FOLD_FROM = 60


# ---------------------------------------------------------------- writing YAML

def _represent_str(dumper: yaml.BaseDumper, text: str) -> yaml.ScalarNode:
    """Choose a style a person reads easily; the emitter falls back to a
    quoted style whenever the chosen one could not hold the text exactly."""
    style = None
    if _NEEDS_ESCAPES.search(text):
        style = '"'
    elif "\n" in text:
        style = "|"
    elif len(text) > _FOLD_FROM and " " in text and not text[0].isspace():
        # A folded line that starts with a space is "more indented": YAML
        # keeps the break the emitter puts after it, so it never folds back.
        style = ">"
    return dumper.represent_scalar(_STR_TAG, text, style=style)


def _article_dumper(base: type) -> type:
    dumper = type(f"Article{base.__name__}", (base,), {})
    dumper.add_representer(str, _represent_str)
    return dumper


_PURE_DUMPER = _article_dumper(yaml.SafeDumper)
_DUMPER: type = (_article_dumper(yaml.CSafeDumper) if hasattr(yaml, "CSafeDumper")
                 else _PURE_DUMPER)


def _fields(obj: Any, keys: Iterable[str]) -> dict[str, Any]:
    return {k: getattr(obj, k) for k in keys if getattr(obj, k) is not None}


def article_to_yaml(article: Article) -> str:
    """The article as a YAML document, in a fixed key order and block style;
    ``article_from_yaml`` reads it back to an equal article."""
    doc: dict[str, Any] = {"id": article.id, "title": article.title}
    if article.source is not None:
        doc["source"] = _fields(article.source, _SOURCE_KEYS)
    doc["sections"] = [_fields(s, _SECTION_KEYS) for s in article.sections]
    if article.related:
        doc["related"] = [_fields(r, _RELATED_KEYS) for r in article.related]
    return yaml.dump(doc, Dumper=_DUMPER, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=_WIDTH)


# ---------------------------------------------------------------- reading YAML

@dataclass
class _Parsed:
    """What one file yielded: the article if it is valid, every problem
    found, and the id with its line even when other parts are invalid (so
    duplicate ids can still be reported)."""
    article: Article | None = None
    errors: list[ValidationError] = field(default_factory=list)
    id: str | None = None
    id_line: int | None = None


def _a(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _describe(node: yaml.Node, value: Any) -> str:
    """What a value is, as a person would say it in an error message."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, str) or value is _BAD:
        return repr(node.value)
    if isinstance(value, bool):
        return f"{node.value} (read as true/false)"
    if isinstance(value, (int, float)):
        return f"{node.value} (a number)"
    return f"{node.value} (read as {type(value).__name__})"


class _Checker:
    """Walks one article's node tree, collecting problems as it goes."""

    def __init__(self, loader: Any, path: str) -> None:
        self.loader = loader
        self.path = path
        self.errors: list[ValidationError] = []

    def fail(self, node: yaml.Node, message: str) -> None:
        self.errors.append(ValidationError(message, self.path, _line(node)))

    def scalar(self, node: yaml.Node) -> Any:
        """The value of a scalar node (None for a list or mapping); _BAD,
        with the problem reported, when YAML cannot make a value of it."""
        if not isinstance(node, yaml.ScalarNode):
            return None
        try:
            return self.loader.construct_object(node)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or str(exc)
            self.fail(node, f"cannot read the value {node.value!r}: {problem}")
        except ValueError as exc:
            self.fail(node, f"cannot read the value {node.value!r}: {exc}")
        return _BAD

    def mapping(self, node: yaml.Node, where: str, keys: tuple[str, ...],
                required: tuple[str, ...]) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        """The mapping's entries by key, after reporting unknown, repeated
        and missing keys; None if the node is no mapping at all."""
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{where} must be a mapping of {', '.join(keys)}; "
                            f"got {_describe(node, self.scalar(node))}")
            return None
        entries: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key not in keys:
                shown = repr(key) if key is not None else "that is not a name"
                hint = difflib.get_close_matches(key or "", keys, n=1)
                self.fail(key_node, f"{where}: unknown key {shown}"
                          + (f" (did you mean {hint[0]!r}?)" if hint else "")
                          + f"; expected {', '.join(keys)}")
            elif key in entries:
                self.fail(key_node, f"{where}: {key!r} is given twice (first on "
                                    f"line {_line(entries[key][0])})")
            else:
                entries[key] = (key_node, value_node)
        missing = [k for k in required if k not in entries]
        if missing:
            names = ", ".join(repr(k) for k in missing)
            self.fail(node, f"{where}: missing {names}"
                      + (f"; it needs {', '.join(required)}" if len(required) > 1 else ""))
        return entries

    def string(self, where: str, key: str, node: yaml.Node, *,
               blank_ok: bool = False) -> str | None:
        value = self.scalar(node)
        if value is _BAD:
            return None
        if not isinstance(value, str):
            hint = "; put it in quotes to keep it as text" if isinstance(node, yaml.ScalarNode) \
                and value is not None else ""
            self.fail(node, f"{where}: {key!r} must be text, got "
                            f"{_describe(node, value)}{hint}")
            return None
        if not blank_ok and not value.strip():
            self.fail(node, f"{where}: {key!r} is blank; it needs some text")
            return None
        return value

    def slug(self, where: str, key: str, node: yaml.Node) -> str | None:
        value = self.string(where, key, node)
        if value is None:
            return None
        if not is_slug(value):
            self.fail(node, f"{where}: {key!r} must be a slug (lower-case letters "
                            f"and digits joined by single hyphens), got {value!r}")
            return None
        return value

    def number(self, where: str, node: yaml.Node) -> int | None:
        value = self.scalar(node)
        if value is _BAD:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            self.fail(node, f"{where}: 'number' must be a positive integer, "
                            f"got {_describe(node, value)}")
            return None
        return value

    def article(self, root: yaml.Node | None, parsed: _Parsed) -> Article | None:
        if root is None:
            parsed.errors.append(ValidationError(
                "the file is empty; an article is a mapping with id, title and "
                "sections", self.path, 1))
            return None
        entries = self.mapping(root, "the article", _ARTICLE_KEYS, _ARTICLE_REQUIRED)
        if entries is None:
            return None
        values: dict[str, Any] = {}
        if "id" in entries:
            node = entries["id"][1]
            parsed.id_line = _line(node)
            parsed.id = self.slug("the article", "id", node)
            if parsed.id in RESERVED_IDS:
                self.fail(node, f"the article: id {parsed.id!r} is reserved for the "
                                f"{SYNONYMS_FILE} list; choose another id")
            values["id"] = parsed.id
        if "title" in entries:
            values["title"] = self.string("the article", "title", entries["title"][1])
        if "source" in entries:
            values["source"] = self.source(entries["source"][1])
        if "sections" in entries:
            values["sections"] = self.sections(entries["sections"][1])
        if "related" in entries:
            values["related"] = self.related(entries["related"][1])
        if self.errors:
            return None
        return Article(**values)

    def source(self, node: yaml.Node) -> Source | None:
        entries = self.mapping(node, "source", _SOURCE_KEYS, _SOURCE_REQUIRED)
        if entries is None:
            return None
        values = {k: self.string("source", k, v) for k, (_, v) in entries.items()}
        if None in values.values() or any(k not in values for k in _SOURCE_REQUIRED):
            return None
        return Source(**values)

    def related(self, node: yaml.Node) -> tuple[RelatedTopic, ...]:
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, f"'related' must be a list of topics ({{title: ...}}), "
                            f"got {_describe(node, self.scalar(node))}")
            return ()
        topics = []
        for i, item in enumerate(node.value, 1):
            where = f"related topic {i}"
            entries = self.mapping(item, where, _RELATED_KEYS, ("title",))
            if entries is None:
                continue
            values = {}
            if "title" in entries:
                values["title"] = self.string(where, "title", entries["title"][1])
            if "id" in entries:
                values["id"] = self.slug(where, "id", entries["id"][1])
            if None not in values.values() and "title" in values:
                topics.append(RelatedTopic(**values))
        return tuple(topics)

    def sections(self, node: yaml.Node) -> tuple[Section, ...]:
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, f"'sections' must be a list of sections, got "
                            f"{_describe(node, self.scalar(node))}")
            return ()
        if not node.value:
            self.fail(node, "'sections' is empty; an article needs at least one section")
        sections = []
        first_line: dict[tuple[str, int], int] = {}
        for i, item in enumerate(node.value, 1):
            section = self.section(i, item)
            if section is None or section.number is None:
                sections.append(section)
                continue
            key = (section.kind, section.number)
            if key in first_line:
                self.fail(item, f"section {i} ({section.kind}): {section.kind} "
                                f"number {section.number} is used twice (first on "
                                f"line {first_line[key]}); numbers must be unique")
            else:
                first_line[key] = _line(item)
            sections.append(section)
        return tuple(sections)

    def section(self, index: int, node: yaml.Node) -> Section | None:
        entries = self.mapping(node, f"section {index}", _SECTION_KEYS, ("kind",))
        if entries is None or "kind" not in entries:
            return None
        kind_node = entries["kind"][1]
        kind = self.scalar(kind_node)
        if kind is _BAD:
            return None
        if kind not in _KIND_KEYS:
            self.fail(kind_node, f"section {index}: unknown kind "
                                 f"{_describe(kind_node, kind)}; expected one of "
                                 f"{', '.join(SECTION_KINDS)}")
            return None
        where = f"section {index} ({kind})"
        required, optional = _KIND_KEYS[kind]
        allowed = ("kind", *required, *optional)
        ok = True
        values: dict[str, Any] = {"kind": kind}
        for key, (key_node, value_node) in entries.items():
            if key not in allowed:
                self.fail(key_node, f"{where}: {key!r} does not belong in {_a(kind)} "
                                    f"section; it takes {', '.join(allowed)}")
                ok = False
            elif key == "number":
                values[key] = self.number(where, value_node)
            elif key != "kind":
                # An empty answer is checked below: fine with a url to read it at.
                values[key] = self.string(where, key, value_node,
                                          blank_ok=key == "answer")
        missing = [k for k in required if k not in entries]
        if missing:
            self.fail(node, f"{where}: missing {', '.join(repr(k) for k in missing)}; "
                            f"{_a(kind)} section needs {', '.join(required)}")
            ok = False
        if kind == "question" and "answer" in entries:
            answer = values.get("answer")
            if answer is not None and not answer.strip() and not values.get("url"):
                self.fail(entries["answer"][1], f"{where}: 'answer' is blank; give the "
                                                f"answer, or a 'url' to read it at")
                ok = False
        if not ok or None in values.values():
            return None
        return Section(**values)


def _syntax_error(exc: yaml.YAMLError, text: str, path: str) -> ValidationError:
    if isinstance(exc, yaml.reader.ReaderError):
        # libyaml reports a byte offset, PyYAML a character one: find the
        # character again so both name the same line.
        bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
        line = text.count("\n", 0, bad.start()) + 1 if bad else None
        char = f" {bad.group()!r}" if bad else ""
        return ValidationError(f"the file contains a control character{char} "
                               f"YAML does not allow", path, line)
    if isinstance(exc, yaml.MarkedYAMLError):
        what = exc.problem or "not valid YAML"
        mark, opened = exc.problem_mark, exc.context_mark
        context = f" ({exc.context})" if exc.context else ""
        if opened is not None and (mark is None or "end of stream" in what):
            # A quote or bracket left open is found only at the end of the
            # file; the line that opened it is the one to fix.
            mark = opened
            context = f" ({exc.context}, started on this line)"
        elif opened is not None and exc.context and opened.line != mark.line:
            context = f" ({exc.context}, see line {opened.line + 1})"
        return ValidationError(f"YAML syntax error: {what}{context}", path,
                               mark.line + 1 if mark is not None else None)
    return ValidationError(f"YAML syntax error: {exc}", path)


def _parse(text: str, path: str) -> _Parsed:
    parsed = _Parsed()
    try:
        # PyYAML's own reader checks the characters as it is made.
        loader = _LOADER(text)
    except yaml.YAMLError as exc:
        parsed.errors.append(_syntax_error(exc, text, path))
        return parsed
    try:
        try:
            root = loader.get_single_node()
        except yaml.YAMLError as exc:
            parsed.errors.append(_syntax_error(exc, text, path))
            return parsed
        checker = _Checker(loader, path)
        parsed.article = checker.article(root, parsed)
        # Reported as an editor reads the file: top to bottom.
        parsed.errors.extend(sorted(checker.errors, key=lambda e: e.line or 0))
        return parsed
    finally:
        loader.dispose()


def article_from_yaml(text: str, path: str | Path = "<string>") -> Article:
    """The article a YAML document describes.

    Raises ``ValidationError`` for the first problem, naming ``path`` and
    the 1-based line of the key or value at fault.
    """
    parsed = _parse(text, str(path))
    if parsed.errors:
        raise parsed.errors[0]
    assert parsed.article is not None
    return parsed.article


# ------------------------------------------------------------- files and folders

def article_path(kb_dir: Path, article_id: str) -> Path:
    """Where the article with this id lives; refuses an id that is not a
    slug, so no id can name a path outside ``kb_dir``."""
    if not is_slug(article_id):
        raise KBError(f"{article_id!r} is not an article id (a slug such as "
                      f"'why-does-my-leg-go-numb')")
    return Path(kb_dir) / f"{article_id}{ARTICLE_SUFFIX}"


def default_kb_dir() -> Path:
    """The knowledge base that ships with kb."""
    return Path(__file__).parent / "articles"


def _read_article_file(path: Path) -> _Parsed:
    real = Path(os.path.realpath(path))
    folder = Path(os.path.realpath(path.parent))
    if not real.is_relative_to(folder):
        return _Parsed(errors=[ValidationError(
            f"is a link to {real}, outside the knowledge-base folder {folder}; "
            f"refusing to read it", path)])
    try:
        data = read_bytes(path, max_bytes=MAX_ARTICLE_BYTES, error=ValidationError)
        text = decode_utf8(data, path, error=ValidationError)
    except ValidationError as exc:
        return _Parsed(errors=[exc])
    parsed = _parse(text, str(path))
    if parsed.id is not None and parsed.id != path.stem:
        parsed.errors.append(ValidationError(
            f"id {parsed.id!r} does not match the file name; the file must be "
            f"named {parsed.id}{ARTICLE_SUFFIX} (or the id be {path.stem!r})",
            path, parsed.id_line))
        parsed.article = None
    return parsed


def load_article(path: Path) -> Article:
    """The article in ``path``, checked; its id must be the file name's stem.

    Refused with ``ValidationError``: a file over ``MAX_ARTICLE_BYTES``
    (by size, before reading), a symlink leading outside its folder, a
    folder, text that is not UTF-8, and any invalid article.
    """
    parsed = _read_article_file(Path(path))
    if parsed.errors:
        raise parsed.errors[0]
    assert parsed.article is not None
    return parsed.article


def article_files(kb_dir: Path) -> list[Path]:
    """The article files in ``kb_dir``, sorted: ``*.yaml`` but not the
    synonyms list nor hidden files (editors' and our own temporary files)."""
    try:
        names = sorted(os.listdir(kb_dir))
    except FileNotFoundError:
        raise KBError("the knowledge-base folder does not exist", kb_dir) from None
    except NotADirectoryError:
        raise KBError("is not a folder; expected the knowledge-base folder",
                      kb_dir) from None
    except PermissionError:
        raise KBError("cannot read the knowledge-base folder: permission denied",
                      kb_dir) from None
    except OSError as exc:
        raise KBError(f"cannot read the knowledge-base folder: "
                      f"{exc.strerror or exc}", kb_dir) from None
    return [Path(kb_dir) / n for n in names
            if n.endswith(ARTICLE_SUFFIX) and n != SYNONYMS_FILE and not n.startswith(".")]


def check_knowledge_base(kb_dir: Path) -> tuple[list[Article], list[ValidationError]]:
    """Every valid article in ``kb_dir`` and every problem found, file by
    file in name order. A file claiming an id another file holds (the one
    named after it, or else the first) is a problem on its id line. Raises ``KBError`` only when the folder itself
    cannot be read."""
    files = [(path, _read_article_file(path)) for path in article_files(kb_dir)]
    # An id belongs to the file named after it, else to the first claiming it.
    owner: dict[str, Path] = {}
    for path, parsed in files:
        if parsed.id is not None and (parsed.id == path.stem or parsed.id not in owner):
            owner[parsed.id] = path
    articles: list[Article] = []
    errors: list[ValidationError] = []
    for path, parsed in files:
        errors.extend(parsed.errors)
        if parsed.id is not None and owner[parsed.id] != path:
            errors.append(ValidationError(
                f"duplicate id {parsed.id!r}: {owner[parsed.id].name} already has it",
                path, parsed.id_line))
        elif parsed.article is not None:
            articles.append(parsed.article)
    return articles, errors


def load_knowledge_base(kb_dir: Path) -> list[Article]:
    """Every article in ``kb_dir``, all or nothing: raises the first
    ``ValidationError`` if any file has a problem. Use
    ``check_knowledge_base`` to go on with the valid ones."""
    articles, errors = check_knowledge_base(kb_dir)
    if errors:
        raise errors[0]
    return articles


def _checked_yaml(article: Article) -> str:
    """The article's YAML, refused unless it would load back: nothing
    ``load_article`` would reject is ever written."""
    text = article_to_yaml(article)
    parsed = _parse(text, "<new article>")
    if parsed.errors:
        raise ValidationError(f"cannot write article {article.id!r}: "
                              f"{parsed.errors[0].message}")
    return text


def _write_atomic(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private; an article is as readable as any.
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def _sync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable; not possible on every OS."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _refuse_existing(path: Path) -> None:
    if path.exists():
        raise KBError(f"{path.name} already exists; use --force to overwrite it", path)


def write_article(article: Article, kb_dir: Path, *, force: bool = False) -> Path:
    """Write ``<kb_dir>/<id>.yaml`` atomically and return its path.

    Raises ``ValidationError`` for an article that would not load back,
    and ``KBError`` if the file exists and ``force`` is not set. Creates
    ``kb_dir`` when missing.
    """
    return write_articles([article], kb_dir, force=force)[0]


def write_articles(articles: Iterable[Article], kb_dir: Path, *,
                   force: bool = False) -> list[Path]:
    """Write many articles, each atomically; all are checked (valid, ids
    distinct, files absent unless ``force``) before any is written."""
    kb_dir = Path(kb_dir)
    todo: list[tuple[Path, str]] = []
    seen: set[str] = set()
    for article in articles:
        text = _checked_yaml(article)
        if article.id in seen:
            raise ValidationError(f"article id {article.id!r} is given twice")
        seen.add(article.id)
        path = article_path(kb_dir, article.id)
        if not force:
            _refuse_existing(path)
        todo.append((path, text))
    kb_dir.mkdir(parents=True, exist_ok=True)
    for path, text in todo:
        _write_atomic(path, text)
    if todo:
        _sync_folder(kb_dir)
    return [path for path, _ in todo]
