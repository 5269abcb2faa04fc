"""The editor-managed synonyms list: readers' words <-> the articles' words.

``synonyms.yaml`` sits in the knowledge-base folder (the name is reserved:
it is never an article) and holds groups of interchangeable terms::

    groups:
      - [tingling, pins and needles, paresthesia]
      - [obesity, obese, overweight]

A term may belong to several groups; looking it up gives the union of its
groups. Within one group a term may appear only once (after normalising,
and counting a hyphen as a space: "x-ray" and "x ray" are one term to the
search, which splits words at hyphens); every term starts and ends with a
letter or digit and otherwise holds only letters, digits, spaces, hyphens
and apostrophes; a group has at least two and at most
:data:`MAX_GROUP_TERMS` terms.

The search applies the list at query time, so an edit takes effect without
a rebuild. :class:`SynonymsCache` makes that cheap: it re-reads the file
only when it changes, in a thread of its own while searches go on with the
previous list, and if an edit breaks the file it keeps serving the last
good list and reports the error, so a typo never takes search down.
"""
from __future__ import annotations

import functools
import logging
import os
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from kb.errors import KBError, ValidationError
from kb.files import FileStamp, decode_utf8, read_bytes, stamp_or_none
from kb.yamlcheck import STR_TAG, composed, line

SYNONYMS_FILE = "synonyms.yaml"

# Far more than any hand-kept list needs; a bigger file is a mistake, and
# refusing it by size keeps a stray paste from stalling every search.
MAX_BYTES = 2 * 1024 * 1024
# Interchangeable terms come in handfuls (the bundled list's largest group
# has 10); a group of hundreds is a paste gone wrong, and every one of its
# terms would join the query of a reader who types any other.
MAX_GROUP_TERMS = 100

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
# Letters and digits of any script, plus space, hyphen and apostrophe.
_TERM = re.compile(r"[^\W_](?:[^\W_]|[ '-])*")
_ENDS_WELL = re.compile(r"[^\W_]")
_WORD_BREAK = re.compile(r"[ -]+")
_EXAMPLE = "[tingling, pins and needles]"

log = logging.getLogger(__name__)


# The list kb ships with, in force for a knowledge base that has none.
BUNDLED_SYNONYMS = Path(__file__).parent / "articles" / SYNONYMS_FILE


def synonyms_path(kb_dir: Path) -> Path:
    """The synonyms list in force for a knowledge base: its own
    ``synonyms.yaml``, or else the bundled list."""
    own = Path(kb_dir) / SYNONYMS_FILE
    return own if own.exists() else BUNDLED_SYNONYMS


def term_form(phrase: str) -> str:
    """The form terms are kept and looked up in: lower case, single spaces,
    straight apostrophes ("Pins  and\nNeedles" -> "pins and needles")."""
    text = unicodedata.normalize("NFC", phrase).translate(_APOSTROPHES)
    return " ".join(text.lower().split())


def _match_key(phrase: str) -> str:
    # Searches split words at hyphens, so "light-headed" reaches lookup as
    # "light headed"; both spellings must find the same group.
    return " ".join(_WORD_BREAK.split(term_form(phrase))).strip()


