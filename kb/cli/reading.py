"""The `kb` commands that read what the site serves: `kb search` (the
ranked passages of /api/search, for the terminal) and `kb report` (what
readers searched in vain, from the query log)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from kb.cli.options import (Locations, index_dir_option, kb_dir_option, pass_locations,
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
    from kb.synonyms import cached_synonyms, synonyms_path
    from webapp import present
    from webapp.urls import UrlBuilder

    request = SearchRequest(query, page=page, per_page=limit, kind=kind)
    # The site's index, synonyms and presenter, without the site: links
    # from the URL table (webapp/urls.py), no Flask app or request.
    engine = SearchIndex(where.index,
                         synonyms=functools.partial(cached_synonyms, synonyms_path(where.kb)))
    try:
        with engine.snapshot() as snapshot:
            # Loaded first, so took_ms is the search alone, as on a warm server.
            snapshot.load()
            response = snapshot.search(request)
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
              help="Only searches of the last DAYS days (the log keeps 30 unless "
                   "KB_QUERY_LOG_DAYS says otherwise).")
@click.option("--log-dir", envvar="KB_QUERY_LOG_DIR", type=click.Path(path_type=Path),
              help="The query log's folder [env KB_QUERY_LOG_DIR; default: beside the "
                   "index folder].")
@kb_dir_option
@index_dir_option
@reports_errors
@pass_locations
def report(where: Locations, limit: int, days: int | None, log_dir: Path | None) -> None:
    """Searches that found nothing or little.

    The queries readers searched that most often found nothing or only
    weak results, from the site's query log (masked query text, outcome
    and day; nothing about the reader). A query counts once per reader per
    day, so the counts are of distinct readers. The log keeps the last 30
    days (env KB_QUERY_LOG_DAYS) and only the site's user may read it: run
    this as that user.

    "found": the search found the topic the query names (its title, a
    synonym of it from synonyms.yaml, or its correction), as the results
    page's topic card shows. "weak": the results were for a corrected
    spelling; or, for a query that names no topic, the best result only
    links to an answer elsewhere or showed fewer than half of the query's
    words. Add an article, or a synonym in synonyms.yaml, for the queries
    at the top.
    """
    import datetime as dt

    from kb.querylog import QueryLog, log_dir_for
    from kb.querylog import report as make_report

    log = QueryLog(log_dir or log_dir_for(where.index))
    days = min(days or log.days, log.days)
    since = dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=days - 1)
    try:
        total, rows = make_report(log.lines(), since=since, limit=limit)
    except PermissionError as exc:
        raise click.ClickException(
            f"{escape_controls(str(exc.filename or log.folder))}: permission denied: only "
            "the site's user may read the query log; run kb report as that user "
            "(sudo -u kb kb report)") from None
    kept = (f"The log keeps {log.days} days; a query counts once per reader per day, "
            "so counts are of distinct readers.")
    if not total:
        click.echo(f"No searches logged in the last {days} day(s) in {log.folder} "
                   "(`kb serve` logs them unless --no-query-log or KB_QUERY_LOG=0).")
        click.echo(kept)
        return
    click.echo(f"{total} search(es) logged in the last {days} day(s) in {log.folder}.")
    click.echo(kept)
    if not rows:
        click.echo("Every query found good results.")
        return
    click.echo("Queries that found nothing or only weak results, most often first:\n")
    click.echo(f"{'readers':>8}  {'nothing':>7}  {'weak':>5}  query")
    for row in rows:
        click.echo(f"{row.searches:>8}  {row.found_nothing:>7}  {row.weak:>5}  "
                   f"{_printable(row.query)}")


def _printable(text: str) -> str:
    """Text with control characters shown escaped, so a logged query cannot
    drive the terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
