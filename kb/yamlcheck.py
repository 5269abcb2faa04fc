"""Checking YAML a person wrote, node by node, with the line of every problem.

The files kb reads (articles, the synonyms list) are composed into PyYAML's
node tree rather than loaded as plain values: every node keeps its mark,
so a problem names the line of the key or value at fault. This module holds
what every such reader shares:

- ``composed``: the node tree of a document, syntax errors turned into
  ``ValidationError`` on the line to fix, and aliases refused (``*name``:
  a few hundred of them make a kilobyte file expand to gigabytes);
- ``NodeChecker``: reading scalars, mappings and text out of nodes while
  collecting problems, and saying what a wrong value is.

libyaml (``CSafeLoader``) is used when PyYAML has it — it composes several
times faster, which counts with thousands of articles — and PyYAML's
pure-Python loader otherwise; both give the same nodes and the same lines.
"""
from __future__ import annotations

import contextlib
import difflib
from typing import Any, Iterator

import yaml

from kb.errors import ValidationError

LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
STR_TAG = "tag:yaml.org,2002:str"
BAD = object()
"""A value YAML could not construct, already reported."""


def line(node: yaml.Node) -> int:
    """The 1-based line a node starts on (PyYAML's marks count from 0)."""
    return node.start_mark.line + 1


def a(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def syntax_error(exc: yaml.YAMLError, text: str, path: str) -> ValidationError:
    """A PyYAML error as one line naming the line to fix."""
    if isinstance(exc, yaml.reader.ReaderError):
        # libyaml reports a byte offset, PyYAML a character one: find the
        # character again so both name the same line.
        bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
        at = text.count("\n", 0, bad.start()) + 1 if bad else None
        char = f" {bad.group()!r}" if bad else ""
        return ValidationError(f"the file contains a control character{char} "
                               f"YAML does not allow", path, at)
    if isinstance(exc, yaml.MarkedYAMLError):
        what = exc.problem or "not valid YAML"
        mark, opened = exc.problem_mark, exc.context_mark
        context = f" ({exc.context})" if exc.context else ""
        at_end = mark is None or "end of stream" in what or \
            mark.index >= len(text.rstrip())
        if opened is not None and at_end:
            # A quote or bracket left open is found only at the end of the
            # file; the line that opened it is the one to fix.
            mark = opened
            context = f" ({exc.context}, started on this line)"
        elif opened is not None and exc.context and opened.line != mark.line:
            context = f" ({exc.context}, see line {opened.line + 1})"
        return ValidationError(f"YAML syntax error: {what}{context}", path,
                               mark.line + 1 if mark is not None else None)
    return ValidationError(f"YAML syntax error: {exc}", path)


def _has_shared_node(root: yaml.Node) -> bool:
    """Whether a node is reached twice: the composer gives an alias the
    very node its anchor names."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        node = todo.pop()
        if id(node) in seen:
            return True
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            todo.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                todo += (key, value)
    return False


def _alias_error(text: str, path: str) -> ValidationError:
    where, name = None, ""
    for event in yaml.parse(text, Loader=LOADER):
        if isinstance(event, yaml.AliasEvent):
            where, name = event.start_mark.line + 1, f" (*{event.anchor})"
            break
    return ValidationError(f"YAML aliases{name} are not accepted: write the text "
                           f"out in full where it belongs", path, where)


@contextlib.contextmanager
def composed(text: str, path: str) -> Iterator[tuple[Any, yaml.Node | None]]:
    """``(loader, root node)`` of a one-document YAML text (root None when
    the text holds no document). Raises ``ValidationError`` naming ``path``
    and the line for a syntax error, a second document or an alias. The
    loader constructs scalar values (``NodeChecker.scalar``) until the
    block ends."""
    try:
        # PyYAML's own reader checks the characters as it is made.
        loader = LOADER(text)
    except yaml.YAMLError as exc:
        raise syntax_error(exc, text, path) from None
    try:
        try:
            root = loader.get_single_node()
        except yaml.YAMLError as exc:
            raise syntax_error(exc, text, path) from None
        # An alias is written with '*': text without one has none to find.
        if root is not None and "*" in text and _has_shared_node(root):
            raise _alias_error(text, path)
        yield loader, root
    finally:
        loader.dispose()


def describe(node: yaml.Node, value: Any) -> str:
    """What a value is, as a person would say it in an error message."""
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if value is None:
        return "nothing"
    if isinstance(value, str) or value is BAD:
        return repr(node.value)
    if isinstance(value, bool):
        return f"{node.value} (read as true/false)"
    if isinstance(value, (int, float)):
        return f"{node.value} (a number)"
    return f"{node.value} (read as {type(value).__name__})"


class NodeChecker:
    """Reads values out of one document's nodes, collecting every problem
    (``errors``) rather than stopping at the first."""

    def __init__(self, loader: Any, path: str) -> None:
        self.loader = loader
        self.path = path
        self.errors: list[ValidationError] = []

    def fail(self, node: yaml.Node, message: str) -> None:
        self.errors.append(ValidationError(message, self.path, line(node)))

    def scalar(self, node: yaml.Node) -> Any:
        """The value of a scalar node (None for a list or mapping); BAD,
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
        return BAD

    def mapping(self, node: yaml.Node, where: str, keys: tuple[str, ...],
                required: tuple[str, ...]) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        """The mapping's entries by key, after reporting unknown, repeated
        and missing keys; None if the node is no mapping at all."""
        if not isinstance(node, yaml.MappingNode):
            self.fail(node, f"{where} must be a mapping of {', '.join(keys)}; "
                            f"got {describe(node, self.scalar(node))}")
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
                                    f"line {line(entries[key][0])})")
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
        if value is BAD:
            return None
        if not isinstance(value, str):
            hint = "; put it in quotes to keep it as text" if isinstance(node, yaml.ScalarNode) \
                and value is not None else ""
            self.fail(node, f"{where}: {key!r} must be text, got "
                            f"{describe(node, value)}{hint}")
            return None
        if not blank_ok and not value.strip():
            self.fail(node, f"{where}: {key!r} is blank; it needs some text")
            return None
        return value

    def sorted_errors(self) -> list[ValidationError]:
        """The problems as an editor reads the file: top to bottom."""
        return sorted(self.errors, key=lambda e: e.line or 0)
