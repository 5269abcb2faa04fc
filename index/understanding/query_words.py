"""Words of a reader's message that name no topic.

A query is a topic, a question about it and, in a longer message, the
story around it. The question's template ("what are", "is there",
"information about", "could you tell me") and the story ("my son", "thank
you", "I am 45", "last year") match thousands of passages and say nothing
about which one answers: they weigh little in the word search and its
coverage (index/understanding/query_plan.py), while the embedding model still reads the
whole text. Stop words (index/understanding/analysis.py) are already left out; these are
the rest.
"""
from __future__ import annotations

import re

TEMPLATE_WORDS = frozenset("""
what whats how why when where which who whom whose can could would should will shall
may might must tell know knowing want wanted wants wonder wondering wondered please
thanks thank explain explained information info question questions anyone someone
somebody anything something hi hello dear get gets got getting go goes going need
needs like really ever much many lot lots kind sort thing things way ways mean means
still just etc ok okay yes no not any there regard regarding concerning learn read
more mostly possible possibly exactly actually basically probably maybe help helpful
advice appreciate appreciated answer answers look looking find finding hear heard
""".split())

BACKGROUND_WORDS = frozenset("""
son sons daughter daughters child children kid kids mom mum mother dad father parent
parents wife husband brother sister brothers sisters grandmother grandfather grandma
grandpa grandson granddaughter family friend friends aunt uncle cousin niece nephew
boyfriend girlfriend partner spouse boy girl toddler teen teenager
year years old age aged month months week weeks day days ago recently recent last
since lately now today yesterday tomorrow soon already
told tell says said say saw seen noticed think thought feel felt worried worry
scared afraid concerned nervous confused sure unsure
i'm im he's she's we're they're i've we've ive
doctor doctors doc pediatrician gp nurse appointment visit
diagnosed born
""".split())

_NUMBER = re.compile(r"^\d+$")


def is_template(word: str) -> bool:
    """A word of the question's form ("what", "tell", "information")."""
    return word.lower().replace("’", "'") in TEMPLATE_WORDS


def is_background(word: str) -> bool:
    """A word of the story around a question ("son", "years", "45")."""
    word = word.lower().replace("’", "'")
    return word in BACKGROUND_WORDS or bool(_NUMBER.match(word))


def names_no_topic(word: str) -> bool:
    return is_template(word) or is_background(word)
