"""The pages: home, search results, the article list, one article."""
from __future__ import annotations

from urllib.parse import quote, urlencode, urlsplit

from flask import Blueprint, abort, current_app, render_template, request
from markupsafe import Markup

from index.analysis import terms
from index.highlight import mark
from index.query import MAX_QUERY_CHARS, clean
from index.search import MAX_PAGE
from kb.article import Article
from webapp import params
from webapp.articles import get_articles
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
def _limits() -> dict:
    return {"max_query_chars": MAX_QUERY_CHARS, "per_article": PER_ARTICLE}


@bp.app_template_filter("engine_html")
def engine_html(html: str | None) -> Markup:
    """Engine output (snippet, heading_html) whose text is already escaped
    with only <mark> added; nothing else may pass through here."""
    return Markup(html or "")


@bp.app_template_global()
def passage_link(url: str, query: str) -> str:
    """A result's article address with ``?q=`` before its ``#anchor``, so
    the article page can mark the query's words."""
    path, _, anchor = url.partition("#")
    link = f"{path}?{urlencode({'q': query})}" if query else path
    return f"{link}#{anchor}" if anchor else link


@bp.app_template_global()
def search_link(query: str, page: int = 1, kind: str | None = None) -> str:
    args = {"q": query}
    if kind:
        args["kind"] = kind
    if page > 1:
        args["page"] = page
    return "/search?" + urlencode(args)


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


@bp.get("/")
def home():
    return render_template("search.html", response=None, kind=None,
                           kind_choices=KIND_CHOICES,
                           examples=current_app.config["EXAMPLE_QUERIES"], browse=[])


@bp.get("/search")
def search():
    page, kind = params.lenient_page(request.args), params.lenient_kind(request.args)
    engine = get_index()
    response = engine.search(params.query(request.args), page=page,
                             per_page=PER_PAGE, kind=kind, per_article=PER_ARTICLE)
    last = max(1, -(-response["total"] // PER_PAGE))
    if page > last:
        # A stale or hand-made link past the end shows the last page.
        response = engine.search(params.query(request.args), page=min(last, MAX_PAGE),
                                 per_page=PER_PAGE, kind=kind, per_article=PER_ARTICLE)
    articles = get_articles()
    credits = {}
    for hit in response["results"]:
        article = articles.get(hit["article"]["id"])
        if article is not None and article.source and article.source.credit:
            credits[article.source.credit] = external_url(article.source.url)
    shown_query = (response["corrected"] if response["correction_applied"]
                   else response["query"])
    return render_template(
        "search.html", response=response, kind=kind, kind_choices=KIND_CHOICES,
        examples=current_app.config["EXAMPLE_QUERIES"], link_query=shown_query,
        pages=page_numbers(response["page"], last), last_page=last, credits=credits,
        # Listing reads every article file: only for the no-results state.
        browse=[] if response["results"] else engine.articles()[:EMPTY_STATE_ARTICLES])


@bp.get("/articles")
def article_list():
    return render_template("articles/list.html", articles=get_index().articles())


def get_article_or_404(article_id: str) -> Article:
    article = get_articles().get(article_id)
    if article is None:
        abort(404, f"There is no article called “{article_id[:100]}”.")
    return article


@bp.get("/articles/<article_id>")
def article(article_id: str):
    found = get_article_or_404(article_id)
    query = clean(params.query(request.args))
    words = set(terms(query))
    related = [(topic.title, get_index().topic_url(topic.title, topic.id))
               for topic in found.related]
    return render_template("articles/article.html", article=found, query=query,
                           words=words, related=related,
                           json_url=f"/api/articles/{quote(found.id)}")


# index.highlight.mark escapes everything it does not wrap in <mark>, so
# its output, and only its output, becomes Markup here.
@bp.app_template_filter("marked")
def marked(text: str | None, words: set[str]) -> Markup:
    return Markup(mark(text or "", words))


@bp.app_template_filter("paragraphs")
def paragraphs(text: str | None, words: set[str]) -> list[Markup]:
    """Each line of ``text`` (a paragraph) with the query's words marked."""
    return [marked(line, words) for line in (text or "").splitlines() if line.strip()]
