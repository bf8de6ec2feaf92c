"""What the command line prints: every table, JSON, JSON-lines, CSV, JUnit and Markdown
rendering of the data `monitor.api` returns. The CLI parses options, makes one call into
`api` and hands the answer here; nothing here reads the database or checks anything.

JSON follows one style everywhere (`monitor.core.times.iso`): moments in UTC with `Z`, days as
YYYY-MM-DD.
"""

from __future__ import annotations

import csv
import datetime as dt
import logging
import os
import re
import time
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import IO, Any

import click
from rich.console import Console
from rich.markup import escape

from monitor.core import safe
from monitor.core.results import ARCHIVE_FIELDS, JSON_FIELDS
from monitor.core.verdict import Verdict, counts_text

CHECK_FORMATS = ("table", "json", "jsonl", "csv", "junit", "markdown")
COMMAND_LINE = "command line"  # the input a URL given as an argument comes from
# a check row as CSV: the JSON contract without the nested redirect chain, citations joined
CSV_FIELDS = [
    *(f for f in JSON_FIELDS if f != "redirect_chain"), *ARCHIVE_FIELDS, "citations",
    "file", "line", "column",  # where the (first) citation of the link is
]  # fmt: skip


def _t(text: Any) -> str:
    """Text from pages and servers for the terminal: no control characters, no markup."""
    return escape(safe.terminal(text))


_COLOURS = {"alive": "green", "moved": "cyan", "transient": "yellow", "blocked": "yellow"}


