"""Articles written as YAML a person reads easily: a fixed key order, block
style, and for each text the scalar style that holds it exactly.

libyaml's emitter (``CSafeDumper``) is used when PyYAML has it — several
times faster with thousands of articles — and PyYAML's pure-Python one
otherwise; both write the same document.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml

from kb.article import Article
from kb.yamlcheck import STR_TAG

SOURCE_KEYS = ("path", "sha256", "url", "credit")
RELATED_KEYS = ("title", "id")
SECTION_KEYS = ("kind", "number", "heading", "question", "answer", "text",
                "qid", "qtype", "url", "original")

# Characters YAML reads as line breaks or cannot show raw in a block
# scalar; only escapes in double quotes carry them through unchanged.
_NEEDS_ESCAPES = re.compile(
    "[\r\x85\u2028\u2029\ufeff]|[^\t\n\x20-\x7e\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_WIDTH = 76
_FOLD_FROM = 60


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
    return dumper.represent_scalar(STR_TAG, text, style=style)


def _article_dumper(base: type) -> type:
    dumper = type(f"Article{base.__name__}", (base,), {})
    dumper.add_representer(str, _represent_str)
    return dumper


PURE_DUMPER = _article_dumper(yaml.SafeDumper)
DUMPER: type = (_article_dumper(yaml.CSafeDumper) if hasattr(yaml, "CSafeDumper")
                else PURE_DUMPER)


def _fields(obj: Any, keys: Iterable[str]) -> dict[str, Any]:
    return {k: getattr(obj, k) for k in keys if getattr(obj, k) is not None}


def _document(article: Article) -> dict[str, Any]:
    doc: dict[str, Any] = {"id": article.id, "title": article.title}
    if article.source is not None:
        doc["source"] = _fields(article.source, SOURCE_KEYS)
    doc["sections"] = [_fields(s, SECTION_KEYS) for s in article.sections]
    if article.related:
        doc["related"] = [_fields(r, RELATED_KEYS) for r in article.related]
    return doc


def article_to_yaml(article: Article) -> str:
    """The article as a YAML document, in a fixed key order and block style;
    ``article_from_yaml`` reads it back to an equal article."""
    return yaml.dump(_document(article), Dumper=DUMPER, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=_WIDTH)


def yaml_bytes_at_least(article: Article) -> int:
    """A lower bound of the UTF-8 size of ``article_to_yaml(article)``,
    without emitting it: every key and every character of every value is
    in the YAML (quotes, escapes, folds and indentation only add). Lets a
    far too large article be refused in milliseconds, where emitting and
    re-reading 60,000 sections costs 20 s and 500 MB."""
    def size(value: Any) -> int:
        if isinstance(value, dict):
            return sum(len(k) + size(v) for k, v in value.items())
        if isinstance(value, list):
            return sum(size(v) for v in value)
        return len(str(value).encode("utf-8"))
    return size(_document(article))
