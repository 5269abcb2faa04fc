"""What kind of answer a query asks for, read from the reader's own words.

Health questions come in a few kinds — what a condition is, its symptoms,
causes, treatment, whether it is inherited — and MedQuAD labels each of its
questions with one (``qtype``). A query that asks for a kind ("signs of…",
"how is … treated", "will my kids get it") prefers passages of that kind on
the right topic; a query that asks for none changes nothing. The cues are
everyday phrasings, not MedQuAD's own templates.

The reader's kinds (READER_TYPES) are fewer than MedQuAD's 39 labels:
``ANSWERED_BY`` names the labels that answer each ("what causes it" is
answered by MedQuAD's causes and its genetic changes alike; "can I take it
with…" by a drug's interactions and its precautions). A specific kind wins
over the general ones: "what are the symptoms of X" asks for symptoms, not
for what X is.
"""
from __future__ import annotations

import re

# The kinds that ask for something specific about a topic: reader type ->
# cues (regular expressions over the lower-cased query).
_SPECIFIC: dict[str, tuple[str, ...]] = {
    "symptoms": (r"\bsymptom", r"\bsigns?\b", r"\bhow (do|can|would) (i|you|we) (know|tell)\b",
                 r"\bfeel(s)? like\b", r"\blook(s)? like\b", r"\bwhat (happens|to expect)\b",
                 r"\bshould (we|i) expect\b", r"\bwarning signs\b"),
    "causes": (r"\bcaus", r"\bwhy (do|does|did|am|is|are)\b", r"\bwhat makes\b", r"\breasons?\b",
               r"\btrigger", r"\bcontagious\b", r"\bspread", r"\bcatch\b", r"\bgenes?\b",
               r"\bgenetic (change|cause|mutation|basis)", r"\bmutat", r"\bchromosom"),
    "treatment": (r"\btreat", r"\bcur(e|es|ed|ing)\b", r"\btherap", r"\bmedicines?\b",
                  r"\bmedications?\b", r"\bdrugs? for\b", r"\bget rid\b", r"\bremed",
                  r"\bmanag(e|ed|ing|ement)\b", r"\bsurgery\b", r"\bwhat helps\b",
                  r"\bhelps?\b.*\b(attacks?|pain|symptoms)\b"),
    "inheritance": (r"\binherit", r"\bheredit", r"\bruns? in (the |my |our )?famil",
                    r"\bpass(ed|ing)? (it |this |\w+ )?(on|down)\b",
                    r"\b(kids|children|baby|son|daughter)\b.*\b(get|have|has) it\b",
                    r"\bcarriers?\b", r"\bnext (baby|child)\b", r"\bgenetic\b(?! test)",
                    r"\bin the family\b"),
    "tests": (r"\btests?\b", r"\btesting\b", r"\bdiagnos(?!ed (with|as|at|in|last|when|a))",
              r"\bscreen",
              r"\bfind out if\b", r"\bcheck(ed)? for\b", r"\bdetect", r"\bconfirm"),
    "outlook": (r"\boutlook\b", r"\bprognos", r"\blife expectancy\b", r"\bsurviv",
                r"\bhow long\b.*\blive\b", r"\b(die|dying) (of|from)\b", r"\bfatal\b",
                r"\bdeadly\b", r"\bgo away\b", r"\brecover", r"\bget better\b",
                r"\bwhat happens to\b", r"\bstages?\b", r"\bfuture\b"),
    "prevention": (r"\bprevent", r"\bavoid", r"\bprotect", r"\blower (my |the )?risk\b",
                   r"\breduce (my |the )?risk\b", r"\bvaccin", r"\bstop (it|\w+) from\b"),
    "how common": (r"\bhow (common|rare|many people|many kids|many children|often|frequent)\b",
                   r"\bprevalen", r"\bis (it|this|\w+) (common|rare)\b", r"\bincidence\b",
                   r"\bhow many (are|is|have)\b"),
    "who gets it": (r"\bat risk\b", r"\bwho (gets|is likely|can get|is affected|develops)\b",
                    r"\brisk factor", r"\bmore likely\b", r"\b(am i|are we) likely\b",
                    r"\bwho is at\b", r"\bchances? of getting\b"),
    "complications": (r"\bcomplication", r"\blong[- ]term (effects?|problems?)\b",
                      r"\blead to\b", r"\bother (health )?problems\b",
                      r"\bwhat (else )?can (it|\w+) cause\b", r"\bdamage\b"),
    "side effects": (r"\bside[- ]effects?\b", r"\badverse\b", r"\breactions?\b"),
    "interactions": (r"\binteract", r"\bmix(ed|ing)?\b", r"\btogether with\b",
                     r"\btake (it|\w+) with\b", r"\bcombin(e|ed|ing)\b", r"\bat the same time\b"),
    "storage": (r"\bstor(e|ed|ing|age)\b", r"\bdispos", r"\bfridge\b", r"\brefrigerat",
                r"\bthrow (it |\w+ )?away\b", r"\bexpired\b", r"\bkeep (it|my|the) \w*\s?(in|at|cold)\b",
                r"\broom temperature\b"),
    "use": (r"\bhow (do i|to|should i) (take|use)\b", r"\bwhen (do i|to|should i) take\b",
            r"\bdos(e|es|age)\b", r"\bhow much\b", r"\b(forget|forgot|miss(ed)?) (a |my )?dose\b",
            r"\boverdos", r"\bwith food\b", r"\bempty stomach\b"),
    "research": (r"\bresearch", r"\bclinical trials?\b", r"\bstud(y|ies)\b",
                 r"\bscientists?\b", r"\bnew treatments?\b"),
    "support": (r"\bsupport groups?\b", r"\bother families\b", r"\borgani[sz]ations?\b"),
    "see a doctor": (r"\bwhen (to|should (i|we)) (see|call)\b", r"\bsee a doctor\b",
                     r"\bcall (a|the|my) doctor\b", r"\bemergency\b"),
    "diet": (r"\bdiet\b", r"\bfoods?\b", r"\beat(ing)?\b", r"\bnutrition"),
}
# The general kinds, asked only when no specific kind is.
_GENERAL: dict[str, tuple[str, ...]] = {
    "what it is": (r"^(so )?what(?:'s| is| are)\b", r"\bwhat (is|are) (it|this|that)\b",
                   r"\bexplain\b", r"\bwhat does .* mean\b", r"\bdefin", r"\bmeaning of\b",
                   r"\bwhat (kind|type|sort) of\b", r"\bis (it|this|\w+) (a|an) \w+\b",
                   r"\bwhat exactly\b", r"\bnever heard of\b"),
    "overview": (r"\btell me (about|more)\b", r"\binformation (about|on)\b",
                 r"\binfo (about|on)\b", r"\boverview\b", r"\blearn (more )?about\b",
                 r"\bknow (more )?about\b", r"\bfacts (about|on)\b", r"\beverything about\b",
                 r"\bread (up )?(about|on)\b"),
}

