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
from kb.article import PASSAGE_KINDS
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
@click.argument("words", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the JSON of /api/search.")
@click.option("--limit", default=10, show_default=True, type=int,
              help="Results per page, 1-50 (the API's per_page).")
@click.option("--page", default=1, show_default=True, type=int, help="Page of results, from 1.")
@click.option("--kind", type=click.Choice(PASSAGE_KINDS),
              help="Only passages of this kind.")
@click.option("--qtype", help="Only questions of this type (symptoms, treatment, ...).")
@click.option("--group", is_flag=True,
              help="The results as the site shows them: one card per topic, each with its "
                   "best passages, and the topic card first (the API's group=article).")
@click.option("--explain", is_flag=True,
              help="Show the topic and question type read in the query, and each result's "
                   "score factors.")
@kb_dir_option
@index_dir_option
@reports_errors
@pass_locations
def search(where: Locations, words: tuple[str, ...], as_json: bool, limit: int, page: int,
           kind: str | None, qtype: str | None, group: bool, explain: bool) -> None:
    """Search the index: ranked passages, best first.

    WORDS need no quotes, but for a "phrase" that must stand together;
    -word leaves passages with that word out."""
    import functools

    from index import SearchIndex, SearchRequest
    from kb.synonyms import cached_synonyms, synonyms_path
    from webapp import present, results_page
    from webapp.urls import UrlBuilder

    from index import MAX_PAGE, MAX_PER_PAGE, MAX_RESULT_WINDOW

    query = " ".join(words)
    for name, value, high in (("--limit", limit, MAX_PER_PAGE), ("--page", page, MAX_PAGE)):
        if not 1 <= value <= high:
            raise click.BadParameter(f"must be a whole number from 1 to {high}", param_hint=name)
    if page * limit > MAX_RESULT_WINDOW:
        raise click.UsageError(f"--page × --limit must be at most {MAX_RESULT_WINDOW} "
                               "(results are ranked that deep at most)")
    request = (results_page.PageRequest(query, page=page, per_page=limit, kind=kind,
                                        qtype=qtype, clamp=True) if group else
               SearchRequest(query, page=page, per_page=limit, kind=kind, qtype=qtype,
                             explain=explain))
    # The site's index, synonyms, results page and presenter, without the
    # site: links from the URL table (webapp/urls.py), no Flask app.
    engine = SearchIndex(where.index,
                         synonyms=functools.partial(cached_synonyms, synonyms_path(where.kb)))
    try:
        with engine.snapshot() as snapshot:
            # Loaded first, so took_ms is the search alone, as on a warm server.
            snapshot.load()
            response = results_page.answer(snapshot, request)
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
    if not response.passages:
        click.echo(message)
        return
    first = (response.page - 1) * response.per_page + 1
    shown_now = len(response.groups or response.hits)
    unit = "topic(s)" if response.groups else "passage(s)"
    more = "more than " if response.total_is_estimate else ""
    click.echo(f"{more}{response.total} {unit}; showing {first}-{first + shown_now - 1} "
               f"({response.took_ms} ms)\n")
    if response.topic is not None:
        _print_topic(response.topic, links, colour)
    explained = response.explained
    if explained is not None:
        click.echo(f"Topic: {shown('; '.join(explained.topics) or '-')}"
                   f" · asks: {', '.join(explained.asked) or '-'}"
                   f" · words weigh {explained.words_weight:.2f} against meaning\n")
    for n, hit in enumerate(response.hits or response.passages, first):
        heading = shown(hit.heading.text) if hit.heading else ""
        label = {"fact": f"Fact {hit.number} · {heading}",
                 "question": f"Question {hit.number}: {heading}"}.get(
                     hit.kind, hit.kind.capitalize())
        title = shown(hit.article_title)
        title = click.style(title, bold=True) if colour else title
        click.echo(f"{n}. {title} — {label}")
        if hit.answered:
            click.echo(_indented(_terminal_text(hit.snippet, colour)))
            click.echo(f"   {shown(links.article(hit.article_id, hit.anchor))}")
        else:
            # Only a link to the answer: its address, not a page without it.
            publisher = f" at {shown(hit.publisher)}" if hit.publisher else ""
            click.echo(f"   The answer is{publisher}: {shown(hit.source_url or '')}")
        if explained is not None:
            click.echo("   Score: " + " ".join(f"{name} {value:g}" for name, value in
                                              explained.factors_of(hit.id).items()))
        if hit.related:
            click.echo("   See also: " + "; ".join(shown(t.title) for t in hit.related))
        click.echo()


def _print_topic(card, links, colour: bool) -> None:
    """The topic card: title, source, definition and the kinds answered."""
    main = card.sources[0]
    title = escape_controls(main.title)
    click.echo(f"Topic: {click.style(title, bold=True) if colour else title}"
               + (f" (from {escape_controls(main.publisher)})" if main.publisher else ""))
    if card.definition is not None:
        click.echo(_indented(_terminal_text(card.definition.snippet, colour)))
    elif main.source_url:
        click.echo(f"   The answers are at {escape_controls(main.source_url)}")
    if card.answers:
        click.echo("   Answers: " + ", ".join(a.qtype for a in card.answers))
    click.echo(f"   {escape_controls(links.article(main.article_id))}\n")


def _indented(text: str) -> str:
    """Text of several lines, each under the result it belongs to."""
    return "\n".join(f"   {line}" for line in text.splitlines() or [""])


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