def check_rows(
    out: Console,
    rows: list[dict[str, Any]],
    fmt: str,
    excluded: list[dict[str, Any]] | None = None,
) -> None:
    """Check results (the JSON contract's rows) in one of `CHECK_FORMATS`, written to
    `out` (the terminal, or the file of `--output`). The URLs `excluded` (url, reason,
    citations) are listed by the table, JUnit (skipped) and Markdown; JSON, JSON lines
    and CSV keep to the contract's rows (checked links only)."""
    excluded = excluded or []
    stream = out.file
    if fmt == "json":  # written row by row: 100,000 rows are never one string
        for n, row in enumerate(rows):
            text = safe.json_dumps(row, indent=2).replace("\n", "\n  ")
            stream.write(("[\n  " if n == 0 else ",\n  ") + text)
        stream.write("\n]\n" if rows else "[]\n")
    elif fmt == "jsonl":
        for row in rows:
            stream.write(safe.json_dumps(row) + "\n")
    elif fmt == "junit":
        stream.write(check_junit(rows, excluded))
    elif fmt == "markdown":
        stream.write(check_markdown(rows, excluded))
    elif fmt == "csv":
        w = csv.DictWriter(stream, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for row in rows:
            flat = dict(row)
            flat["citations"] = " | ".join(c["title"] or "" for c in row["citations"])
            first = (row["citations"] or [{}])[0]
            flat["file"], flat["line"] = first.get("document"), first.get("line")
            flat["column"] = first.get("column")
            flat["evidence"] = safe.json_dumps(row.get("evidence") or {})
            w.writerow(safe.csv_row(flat))
    else:
        out.print(f"[bold]{'VERDICT':9} {'HTTP':>4}  URL  REASON[/]")
        for row in rows:
            v = row["verdict"]
            status = row["http_status"] if row["http_status"] is not None else "-"
            out.print(
                f"[{_COLOURS.get(v, 'red')}]{v:9}[/] {status!s:>4}  {_t(row['url'])}  "
                f"[dim]{_t(row['reason'])}[/]"
            )
            if row.get("archive_url") or row.get("archive_reason"):  # `check --archive`
                out.print(f"{'':15}[dim]archive copy:[/] {_archive_text(row)}")
        for ex in excluded:
            out.print(
                f"[dim]{'excluded':9} {'-':>4}[/]  {_t(ex['url'])}  [dim]{_t(ex['reason'])}[/]"
            )


def _inputs(row: dict[str, Any]) -> list[str]:
    """The inputs a result belongs to: the pages citing it, else the command line."""
    docs = dict.fromkeys(str(c.get("document")) for c in row.get("citations") or [])
    return list(docs) or [COMMAND_LINE]


def _by_input(items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        for name in _inputs(item):
            groups.setdefault(name, []).append(item)
    return groups


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text: Any) -> str:
    """Text XML 1.0 can hold (servers send control characters)."""
    return _NOT_XML.sub("", "" if text is None else str(text))


def _archive_text(row: dict[str, Any]) -> str:
    """The archive copy a `check --archive` found for a row, for the table."""
    if not row.get("archive_url"):
        return f"none ({_t(row.get('archive_reason') or 'no capture')})"
    when = str(row.get("archive_captured_at") or "")[:10]
    state = "verified" if row.get("archive_verified") else "not verified"
    return f"{_t(row['archive_url'])} ({', '.join(x for x in (when, state) if x)})"


def check_junit(rows: list[dict[str, Any]], excluded: list[dict[str, Any]]) -> str:
    """JUnit XML: one <testsuite> per input (a page, or the command line), one <testcase>
    per URL; a link not alive is a <failure> carrying its verdict and reason, an excluded
    one is <skipped>."""
    suites = _by_input([*rows, *({**e, "excluded": True} for e in excluded)])
    root = ET.Element("testsuites", name="monitor check")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for name, items in suites.items():
        suite = ET.SubElement(root, "testsuite", name=_x(name))
        counts = {"tests": len(items), "failures": 0, "skipped": 0}
        for item in items:
            case = ET.SubElement(suite, "testcase", name=_x(item["url"]), classname=_x(name))
            where = next(iter(item.get("citations") or []), {})
            if where.get("line"):  # file and line, as JUnit readers (GitLab, Jenkins) show
                case.set("file", _x(str(where.get("document"))))
                case.set("line", str(where["line"]))
            if item.get("excluded"):
                ET.SubElement(case, "skipped", message=_x(item["reason"]))
                counts["skipped"] += 1
                continue
            case.set("time", f"{(item.get('elapsed_ms') or 0) / 1000:.3f}")
            if item["verdict"] != "alive":
                counts["failures"] += 1
                status = item["http_status"] if item["http_status"] is not None else "-"
                fail = ET.SubElement(
                    case,
                    "failure",
                    type=_x(item["verdict"]),
                    message=_x(f"{item['verdict']}: {item['reason']}"),
                )
                fail.text = _x(
                    f"verdict: {item['verdict']}\nHTTP status: {status}\n"
                    f"final URL: {item.get('final_url') or '-'}\nreason: {item['reason']}"
                )
        for key, n in counts.items():
            suite.set(key, str(n))
            totals[key] += n
    for key, n in totals.items():
        root.set(key, str(n))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _md(text: Any) -> str:
    """A Markdown table cell: one line, pipes escaped."""
    return safe.terminal(text).replace("\\", "\\\\").replace("|", "\\|")


def check_markdown(rows: list[dict[str, Any]], excluded: list[dict[str, Any]]) -> str:
    """Markdown as lychee writes it: a summary table of counts, then per input a table of
    the links not alive, then the excluded ones."""
    counts = Counter(r["verdict"] for r in rows)
    rank = {v.value: i for i, v in enumerate(Verdict)}
    lines = ["# Summary", "", "| Status | Count |", "|---|---|", f"| Total | {len(rows)} |"]
    for verdict, n in sorted(counts.items(), key=lambda vn: rank.get(vn[0], len(rank))):
        lines.append(f"| {verdict} | {n} |")
    lines.append(f"| excluded | {len(excluded)} |")
    failing = [r for r in rows if r["verdict"] != "alive"]
    if failing:
        lines += ["", "## Links not alive per input"]
        for name, items in _by_input(failing).items():
            lines += ["", f"### {_md(name)}", "", "| Verdict | HTTP | URL | Reason |"]
            lines.append("|---|---|---|---|")
            for r in items:
                status = r["http_status"] if r["http_status"] is not None else "-"
                lines.append(
                    f"| {r['verdict']} | {status} | <{_md(r['url'])}> | {_md(r['reason'])} |"
                )
    if excluded:
        lines += ["", "## Excluded", ""]
        lines += [f"* <{_md(e['url'])}>: {_md(e['reason'])}" for e in excluded]
    return "\n".join(lines) + "\n"


def verdict_summary(counts: Mapping[str, int]) -> str | None:
    """ "15 checked: alive 12, dead 3": most frequent first; ties in the verdicts' own order,
    not in the order results happened to arrive (which concurrency makes random)."""
    if not counts:
        return None
    return f"{sum(counts.values())} checked: {counts_text(counts)}"


def status_json(stream: IO[str], summary: dict[str, Any], rows: Iterable[Any]) -> None:
    """`monitor status --format json`: `{"summary": ..., "citations": [...]}`, the summary
    the same object as `--brief --format json`'s, the citations written row by row (a
    million of them never sit in memory at once)."""
    stream.write('{\n"summary": ' + safe.json_dumps(summary) + ',\n"citations": [')
    n = 0
    for n, row in enumerate(rows, start=1):
        stream.write(("\n  " if n == 1 else ",\n  ") + safe.json_dumps(row.json()))
    stream.write("\n]}\n" if n else "]}\n")


def status_text(out: Console, view: Any) -> None:
    """`monitor status`: per page its counts, then each citation with stamps and state."""
    pages, rows, scheduler = view.pages, view.rows, view.scheduler
    pending = next(rows, None)
    total: Counter[str] = Counter()
    for page in pages:
        total.update(page.counts)
        parts = ", ".join(f"{k} {n}" for k, n in sorted(page.counts.items())) or "none found"
        out.print(
            f"[bold]{_t(page.source)}[/]  ({page.format}, {sum(page.counts.values())} "
            f"citations: {parts})"
        )
        while pending is not None and pending.document_id == page.id:
            r = pending
            out.print(f"  {r.position:3}. {_t(r.title or '(untitled)')}")
            if r.publisher:
                out.print(f"       [dim]{_t(r.publisher)}[/]")
            if r.note:
                out.print(f"       [dim]note: {_t(r.note)}[/]")
            ver = f"; verified {r.verified_on.isoformat()}" if r.verified_on else ""
            out.print(f"       stamps: {_t(r.stamps_text)}{ver}")
            if r.url is not None:
                last = f"; last check {r.verdict}: {r.reason}" if r.verdict else ""
                out.print(f"       {_t(r.url)}  {_t(f'[{r.status_text}]')}{_t(last)}")
            else:
                out.print("       (unlinked citation)")
            pending = next(rows, None)
    parts = ", ".join(f"{k} {n}" for k, n in sorted(total.items()))
    out.print(f"total: {sum(total.values())} citations on {len(pages)} page(s): {parts}")
    jobs = ", ".join(f"{k} {v or '-'}" for k, v in scheduler.jobs.items()) or "no daemon yet"
    out.print(
        f"scheduler: last run {scheduler.last_run or 'never'} "
        f"({scheduler.last_run_checked} checked); "
        f"due now {scheduler.due_now}; last report {scheduler.last_report or 'never'}, "
        f"next report {scheduler.next_report or '-'}; next jobs: {_t(jobs)}"
    )


def history_text(out: Console, h: Any) -> None:
    """`monitor history URL`: the URL's state, then its checks, newest first."""
    out.print(
        f"[bold]{_t(h.url)}[/]: {_t(h.status_text)}; next check "
        f"{h.next_due_at.isoformat(timespec='minutes') if h.next_due_at else 'now'}"
    )
    for chk in h.checks:
        code = chk.http_status if chk.http_status is not None else "-"
        out.print(
            f"  {chk.checked_at.isoformat(timespec='seconds')}  {chk.verdict:9} {code!s:>3}  "
            f"{chk.elapsed_ms:>6} ms  {_t(chk.status or '-'):10} {_t(chk.reason)}"
        )
        for hop in chk.redirect_chain:
            out.print(f"      via {hop['status']} {_t(hop['url'])}")


def ingest_lines(results: Iterable[Any]) -> Iterable[tuple[str, list[str]]]:
    """For each ingested page: its result line and the notes under it."""
    for r in results:
        if r.stats is None:
            continue
        st = r.stats
        line = (
            f"{safe.terminal(r.source)}: {r.format}, {st.citations} citations "
            f"({st.linked} linked, {st.unlinked} unlinked); "
            f"{st.added} new, {st.updated} updated, {st.unchanged} unchanged, "
            f"{st.removed} removed; {st.archive_links} new archive links"
        )
        notes = [
            f"  skipped {n} link(s): {safe.terminal(reason)}"
            for reason, n in sorted(st.skipped.items())
        ]
        if st.citations == 0:
            notes.append(
                f"  no citations in {r.source}: expected if it is an article or a page that "
                "cites nothing (a cited work's own text, say); a citation page with none "
                "recognised is worth a look (`monitor check PAGE --dump` lists its links)"
            )
        if getattr(r, "moved_from", None):
            notes.append(f"  the same page as {safe.terminal(r.moved_from)}: its history is here")
        yield line, notes


def archive_notes(summary: Any) -> list[str]:
    """What a run's archive stage did, for stderr."""
    notes = []
    for fb in summary.lookups:
        where = fb.chosen.archive_url if fb.chosen else "no verified copy"
        notes.append(safe.terminal(f"archive: {fb.url} -> {where} ({fb.reason})"))
    for link, v in summary.page_links:
        notes.append(
            f"archive link on the page {'works' if v.ok else 'fails'}: {link} ({v.reason})"
        )
    for name, why in getattr(summary, "archives_down", {}).items():
        notes.append(safe.terminal(f"archive {name} not asked again in this run: {why}"))
    notes.append(
        f"archive lookups: {len(summary.lookups)}, verified copies found: {summary.found}; "
        f"page archive links verified: {sum(v.ok for _, v in summary.page_links)} of "
        f"{len(summary.page_links)}"
    )
    return notes


def archive_lines(summary: Any) -> list[str]:
    """`monitor archive`: one tab-separated line per lookup and per page link."""
    lines = []
    for fb in summary.lookups:
        if fb.chosen:
            lines.append(
                f"{fb.url}\t{fb.chosen.archive_url}\t{fb.chosen.capture.captured_at:%Y-%m-%d}"
                f"\tverified\t{fb.reason}"
            )
        else:
            lines.append(f"{fb.url}\t-\t-\t{fb.outcome}\t{fb.reason}")
    for link, v in summary.page_links:
        lines.append(f"{link}\t(page link)\t-\t{'works' if v.ok else 'fails'}\t{v.reason}")
    return lines


def save_lines(results: Iterable[Any]) -> list[str]:
    return [
        f"{r.url}\t{r.archive_url or '-'}\tsave\t{'ok' if r.ok else 'failed'}\t{r.reason}"
        for r in results
    ]


def dispatch_line(s: Any) -> str:
    return (
        f"queued {s.urls} URLs in {s.jobs} host batches"
        + (f" (run {s.run_id})" if s.run_id else "")
        + f"; {s.active} batches queued or running"
        + (f"; {s.hosts_waiting} hosts still waiting" if s.hosts_waiting else "")
        + (f"; {s.retried} batches of dead workers handed back" if s.retried else "")
        + (f"; run {', '.join(map(str, s.closed_runs))} finished" if s.closed_runs else "")
    )


def decision_line(d: Any) -> str:
    what = {
        "ignore": f"ignore {d.pattern}",
        "accept": f"accept {d.url} -> {d.replace_url or d.archive_url}",
        "override": f"override {d.url}: {d.verdict}"
        + (f" until {d.until.isoformat()}" if d.until else ""),
    }.get(d.kind, d.kind)
    undone = f" [undone {d.undone_at:%Y-%m-%d}]" if d.undone_at else ""
    why = f" ({d.reason})" if d.reason else ""
    return _t(f"{d.id:>4}  {d.made_at:%Y-%m-%d}  {d.by or '-'}: {what}{why}{undone}")


def config_text(out: Console, rows: Iterable[Any]) -> None:
    """`monitor config`: `key = value  # source`, aligned, TOML-like."""
    rows = list(rows)
    width = max((len(r.key) for r in rows), default=0)
    for r in rows:
        value = safe.json_dumps(r.value, default=str)
        out.print(f"{_t(r.key):<{width}} = {_t(value)}  [dim]# {_t(r.source)}[/]")


# `--log-format json`: every line on stderr is one JSON object, the human ones too
JSON_LOG = False


def say_err(message: str, level: str = "INFO") -> None:
    """One line on stderr: as it is, or with `--log-format json` as the JSON object every
    log line is (time, level, logger, message)."""
    if not JSON_LOG:
        click.echo(message, err=True)
        return
    record = logging.LogRecord(
        "monitor", logging.getLevelName(level), "", 0, message, None, None
    )  # written as every log line is
    click.echo(JsonFormatter().format(record), err=True)


def text_formatter() -> logging.Formatter:
    """Log lines with an ISO time in UTC (a cron line's `>> monitor.log` gets dated lines),
    or without one under systemd, whose journal dates each line itself."""
    if os.environ.get("JOURNAL_STREAM"):
        return logging.Formatter("%(levelname)s %(name)s: %(message)s")
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    fmt.converter = time.gmtime
    fmt.default_time_format, fmt.default_msec_format = "%Y-%m-%dT%H:%M:%S", "%s.%03dZ"
    return fmt


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the exception, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("run_id", "due", "counts"):  # structured fields a line carries
            if key in record.__dict__:
                out[key] = record.__dict__[key]
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return safe.json_dumps(out, default=str)
