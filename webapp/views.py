"""The pages: home, search results (and their live fragment), the article
list, one article."""
from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Blueprint, abort, render_template, request
from markupsafe import Markup

from index import MAX_QUERY_CHARS, SearchResponse, clean_query, mark
from kb.article import Article
from kb.sources import source_name
from webapp import catalog, params, present, querylog, results_page, urls
from webapp.articles import get_articles
from webapp.examples import example_queries
from webapp.search import get_snapshot

bp = Blueprint("pages", __name__)

# A results page shows this many articles, each with at most PER_ARTICLE of
# its best passages (the API's ranking stays flat unless asked).
PER_PAGE = 10
PER_ARTICLE = 3
# How many searches the no-results state offers before "all articles".
EMPTY_STATE_SEARCHES = 8
# Filters shown at most (the most frequent of the query's matches).
MAX_FILTERS = 8
# How a reader names each kind of passage or question type.
FILTER_LABELS = {"fact": "Facts", "question": "Questions", "intro": "Introductions",
                 "conclusion": "Summaries", "exams and tests": "Tests and diagnosis",
                 "information": "What it is", "when to contact a medical professional":
                 "When to see a doctor", "genetic changes": "Genes",
                 "other information": "Other information"}


@bp.app_context_processor
def _template_globals() -> dict:
    return {"max_query_chars": MAX_QUERY_CHARS, "per_article": PER_ARTICLE,
            "article_url": urls.article_url, "search_url": urls.search_url,
            "topic_url": urls.topic_url, "message": present.message,
            "filter_label": filter_label}


def filter_label(value: str) -> str:
    return FILTER_LABELS.get(value, value[:1].upper() + value[1:])


@bp.app_template_filter("marked_html")
def marked_html(marked) -> Markup:
    return present.marked_html(marked)


@bp.app_template_global()
def external_url(url: str | None) -> str | None:
    """``url`` if it is safe to link to (http or https), else None, so an
    article file cannot smuggle in a javascript: link."""
    if url and urlsplit(url).scheme in ("http", "https"):
        return url
    return None


@bp.app_template_global()
def host_of(url: str) -> str:
    return urlsplit(url).hostname or url


@bp.app_template_global()
def publisher(url: str) -> str:
    """Who publishes ``url``, by the name readers know ("MedlinePlus")."""
    return source_name(url) or host_of(url)


def page_numbers(page: int, last: int, around: int = 2) -> list[int | None]:
    """Page links to show: the first, the last and ``around`` each side of
    ``page``; None marks a gap."""
    shown = sorted({1, last, *range(max(1, page - around), min(last, page + around) + 1)})
    out: list[int | None] = []
    for n in shown:
        if out and n - out[-1] > 1:
            out.append(None)
        out.append(n)
    return out


def _results_context(args=None) -> dict:
    """What the results area shows for a query (the request's, unless
    ``args`` are given), searched once."""
    snapshot = get_snapshot()
    qtypes = {value for field, value, _ in snapshot.filters() if field == "qtype"}
    search_request = params.page_request(args or request.args, PER_PAGE, PER_ARTICLE, qtypes)
    response: SearchResponse = results_page.grouped(snapshot, search_request)
    shown = [*response.passages, *([response.topic.definition]
                                    if response.topic and response.topic.definition else [])]
    credits = {hit.credit: external_url(hit.credit_url) for hit in shown if hit.credit}
    active = search_request.qtype or search_request.kind
    return {
        "response": response, "kind": search_request.kind, "qtype": search_request.qtype,
        "filters": _offered_filters(response, active),
        "link_query": response.corrected if response.correction_applied else response.query,
        "pages": page_numbers(response.page, response.last_page), "credits": credits,
        # Only for the no-results state.
        "instead": [] if response.groups else searches_instead(snapshot, response.query),
    }


