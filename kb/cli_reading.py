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
@click.option("--explain", is_flag=True,
              help="Show the topic and question type read in the query, and each result's "
                   "score factors.")
@kb_dir_option
@index_dir_option
@reports_errors
@pass_locations
def search(where: Locations, query: str, as_json: bool, limit: int, page: int,
           kind: str | None, explain: bool) -> None:
    """Search the index: ranked passages, best first."""
    from index import SearchRequest
    from kb.errors import QueryError
    from webapp import create_app, present
    from webapp.search import close_index, get_index

    try:
        request = SearchRequest(query, page=page, per_page=limit, kind=kind, explain=explain)
    except QueryError as exc:
        raise click.UsageError(str(exc)) from None
    # The site's own wiring and presenter: the same index, synonyms and JSON.
    app = create_app({"KB_DIR": str(where.kb), "INDEX_DIR": str(where.index)})
    try:
        with app.test_request_context():
            response = get_index().search(request)
            if as_json:
                # Exactly the body /api/search answers.
                body = app.json.response(present.search_json(response)).get_data(as_text=True)
                click.echo(body, nl=False)
                return
            _print_results(response, present.message(response))
    finally:
        close_index(app)


def _print_results(response, message: str | None) -> None:
    from webapp.urls import article_url

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
    explained = response.explained
    if explained is not None:
        click.echo(f"Topic: {shown('; '.join(explained.topics) or ', '.join(explained.topic_words) or '-')}"
                   f" · asks: {', '.join(explained.asked) or '-'}"
                   f" · words weigh {explained.words_weight:.2f} against meaning\n")
    for n, hit in enumerate(response.hits, first):
        heading = shown(hit.heading.text) if hit.heading else ""
        label = {"fact": f"Fact {hit.number} · {heading}",
                 "question": f"Question {hit.number}: {heading}"}.get(
                     hit.kind, hit.kind.capitalize())
        title = shown(hit.article_title)
        title = click.style(title, bold=True) if colour else title
        click.echo(f"{n}. {title} — {label}")
        click.echo(f"   {_terminal_text(hit.snippet, colour)}")
        click.echo(f"   {shown(article_url(hit.article_id, hit.anchor))}")
        if explained is not None:
            click.echo("   Score: " + " ".join(f"{name} {value:g}" for name, value in
                                              explained.factors_of(hit.id).items()))
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
