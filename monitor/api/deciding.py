"""Decisions a maintainer makes once and the monitor keeps: `ignore`, `accept`,
`override`, listed and undone with `decisions` (issue 17)."""

from __future__ import annotations

import datetime as dt
import getpass
import os

from monitor.core.errors import DecisionError
from monitor.core.urls import UrlError, normalise, parse_archive_link
from monitor.core.verdict import Verdict
from monitor.store import Store
from monitor.store.models import Decision


def who(by: str | None) -> str:
    """Who decided: `--by`, else the login name."""
    if by:
        return by
    try:
        return os.environ.get("USER") or getpass.getuser()
    except Exception:  # no login name in a container: say so rather than fail
        return "unknown"


def _cited(store: Store, url: str) -> str:
    try:
        norm = normalise(url)
    except UrlError as exc:
        raise DecisionError(f"{url}: {exc}") from None
    if store.pages.url(norm) is None:
        raise DecisionError(f"{url} is not cited on any ingested page")
    return norm


def ignore(
    store: Store, pattern: str, reason: str | None, by: str | None
) -> tuple[Decision, int, int]:
    """Never check URLs matching `pattern` (a URL or a glob) again; returns the decision,
    how many cited URLs this pattern matches, and how many are ignored now in all."""
    if not pattern.strip():
        raise DecisionError("an empty pattern would ignore nothing")
    if len(pattern) > 2000:  # a glob that long matches in super-linear time, for every URL
        raise DecisionError("a pattern of more than 2,000 characters is not a URL or a glob")
    d = store.decisions.add(kind="ignore", pattern=pattern.strip(), reason=reason, by=who(by))
    return d, store.decisions.matching(d.pattern or ""), store.decisions.apply_ignores()


def unignore(store: Store, pattern: str) -> list[Decision]:
    """`ignore --remove`: undo every active ignore of exactly `pattern`."""
    undone = []
    for d in store.decisions.active():
        if d.kind == "ignore" and d.pattern == pattern.strip():
            undone.append(store.decisions.undo(d.id))  # type: ignore[arg-type]
    if not undone:
        raise DecisionError(f"no active ignore of {pattern!r} (see `monitor decisions`)")
    return [d for d in undone if d is not None]


def accept(
    store: Store,
    url: str,
    archive: str | None,
    replace: str | None,
    reason: str | None,
    by: str | None,
) -> Decision:
    """Take a snapshot (the verified one unless `archive` names another) or a new address
    for a cited URL; `patch` then writes exactly that."""
    norm = _cited(store, url)
    if archive and replace:
        raise DecisionError("accept either a snapshot (--archive) or a new address (--replace)")
    if replace:
        try:
            replace = normalise(replace)
        except UrlError as exc:
            raise DecisionError(f"--replace {replace}: {exc}") from None
    elif archive:
        if parse_archive_link(archive) is None:
            raise DecisionError(f"--archive {archive}: not a link into a web archive")
    else:
        fb = store.archives.fallbacks([norm]).get(norm)
        if fb is None:
            raise DecisionError(
                f"{norm} has no verified snapshot yet: name one with --archive, "
                "or a new address with --replace"
            )
        archive = fb.archive_url
    return store.decisions.add(
        kind="accept", url=norm, archive_url=archive, replace_url=replace, reason=reason,
        by=who(by),
    )  # fmt: skip


def override(
    store: Store, url: str, verdict: str, reason: str, until: dt.date | None, by: str | None
) -> Decision:
    """A human's verdict for a URL (a false positive: "alive, the site blocks bots"); checks
    go on and are stored, the report shows both."""
    norm = _cited(store, url)
    try:
        Verdict(verdict)
    except ValueError:
        raise DecisionError(
            f"{verdict!r} is not a verdict (one of {', '.join(v.value for v in Verdict)})"
        ) from None
    if not reason or not reason.strip():
        raise DecisionError("an override needs --reason: the next maintainer will ask why")
    if until is not None and until < dt.datetime.now(dt.UTC).date():
        raise DecisionError(f"--until {until} is past: the override would never take effect")
    return store.decisions.add(
        kind="override", url=norm, verdict=verdict, reason=reason.strip(), until=until,
        by=who(by),
    )  # fmt: skip


def undo(store: Store, decision_id: int) -> Decision:
    d = store.decisions.undo(decision_id)
    if d is None:
        raise DecisionError(f"no decision {decision_id} (see `monitor decisions`)")
    return d