def searches_instead(snapshot, query: str) -> list[str]:
    """Searches to try instead of one that found nothing: the titles and
    headings what was typed begins, then the topics most articles share."""
    typed = snapshot.suggest(query, limit=EMPTY_STATE_SEARCHES) if query.strip() else []
    shared = snapshot.suggest("", limit=EMPTY_STATE_SEARCHES)
    return list(dict.fromkeys(s.text for s in [*typed, *shared]))[:EMPTY_STATE_SEARCHES]


def _offered_filters(response: SearchResponse, active: str | None) -> list[tuple[str, str, int]]:
    """The filters worth offering: what the query matches, most frequent
    first, the active one always; none when there is nothing to tell apart."""
    offered = [f for f in response.facets if f[1] != "transition"][:MAX_FILTERS]
    if active and not any(value == active for _, value, _ in offered):
        offered += [f for f in response.facets if f[1] == active]
    return offered if len(offered) > 1 or active else []


@bp.get("/")
def home():
    return render_template("search.html", response=None, kind=None, qtype=None,
                           examples=example_queries(), instead=[])


@bp.get("/search")
def search():
    context = _results_context()
    querylog.record(context["response"])  # the editors' query log (kb report)
    return render_template("search.html", examples=example_queries(), **context)


@bp.get("/search/results")
def search_results():
    """The results area of /search alone: what live search shows as the
    reader types, from the same template as the page (``partial=1``: the
    last word may be half typed, see params.typed_so_far)."""
    snapshot = get_snapshot()
    args = params.typed_so_far(request.args, snapshot.knows, snapshot.begins_a_word)
    if request.args.get("partial") and not params.query(args).strip():
        # Only a first word half typed: the suggestions speak for now, and
        # the results on screen stay.
        return "", 204
    return render_template("_results.html", **_results_context(args))


@bp.get("/articles")
def article_list():
    """Articles by title, a page at a time, with an index of first letters."""
    listing = catalog.catalog(get_snapshot().articles())
    letter = listing.letter(request.args.get("letter", ""))
    shown = catalog.page_of(listing.with_letter(letter),
                            request.args.get("page", 1, type=int))
    return render_template("articles/list.html", listing=listing, letter=letter, shown=shown,
                           pages=page_numbers(shown.page, shown.last_page),
                           list_url=urls.article_list_url,
                           page_url=functools.partial(urls.article_list_url, letter))


def get_article_or_404(article_id: str) -> Article:
    article = get_articles().get(article_id)
    if article is None:
        abort(404, f"There is no article called “{article_id[:100]}”.")
    return article


@bp.get("/articles/<article_id>")
def article(article_id: str):
    found = get_article_or_404(article_id)
    query = clean_query(params.query(request.args))
    snapshot = get_snapshot()
    # The same words the result that led here marked: synonyms and
    # corrections included.
    words = snapshot.marked_terms(query) if query else frozenset()
    related = [snapshot.topic(topic.title, topic.id) for topic in found.related]
    return render_template("articles/article.html", article=found, query=query,
                           words=words, related=related, numbered=numbered_kinds(found))


def numbered_kinds(article: Article) -> set[str]:
    """The kinds of section whose numbers a reader can follow: 1, 2, 3...
    with no gaps (MedQuAD's question numbers have gaps, and say nothing)."""
    numbers: dict[str, list[int]] = {}
    for section in article.sections:
        if section.number is not None:
            numbers.setdefault(section.kind, []).append(section.number)
    return {kind for kind, found in numbers.items() if found == list(range(1, len(found) + 1))}


@bp.app_template_filter("marked")
def marked(text: str | None, words: frozenset[str]) -> Markup:
    return present.marked_html(mark(text or "", words))


@bp.app_template_filter("paragraphs")
def paragraphs(text: str | None, words: frozenset[str]) -> list[Markup]:
    """Each line of ``text`` (a paragraph) with the query's words marked."""
    return [marked(line, words) for line in (text or "").splitlines() if line.strip()]
