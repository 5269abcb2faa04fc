"""The `kb` commands that read what the site serves: `kb search` (the
ranked passages of /api/search, for the terminal) and `kb report` (what
readers searched in vain, from the query log)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from kb.cli_options import (Locations, index_dir_option, kb_dir_option, pass_locations,
                            reports_errors)
from kb.terminal import escape_controls


def _terminal_text(marked, colour: bool) -> str:
    """Marked text for the terminal: the marked words in colour (or plain);
    control characters shown escaped, never obeyed."""
    if marked is None:
        return ""
    text, out, pos = marked.text, [], 0
    for start, end in marked.spans:
        word = escape_controls(text[start:end])
        out += [escape_controls(text[pos:start]),
                click.style(word, fg="yellow", bold=True) if colour else word]
        pos = end
    out.append(escape_controls(text[pos:]))
    return ("… " if marked.cut_before else "") + "".join(out) + (" …" if marked.cut_after else "")


@click.command()
@click.argument("query")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON of /api/search.")
@click.option("--limit", default=10, show_default=True, type=int,
              help="Results per page (per_page, 1-50).")
@click.option("--page", default=1, show_default=True, type=int, help="Page of results, from 1.")
@click.option("--kind", help="Only passages of this kind: intro, fact, question or conclusion.")
@kb_dir_option
@index_dir_option
@reports_errors
@pass_locations
def search(where: Locations, query: str, as_json: bool, limit: int, page: int,
           kind: str | None) -> None:
    """Search the index: ranked passages, best first."""
    import functools

    from index import SearchIndex, SearchRequest
    from kb.errors import QueryError
    from kb.synonyms import cached_synonyms, synonyms_path
    from webapp import present
    from webapp.urls import UrlBuilder

    try:
        request = SearchRequest(query, page=page, per_page=limit, kind=kind)
    except QueryError as exc:
        raise click.UsageError(str(exc)) from None
    # The site's index, synonyms and presenter, without the site: links
    # from the URL table (webapp/urls.py), no Flask app or request.
    engine = SearchIndex(where.index,
                         synonyms=functools.partial(cached_synonyms, synonyms_path(where.kb)))
    try:
        # The engine opens what a search reads on first use and would count
        # it in took_ms: one search of a single result loads it, so took_ms
        # is the search alone, as on a warm server.
        engine.search(SearchRequest(query, per_page=1, kind=kind))
        response = engine.search(request)
    finally:
        engine.close()
    links = UrlBuilder()
    if as_json:
        # Exactly the body /api/search answers.
        click.echo(present.json_text(present.search_json(response, links)), nl=False)
        return
    _print_results(response, present.message(response), links)


def _print_results(response, message: str | None, links) -> None:
    colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    # Article text may hold terminal escapes: shown escaped, never obeyed.
    shown = escape_controls
    if response.corrected:
        lead = "Showing results for" if response.correction_applied else "Did you mean"
        click.echo(f"{lead}: {shown(response.corrected)}")
    if not response.hits:
        click.echo(message)
        return
    first = (response.page - 1) * response.per_page + 1
    click.echo(f"{response.total} passage(s); showing {first}-"
               f"{first + len(response.hits) - 1} ({response.took_ms} ms)\n")
    for n, hit in enumerate(response.hits, first):
        heading = shown(hit.heading.text) if hit.heading else ""
        label = {"fact": f"Fact {hit.number} · {heading}",
                 "question": f"Question {hit.number}: {heading}"}.get(
                     hit.kind, hit.kind.capitalize())
        title = shown(hit.article_title)
        title = click.style(title, bold=True) if colour else title
        click.echo(f"{n}. {title} — {label}")
        click.echo(f"   {_terminal_text(hit.snippet, colour)}")
        click.echo(f"   {shown(links.article(hit.article_id, hit.anchor))}")
        if hit.related:
            click.echo("   See also: " + "; ".join(shown(t.title) for t in hit.related))
        click.echo()


@click.command()
@click.option("--limit", default=25, show_default=True, type=click.IntRange(1, 10_000),
              help="How many queries to list.")
@click.option("--days", type=click.IntRange(1, 100_000),
              help="Only searches of the last DAYS days.")
@click.option("--log-dir", type=click.Path(path_type=Path),
              help="The query log's folder [default: beside the index folder].")
@kb_dir_option
@index_dir_option
@reports_errors
@pass_locations
def report(where: Locations, limit: int, days: int | None, log_dir: Path | None) -> None:
    """Searches that found nothing or little.

    The queries readers searched that most often found nothing or only
    weak results, from the site's query log (normalised query text, outcome
    and day; nothing about the reader).

    "weak": the results were for a corrected spelling, or the best one
    showed fewer than half of the query's words. Add an article, or a
    synonym in synonyms.yaml, for the queries at the top.
    """
    import datetime as dt

    from kb.querylog import QueryLog, log_dir_for
    from kb.querylog import report as make_report

    log = QueryLog(log_dir or log_dir_for(where.index))
    since = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=days - 1) \
        if days else None
    total, rows = make_report(log.lines(), since=since, limit=limit)
    period = f" in the last {days} day(s)" if days else ""
    if not total:
        click.echo(f"No searches logged{period} in {log.folder} (`kb serve` logs them "
                   "unless --no-query-log or KB_QUERY_LOG=0).")
        return
    click.echo(f"{total} search(es) logged{period} in {log.folder}.")
    if not rows:
        click.echo("Every query found good results.")
        return
    click.echo("Queries that found nothing or only weak results, most often first:\n")
    click.echo(f"{'searches':>8}  {'nothing':>7}  {'weak':>5}  query")
    for row in rows:
        click.echo(f"{row.searches:>8}  {row.found_nothing:>7}  {row.weak:>5}  "
                   f"{_printable(row.query)}")


def _printable(text: str) -> str:
    """Text with control characters shown escaped, so a logged query cannot
    drive the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
