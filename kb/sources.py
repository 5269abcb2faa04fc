"""The name a reader knows a source site by, from the address of a page.

Imported articles keep the page they came from (``Source.url``); where two
articles share a title, the site's name tells them apart. The sites
MedQuAD draws on have names readers know; any other site is named by its
host.
"""
from __future__ import annotations

# (host, path prefix, name): the first match wins, so a longer prefix of
# the same host comes first.
KNOWN_SITES = (
    ("www.nlm.nih.gov", "/medlineplus/ency/", "MedlinePlus Encyclopedia"),
    ("www.nlm.nih.gov", "/medlineplus/druginfo/meds/", "MedlinePlus Drugs"),
    ("www.nlm.nih.gov", "/medlineplus/druginfo/natural/", "MedlinePlus Herbs and Supplements"),
    ("www.nlm.nih.gov", "/medlineplus/", "MedlinePlus"),
    ("medlineplus.gov", "/ency/", "MedlinePlus Encyclopedia"),
    ("medlineplus.gov", "/", "MedlinePlus"),
    ("ghr.nlm.nih.gov", "/", "Genetics Home Reference"),
    ("rarediseases.info.nih.gov", "/", "Genetic and Rare Diseases Information Center"),
    ("www.cancer.gov", "/", "National Cancer Institute"),
    ("www.ninds.nih.gov", "/", "National Institute of Neurological Disorders and Stroke"),
    ("www.niddk.nih.gov", "/", "National Institute of Diabetes and Digestive and Kidney Diseases"),
    ("www.nhlbi.nih.gov", "/", "National Heart, Lung, and Blood Institute"),
    ("nihseniorhealth.gov", "/", "NIHSeniorHealth"),
    ("www.cdc.gov", "/", "Centers for Disease Control and Prevention"),
)


def source_name(url: str | None) -> str | None:
    """The site's name for a known site, else its host without "www."
    (None for no address or one without a host)."""
    host, path = _host_and_path(url or "")
    if not host:
        return None
    for known_host, prefix, name in KNOWN_SITES:
        if host == known_host and path.startswith(prefix):
            return name
    return host.removeprefix("www.")


def page_address(url: str) -> str:
    """A page's address as a reader reads it: host and path, no scheme,
    no "www.", no trailing slash."""
    host, path = _host_and_path(url)
    return (host.removeprefix("www.") + path).rstrip("/")


def _host_and_path(url: str) -> tuple[str, str]:
    """The lower-case host and the path of an http(s) address ("" for
    another). urlsplit's general parse costs ten times more, and lists
    name thousands of addresses."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower() not in ("http", "https"):
        return "", ""
    netloc, slash, path = rest.partition("/")
    for end in "?#":
        netloc = netloc.partition(end)[0]
        path = path.partition(end)[0]
    host = netloc.rpartition("@")[2].partition(":")[0].lower()
    return host, slash + path or "/"
