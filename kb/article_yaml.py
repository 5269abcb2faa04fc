"""An article read from YAML: the article rules, checked node by node.

Every problem names the line of the key or value at fault, and every
problem of a file is found, not just the first (kb/yamlcheck.py does the
reading; this module knows what an article must hold).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.article import (MAX_ID_LENGTH, MAX_SECTION_NUMBER, SECTION_KINDS, Article,
                        RelatedTopic, Section, Source, is_slug, shorten)
from kb.errors import ValidationError
from kb.synonyms import SYNONYMS_FILE
from kb.yaml_emit import RELATED_KEYS, SECTION_KEYS, SOURCE_KEYS
from kb.yamlcheck import BAD, NodeChecker, a, composed, describe, line

RESERVED_IDS = frozenset({Path(SYNONYMS_FILE).stem})

_ARTICLE_KEYS = ("id", "title", "source", "sections", "related")
_ARTICLE_REQUIRED = ("id", "title", "sections")
_SOURCE_REQUIRED = ("path", "sha256")
# Per kind: the keys it must have, then the ones it may have.
_KIND_KEYS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "intro": (("text",), ()),
    "transition": (("text",), ()),
    "conclusion": (("text",), ()),
    "fact": (("number", "heading", "text"), ()),
    "question": (("number", "question", "answer"), ("qid", "qtype", "url", "original")),
}
assert set(_KIND_KEYS) == set(SECTION_KINDS)


@dataclass
class ParsedArticle:
    """What one file yielded: the article if it is valid, every problem
    found, and the id with its line even when other parts are invalid (so
    duplicate ids can still be reported)."""
    article: Article | None = None
    errors: list[ValidationError] = field(default_factory=list)
    id: str | None = None
    id_line: int | None = None


# Room for any way YAML may spell a number up to MAX_SECTION_NUMBER
# ("0_999_999", "+999999", "0x0f423f").
_LONGEST_NUMBER_TEXT = 20


class _ArticleChecker(NodeChecker):
    """Walks one article's node tree, collecting problems as it goes."""

    def slug(self, where: str, key: str, node: yaml.Node) -> str | None:
        value = self.string(where, key, node)
        if value is None:
            return None
        if not is_slug(value):
            self.fail(node, f"{where}: {key!r} must be a slug (lower-case letters "
                            f"and digits joined by single hyphens), got {value!r}")
            return None
        if len(value) > MAX_ID_LENGTH:
            self.fail(node, f"{where}: {key!r} is {len(value)} characters long; "
                            f"an id has at most {MAX_ID_LENGTH}")
            return None
        return value

    def number(self, where: str, node: yaml.Node) -> int | None:
        if isinstance(node, yaml.ScalarNode) and len(node.value) > _LONGEST_NUMBER_TEXT:
            # Refused by its length, unread: int() of 5,000 digits raises,
            # and no section count is written that long.
            self.fail(node, f"{where}: 'number' is too large: at most {MAX_SECTION_NUMBER}, "
                            f"got {shorten(node.value, 12)!r}")
            return None
        value = self.scalar(node)
        if value is BAD:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            self.fail(node, f"{where}: 'number' must be a positive integer, "
                            f"got {describe(node, value)}")
            return None
        if value > MAX_SECTION_NUMBER:
            self.fail(node, f"{where}: 'number' {value} is too large: "
                            f"at most {MAX_SECTION_NUMBER}")
            return None
        return value

    def article(self, root: yaml.Node | None, parsed: ParsedArticle) -> Article | None:
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
            parsed.id_line = line(node)
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
        entries = self.mapping(node, "source", SOURCE_KEYS, _SOURCE_REQUIRED)
        if entries is None:
            return None
        values = {k: self.string("source", k, v) for k, (_, v) in entries.items()}
        if None in values.values() or any(k not in values for k in _SOURCE_REQUIRED):
            return None
        return Source(**values)

    def related(self, node: yaml.Node) -> tuple[RelatedTopic, ...]:
        if not isinstance(node, yaml.SequenceNode):
            self.fail(node, f"'related' must be a list of topics ({{title: ...}}), "
                            f"got {describe(node, self.scalar(node))}")
            return ()
        topics = []
        for i, item in enumerate(node.value, 1):
            where = f"related topic {i}"
            entries = self.mapping(item, where, RELATED_KEYS, ("title",))
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
                            f"{describe(node, self.scalar(node))}")
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
                first_line[key] = line(item)
            sections.append(section)
        return tuple(sections)

    def section(self, index: int, node: yaml.Node) -> Section | None:
        entries = self.mapping(node, f"section {index}", SECTION_KEYS, ("kind",))
        if entries is None or "kind" not in entries:
            return None
        kind_node = entries["kind"][1]
        kind = self.scalar(kind_node)
        if kind is BAD:
            return None
        if kind not in _KIND_KEYS:
            self.fail(kind_node, f"section {index}: unknown kind "
                                 f"{describe(kind_node, kind)}; expected one of "
                                 f"{', '.join(SECTION_KINDS)}")
            return None
        where = f"section {index} ({kind})"
        required, optional = _KIND_KEYS[kind]
        allowed = ("kind", *required, *optional)
        ok = True
        values: dict[str, Any] = {"kind": kind}
        for key, (key_node, value_node) in entries.items():
            if key not in allowed:
                self.fail(key_node, f"{where}: {key!r} does not belong in {a(kind)} "
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
                            f"{a(kind)} section needs {', '.join(required)}")
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


def parse_article_yaml(text: str, path: str) -> ParsedArticle:
    """Everything one article document yields (see ``ParsedArticle``)."""
    parsed = ParsedArticle()
    try:
        with composed(text, path) as (loader, root):
            checker = _ArticleChecker(loader, path)
            parsed.article = checker.article(root, parsed)
            parsed.errors.extend(checker.sorted_errors())
    except ValidationError as exc:
        parsed.errors.append(exc)
    return parsed


def article_from_yaml(text: str, path: str | Path = "<string>") -> Article:
    """The article a YAML document describes.

    Raises ``ValidationError`` for the first problem, naming ``path`` and
    the 1-based line of the key or value at fault.
    """
    parsed = parse_article_yaml(text, str(path))
    if parsed.errors:
        raise parsed.errors[0]
    assert parsed.article is not None
    return parsed.article