@dataclass(frozen=True)
class Synonyms:
    """Groups of interchangeable, normalised terms.

    Built in time linear in the number of terms: each term's key maps to
    the groups that hold it, and a lookup joins those groups then (a table
    of every term's partners would be quadratic in a group's size).
    """
    groups: tuple[tuple[str, ...], ...] = ()
    _keys: tuple[tuple[str, ...], ...] = field(
        init=False, repr=False, compare=False)
    _groups_of: dict[str, tuple[int, ...]] = field(
        init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        keys = tuple(tuple(_match_key(t) for t in group) for group in self.groups)
        groups_of: dict[str, dict[int, None]] = {}
        for number, group_keys in enumerate(keys):
            for key in group_keys:
                groups_of.setdefault(key, {})[number] = None
        object.__setattr__(self, "_keys", keys)
        object.__setattr__(
            self, "_groups_of", {k: tuple(g) for k, g in groups_of.items()})

    @classmethod
    def empty(cls) -> Synonyms:
        return cls(())

    def lookup(self, phrase: str) -> tuple[str, ...]:
        """The other terms equivalent to ``phrase``, in list order; () if
        the phrase is in no group. Case, spacing, curly apostrophes and
        hyphen-or-space do not matter."""
        key = _match_key(phrase)
        # A dict keeps first-seen order and drops repeats.
        others = dict.fromkeys(
            term for number in self._groups_of.get(key, ())
            for term, term_key in zip(self.groups[number], self._keys[number])
            if term_key != key)
        return tuple(others)

    def terms(self) -> tuple[str, ...]:
        """Every term once, as written, in list order."""
        return tuple(dict.fromkeys(t for group in self.groups for t in group))

    @functools.cached_property
    def max_words(self) -> int:
        """Words in the longest term, hyphen parts counted (0 when empty):
        how far ahead a search must look to match a phrase."""
        return max((len(key.split()) for key in self._groups_of), default=0)

    def __len__(self) -> int:
        return len(self.groups)


def load_synonyms(path: Path) -> Synonyms:
    """Read and check a synonyms file; a missing file is an empty list.

    Raises :class:`ValidationError` (with the 1-based line of the offending
    entry) for a file that breaks the rules, :class:`InputError` for one
    that cannot be read: too large, not UTF-8, a folder.
    """
    path = Path(path)
    if not os.path.lexists(path):
        return Synonyms.empty()
    text = decode_utf8(read_bytes(path, max_bytes=MAX_BYTES), path)
    return Synonyms(_read_groups(text, path))


def check_synonyms(path: Path) -> tuple[Synonyms | None, list[KBError]]:
    """The synonyms file checked whole, as `kb check` reports it: the list
    (None when it has problems) and every problem, each group's with its
    line (``load_synonyms`` stops at the first)."""
    path = Path(path)
    problems: list[KBError] = []
    try:
        if not os.path.lexists(path):
            return Synonyms.empty(), problems
        text = decode_utf8(read_bytes(path, max_bytes=MAX_BYTES), path)
        groups = _read_groups(text, path, problems)
    except KBError as exc:
        return None, [exc, *problems]
    return (None if problems else Synonyms(groups)), problems


def _read_groups(text: str, path: Path,
                 problems: list[KBError] | None = None) -> tuple[tuple[str, ...], ...]:
    with composed(text, str(path)) as (_, root):
        return _check_groups(root, path, problems)


def _check_groups(root: yaml.Node | None, path: Path,
                  problems: list[KBError] | None = None) -> tuple[tuple[str, ...], ...]:
    """The groups of the file's YAML; a group that breaks the rules raises,
    or, given ``problems``, is added to them and left out."""
    shape = f"expected a mapping with a 'groups' list, like:\ngroups:\n  - {_EXAMPLE}"
    if root is None:
        raise ValidationError(shape, path, 1)
    if not isinstance(root, yaml.MappingNode):
        raise ValidationError(shape, path, line(root))
    groups_node = None
    for key, value in root.value:
        if not (isinstance(key, yaml.ScalarNode) and key.value == "groups"):
            raise ValidationError(
                f"unknown key {key.value!r}: the only key is 'groups'",
                path, line(key))
        if groups_node is not None:
            raise ValidationError("'groups' given twice", path, line(key))
        groups_node = value
    if groups_node is None:
        raise ValidationError(shape, path, line(root))
    if not isinstance(groups_node, yaml.SequenceNode):
        raise ValidationError(f"'groups' must be a list of groups, each like {_EXAMPLE}",
                              path, line(groups_node))
    groups = []
    for node in groups_node.value:
        try:
            groups.append(_read_group(node, path))
        except ValidationError as exc:
            if problems is None:
                raise
            problems.append(exc)
    return tuple(groups)


def _read_group(node: yaml.Node, path: Path) -> tuple[str, ...]:
    if not isinstance(node, yaml.SequenceNode):
        raise ValidationError(f"a group must be a list of terms, like {_EXAMPLE}",
                              path, line(node))
    terms: dict[str, str] = {}
    for term_node in node.value:
        term = _read_term(term_node, path)
        key = _match_key(term)
        if key in terms:
            same = "" if terms[key] == term else f" (as {terms[key]!r}; a hyphen counts as a space)"
            raise ValidationError(f"{term!r} is twice in this group{same}",
                                  path, line(term_node))
        terms[key] = term
        if len(terms) > MAX_GROUP_TERMS:
            raise ValidationError(
                f"a group holds at most {MAX_GROUP_TERMS} terms: split it into "
                "groups of terms a reader would really swap for each other",
                path, line(node))
    if len(terms) < 2:
        raise ValidationError("a group needs at least two terms", path, line(node))
    return tuple(terms.values())


def _read_term(node: yaml.Node, path: Path) -> str:
    if not (isinstance(node, yaml.ScalarNode) and node.tag == STR_TAG):
        shown = node.value if isinstance(node, yaml.ScalarNode) else "a list or mapping"
        raise ValidationError(
            f"a term must be text, not {shown!r} (put a plain word or phrase, "
            "in quotes if YAML reads it as a number, yes/no or null)",
            path, line(node))
    term = term_form(node.value)
    if not term:
        raise ValidationError("empty term", path, line(node))
    if not (_TERM.fullmatch(term) and _ENDS_WELL.match(term[-1])):
        raise ValidationError(
            f"{term!r}: a term holds letters, digits, spaces, hyphens and "
            "apostrophes, and starts and ends with a letter or digit",
            path, line(node))
    return term


class SynonymsCache:
    """The synonyms list of one file, re-read only when the file changes.

    A change is a new (mtime_ns, size, inode), so an edit in place and an
    editor's save-by-rename both count. :meth:`get` never waits for a
    re-read: it starts one in a thread of its own and returns the list in
    force until the new one is loaded, so a large or slow file never holds
    up a search. Only the very first :meth:`get` reads the file itself
    (there is no earlier list to serve). If the changed file is broken, the
    last good list stays (empty if there never was one), :attr:`error`
    holds the problem and it is logged once. A deleted file means no
    synonyms. Safe to share between threads.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.error: KBError | None = None
        self._synonyms = Synonyms.empty()
        self._stamp: FileStamp | None = None
        self._loaded = False
        self._loader: threading.Thread | None = None
        self._lock = threading.Lock()
        self._first = threading.Lock()

    def get(self) -> Synonyms:
        """The list in force, a re-read started if the file changed."""
        if not self._loaded:
            with self._first:
                if not self._loaded:
                    self._load(stamp_or_none(self.path))
            return self._synonyms
        stamp = stamp_or_none(self.path)
        with self._lock:
            if stamp != self._stamp and not self._loading():
                self._loader = threading.Thread(
                    target=self._load, args=(stamp,),
                    name="synonyms-reload", daemon=True)
                self._loader.start()
            return self._synonyms

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a re-read in progress (for tests and tools)."""
        loader = self._loader
        if loader is not None:
            loader.join(timeout)

    def _loading(self) -> bool:
        # is_alive, not a flag: a worker forked mid-load has no such thread.
        return self._loader is not None and self._loader.is_alive()

    def _load(self, stamp: FileStamp | None) -> None:
        # The stamp taken before the read: an edit landing during it changes
        # the stamp again, and the next get() reads the file once more.
        try:
            synonyms, error = load_synonyms(self.path), None
        except KBError as exc:
            synonyms, error = None, exc
            log.warning("%s (still using the previous synonyms)", exc)
        with self._lock:
            if synonyms is not None:
                self._synonyms = synonyms
            self.error = error
            self._stamp = stamp
            self._loaded = True


_caches: dict[Path, SynonymsCache] = {}
_caches_lock = threading.Lock()


def synonyms_cache(path: Path) -> SynonymsCache:
    """The one cache of ``path`` in this process."""
    key = Path(os.path.abspath(path))
    with _caches_lock:
        return _caches.setdefault(key, SynonymsCache(key))


def cached_synonyms(path: Path) -> Synonyms:
    """:meth:`SynonymsCache.get` for ``path``, one cache per file per process."""
    return synonyms_cache(path).get()
