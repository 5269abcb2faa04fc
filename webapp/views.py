"""The pages: home, search results (and their live fragment), the article
list, one article."""
from __future__ import annotations

import functools
from urllib.parse import urlsplit

from flask import Blueprint, abort, render_template, request
from markupsafe import Markup

from index import MAX_QUERY_CHARS, SearchResponse, clean_query, mark
from kb.article import Article
from webapp import catalog, params, present, querylog, urls
from webapp.articles import get_articles
from webapp.examples import example_queries
from webapp.search import get_index

bp = Blueprint("pages", __name__)

PER_PAGE = 10
# A results page shows at most this many passages of one article before
# other articles' (the API's ranking stays flat unless asked).
PER_ARTICLE = 3
# The kind filter offered on the search page (value, label); any passage
# kind still works in a hand-written address.
KIND_CHOICES = (("", "All"), ("fact", "Facts"), ("question", "Questions"))
# How many articles the no-results state lists before "all articles".
EMPTY_STATE_ARTICLES = 20


@bp.app_context_processor
def _template_globals() -> dict:
    return {"max_query_chars": MAX_QUERY_CHARS, "per_article": PER_ARTICLE,
            "article_url": urls.article_url, "search_url": urls.search_url,
            "topic_url": urls.topic_url, "message": present.message}


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


def _results_context() -> dict:
    """What the results area shows for the request's query, searched once."""
    search_request = params.page_request(request.args, PER_PAGE, PER_ARTICLE)
    engine = get_index()
    response: SearchResponse = engine.search(search_request)
    credits = {hit.credit: external_url(hit.credit_url)
               for hit in response.hits if hit.credit}
    return {
        "response": response, "kind": search_request.kind,
        "link_query": response.corrected if response.correction_applied else response.query,
        "pages": page_numbers(response.page, response.last_page), "credits": credits,
        # Only for the no-results state.
        "browse": [] if response.hits else engine.articles()[:EMPTY_STATE_ARTICLES],
    }


@bp.get("/")
def home():
    return render_template("search.html", response=None, kind=None,
                           kind_choices=KIND_CHOICES,
                           examples=example_queries(), browse=[])


@bp.get("/search")
def search():
    context = _results_context()
    querylog.record(context["response"])  # the editors' query log (kb report)
    return render_template("search.html", kind_choices=KIND_CHOICES,
                           examples=example_queries(), **context)


@bp.get("/search/results")
def search_results():
    """The results area of /search alone: what live search shows as the
    reader types, from the same template as the page."""
    return render_template("_results.html", **_results_context())


@bp.get("/articles")
def article_list():
    """Articles by title, a page at a time, with an index of first letters."""
    listing = catalog.catalog(get_index().articles())
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
    engine = get_index()
    # The same words the result that led here marked: synonyms and
    # corrections included.
    words = engine.marked_terms(query) if query else frozenset()
    related = [engine.topic(topic.title, topic.id) for topic in found.related]
    return render_template("articles/article.html", article=found, query=query,
                           words=words, related=related)


@bp.app_template_filter("marked")
def marked(text: str | None, words: frozenset[str]) -> Markup:
    return present.marked_html(mark(text or "", words))


@bp.app_template_filter("paragraphs")
def paragraphs(text: str | None, words: frozenset[str]) -> list[Markup]:
    """Each line of ``text`` (a paragraph) with the query's words marked."""
    return [marked(line, words) for line in (text or "").splitlines() if line.strip()]
