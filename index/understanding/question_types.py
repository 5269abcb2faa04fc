"""What kind of answer a query asks for, read from the reader's own words.

Health questions come in a few kinds — what a condition is, its symptoms,
causes, treatment, whether it is inherited — and MedQuAD labels each of its
questions with one (``qtype``). A query that asks for a kind ("signs of…",
"how is … treated", "will my kids get it") prefers passages of that kind on
the right topic; a query that asks for none changes nothing. The cues are
everyday phrasings, not MedQuAD's own templates.
"""
from __future__ import annotations

import re

# qtype -> cues (regular expressions over the lower-cased query).
_CUES: dict[str, tuple[str, ...]] = {
    "symptoms": (r"\bsymptom", r"\bsigns?\b", r"\bhow (do|can|would) (i|you|we) (know|tell)\b",
                 r"\bfeel(s)? like\b", r"\blook(s)? like\b", r"\bwhat (happens|to expect)\b",
                 r"\bshould (we|i) expect\b"),
    "causes": (r"\bcaus", r"\bwhy (do|does|did|am|is|are)\b", r"\bwhat makes\b", r"\breasons?\b",
               r"\btrigger", r"\bcontagious\b", r"\bspread", r"\bcatch\b"),
    "genetic changes": (r"\bgenes?\b", r"\bgenetic (change|cause|mutation)", r"\bmutat",
                        r"\bchromosom"),
    "treatment": (r"\btreat", r"\bcur(e|es|ed|ing)\b", r"\btherap", r"\bmedicines?\b",
                  r"\bmedications?\b", r"\bdrugs? for\b", r"\bget rid\b", r"\bremed",
                  r"\bmanag(e|ed|ing|ement)\b", r"\bsurgery\b", r"\bwhat helps\b",
                  r"\bhelps?\b.*\b(attacks?|pain|symptoms)\b"),
    "inheritance": (r"\binherit", r"\bheredit", r"\bruns? in (the |my |our )?famil",
                    r"\bpass(ed)? (it |this |\w+ )?(on|down)\b", r"\b(kids|children|baby|son|"
                    r"daughter)\b.*\b(get|have) it\b", r"\bcarriers?\b", r"\bnext baby\b",
                    r"\bgenetic\b"),
    "exams and tests": (r"\btests?\b", r"\btesting\b", r"\bdiagnos", r"\bscreen",
                        r"\bfind out if\b", r"\bcheck(ed)? for\b", r"\bdetect"),
    "outlook": (r"\boutlook\b", r"\bprognos", r"\blife expectancy\b", r"\bsurviv",
                r"\bhow long\b.*\blive\b", r"\b(die|dying) (of|from)\b", r"\bfatal\b",
                r"\bdeadly\b", r"\bgo away\b", r"\brecover", r"\bget better\b"),
    "prevention": (r"\bprevent", r"\bavoid", r"\bprotect", r"\blower (my |the )?risk\b",
                   r"\breduce (my |the )?risk\b", r"\bvaccin"),
    "frequency": (r"\bhow (common|rare|many people|often)\b", r"\bprevalen"),
    "complications": (r"\bcomplication", r"\blong[- ]term\b", r"\blead to\b"),
    "susceptibility": (r"\bat risk\b", r"\bwho (gets|is likely|can get)\b", r"\brisk factor",
                       r"\bmore likely\b"),
    "side effects": (r"\bside[- ]effects?\b", r"\badverse\b"),
    "research": (r"\bresearch", r"\bclinical trials?\b", r"\bstud(y|ies)\b",
                 r"\bscientists?\b", r"\bnew treatments?\b"),
    "support groups": (r"\bsupport groups?\b", r"\bother families\b", r"\borgani[sz]ations?\b"),
    "when to contact a medical professional": (r"\bwhen (to|should (i|we)) (see|call)\b",
                                               r"\bsee a doctor\b", r"\bcall (a|the|my) doctor\b"),
    "dietary": (r"\bdiet\b", r"\bfoods?\b", r"\beat\b"),
    "stages": (r"\bstages?\b",),
    "usage": (r"\bhow (do i|to|should i) (take|use)\b",),
    "dose": (r"\bdos(e|es|age)\b", r"\bhow much\b"),
    "storage and disposal": (r"\bstor(e|age)\b", r"\bdispos",),
    "emergency or overdose": (r"\boverdos",),
    "forget a dose": (r"\b(forget|forgot|miss(ed)?) (a |my )?dose\b",),
    "information": (r"^what (is|are)\b", r"\bwhat (is|are) (it|this|that)\b",
                    r"\bexplain\b", r"\bwhat does .* mean\b"),
}
_COMPILED = {qtype: tuple(re.compile(c) for c in cues) for qtype, cues in _CUES.items()}
# MedQuAD files "what causes X" under causes or genetic changes alike.
_ALSO = {"causes": ("genetic changes",), "genetic changes": ("causes",)}


def asked_types(query: str) -> frozenset[str]:
    """The question types ``query`` asks for (empty when it asks none)."""
    text = query.lower().replace("’", "'")
    found = {qtype for qtype, cues in _COMPILED.items() if any(c.search(text) for c in cues)}
    for qtype in list(found):
        found.update(_ALSO.get(qtype, ()))
    return frozenset(found)