# Reader type -> the MedQuAD labels (qtype) that answer it.
ANSWERED_BY: dict[str, tuple[str, ...]] = {
    "what it is": ("information",),
    "overview": ("information",),
    "symptoms": ("symptoms",),
    "causes": ("causes", "genetic changes"),
    "treatment": ("treatment",),
    "prevention": ("prevention",),
    "outlook": ("outlook", "stages"),
    "how common": ("frequency",),
    "who gets it": ("susceptibility", "frequency"),
    "inheritance": ("inheritance",),
    "tests": ("exams and tests",),
    "complications": ("complications",),
    "side effects": ("side effects", "severe reaction"),
    "interactions": ("interactions with medications", "interactions with herbs and supplements",
                     "interactions with foods", "precautions"),
    "storage": ("storage and disposal",),
    "use": ("usage", "dose", "forget a dose", "emergency or overdose"),
    "research": ("research",),
    "support": ("support groups",),
    "see a doctor": ("when to contact a medical professional",),
    "diet": ("dietary",),
}
READER_TYPES = tuple(ANSWERED_BY)
# Every MedQuAD label the reader's types cover, mapped back to its type.
READER_TYPE_OF: dict[str, str] = {}
for _reader_type, _labels in ANSWERED_BY.items():
    for _label in _labels:
        READER_TYPE_OF.setdefault(_label, _reader_type)

_COMPILED = {kind: tuple(re.compile(c) for c in cues)
             for kind, cues in (_SPECIFIC | _GENERAL).items()}


def asked_types(query: str) -> frozenset[str]:
    """The reader's question types ``query`` asks for (READER_TYPES; empty
    when it asks none). A specific kind leaves out the general ones."""
    text = query.lower().replace("’", "'")
    found = {kind for kind in _SPECIFIC if any(c.search(text) for c in _COMPILED[kind])}
    if not found:
        found = {kind for kind in _GENERAL if any(c.search(text) for c in _COMPILED[kind])}
    return frozenset(found)


def answering_qtypes(types: frozenset[str] | set[str]) -> frozenset[str]:
    """The MedQuAD labels (``qtype``) that answer any of the reader's ``types``."""
    return frozenset(label for kind in types for label in ANSWERED_BY.get(kind, ()))


def cue_words(query: str) -> set[str]:
    """The words of ``query`` (lower case) that ask for a kind of answer:
    they do not name a topic ("genes" asks what causes it)."""
    text = query.lower().replace("’", "'")
    found = set()
    for patterns in _COMPILED.values():
        for c in patterns:
            for m in c.finditer(text):
                words = re.findall(r"\w+", m.group())
                # A cue of words far apart ("kids ... get it") asks with its
                # ends, not with the words between them.
                found.update(words if len(words) <= 4 else words[:1] + words[-2:])
    return found
