"""The report as data: JSON (the contract in docs/json.md) and CSV rows with the same item
fields."""

from __future__ import annotations

from monitor.core import safe
from monitor.core.times import iso
from monitor.report.build import SECTIONS, Item, Report


def item_json(i: Item) -> dict[str, object]:
    fb = i.fallback
    return {
        "title": i.title,
        "document": i.document,
        "line": i.line,
        "url": i.url,
        "verdict": i.verdict,
        "status": i.status_text,
        "reason": i.reason,
        "checked_at": iso(i.checked_at),
        "first_failure_at": iso(i.first_failure_at),
        "failures": i.failures,
        "final_url": i.final_url,
        "archive_url": fb.archive_url if fb else None,
        "archive_captured_at": iso(fb.captured_at) if fb else None,
        "archive_verified": fb.verified if fb else None,
        "page_links": [
            {"url": a.archive_url, "verified": a.verified, "reason": a.verify_reason}
            for a in i.page_links
        ],
    }


def to_json(r: Report) -> dict[str, object]:
    """The report as data; CSV rows carry the same item fields."""
    return {
        "generated_at": iso(r.generated_at),
        "since": iso(r.since),
        "confirmation": {"checks": r.rule.checks, "days": r.rule.days},
        "totals": dict(r.totals),
        "unlinked": r.unlinked,
        # full counts of each section; the lists stop at max_items
        "section_totals": {n: r.total(n) for n in (*SECTIONS, "refreshed")},
        "documents": [
            {
                "source": d.source,
                "title": d.title,
                "citations": d.citations,
                "unlinked": d.unlinked,
                "counts": dict(d.counts),
            }
            for d in r.documents
        ],
        "sections": {name: [item_json(i) for i in getattr(r, name)] for name in SECTIONS},
        "refreshed": [
            {
                "title": f.title,
                "document": f.document,
                "line": f.line,
                "url": f.url,
                "old_stamp": f.old_stamp,
                "new_date": iso(f.new_date),
                "new_stamp": f.new_stamp,
            }
            for f in r.refreshed
        ],
        "trend": [{"week": iso(w), "counts": c} for w, c in r.trend],
        "unchanged": r.unchanged,
        "decisions": [d.as_json() for d in r.decisions],
        "actions": [a.json() for a in r.actions],
    }


CSV_FIELDS = ["section", "title", "document", "line", "url", "verdict", "status", "reason",
              "checked_at", "first_failure_at", "failures", "final_url", "archive_url",
              "archive_captured_at", "archive_verified", "old_stamp", "new_stamp"]  # fmt: skip


def render_csv(r: Report) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CSV_FIELDS, extrasaction="ignore")
    w.writeheader()
    data = to_json(r)
    for name, items in data["sections"].items():  # type: ignore[union-attr]
        for item in items:
            w.writerow(safe.csv_row({"section": name, **item}))
    for f in data["refreshed"]:  # type: ignore[union-attr]
        w.writerow(safe.csv_row({"section": "refreshed", **f}))
    return buf.getvalue()


def render_json(r: Report) -> str:

    return safe.json_dumps(to_json(r), indent=2) + "\n"
