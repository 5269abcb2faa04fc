"""Who publishes a page, named the way a reader knows them.

MedQuAD's answers come from twelve NIH websites; a result names its source
("Read the answer at MedlinePlus", "also at: GARD") by the address of the
page it came from. Unknown hosts are named by their host name.
"""
from __future__ import annotations

from urllib.parse import urlsplit

# (host suffix, path prefix, name): the first match wins, so the more
# specific entries come first.
_PUBLISHERS = (
    ("nlm.nih.gov", "/medlineplus", "MedlinePlus"),
    ("medlineplus.gov", "", "MedlinePlus"),
    ("ghr.nlm.nih.gov", "", "Genetics Home Reference"),
    ("rarediseases.info.nih.gov", "", "GARD"),
    ("cancer.gov", "", "National Cancer Institute"),
    ("niddk.nih.gov", "", "NIDDK"),
    ("ninds.nih.gov", "", "NINDS"),
    ("nhlbi.nih.gov", "", "NHLBI"),
    ("cdc.gov", "", "CDC"),
    ("nihseniorhealth.gov", "", "NIHSeniorHealth"),
    ("nia.nih.gov", "", "National Institute on Aging"),
)


def publisher(url: str | None) -> str | None:
    """The name of who publishes ``url``, or None for no (or no web) address."""
    if not url:
        return None
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    if parts.scheme not in ("http", "https") or not host:
        return None
    for suffix, path, name in _PUBLISHERS:
        if (host == suffix or host.endswith("." + suffix)) and parts.path.startswith(path):
            return name
    return host
