"""Crontab expressions as administrators write them, for APScheduler.

APScheduler 3 reads the day-of-week field its own way: 0 is Monday and 6 Sunday, so the
crontab line `0 6 * * 1` (Monday in cron(8)) would fire on Tuesday. Here the field is read
with cron's numbering (0 and 7 Sunday, 1 Monday ... 6 Saturday; names; ranges, lists and
steps, `5-7` and `sun-tue` included) and handed on as day names, which both agree on.
Pure: no clock, no I/O.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from apscheduler.triggers.cron import CronTrigger

from monitor.core.errors import CronError

NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"]
FULL = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]


def _day(token: str) -> int:
    t = token.strip().lower()
    if t.isdigit():
        n = int(t)
        if n > 7:
            raise CronError(f"day of week {t} is not 0-7 (0 and 7 are Sunday)")
        return n % 7
    if t in NAMES:
        return NAMES.index(t)
    if t in FULL:
        return FULL.index(t)
    raise CronError(f"{token!r} is not a day of the week (0-7 or sun, mon, ...)")


def day_of_week(field: str) -> str:
    """The crontab day-of-week field as APScheduler day names (`*` stays `*`)."""
    if field.strip() == "*":
        return "*"
    days: set[int] = set()
    for part in field.split(","):
        rng, _, step_s = part.partition("/")
        step = int(step_s) if step_s.isdigit() and int(step_s) > 0 else None
        if step_s and step is None:
            raise CronError(f"step {step_s!r} in {part!r} is not a positive number")
        if rng == "*":
            first, last = 0, 6
        elif "-" in rng:
            a, b = rng.split("-", 1)
            first, last = _day(a), _day(b)
            if b.strip() == "7":
                last = 7  # 5-7: Friday to Sunday
            if last < first:  # sun-tue written with names, or 6-1: wrap around the week
                last += 7
        else:
            first = last = _day(rng)
            if step:
                last = 6
        days.update(d % 7 for d in range(first, last + 1, step or 1))
    return ",".join(NAMES[d] for d in sorted(days, key=lambda d: (d - 1) % 7))


def zone(name: str | None) -> dt.tzinfo:
    """An IANA time zone by name; None: the machine's own."""
    if not name:
        from tzlocal import get_localzone  # APScheduler's own dependency

        return get_localzone()
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise CronError(f"{name!r} is not an IANA time zone (such as Europe/Paris)") from None


def trigger(expr: str, tz: dt.tzinfo) -> CronTrigger:
    """A CronTrigger firing when cron(8) would fire `expr` in the zone `tz`."""
    fields = expr.split()
    if len(fields) != 5:
        raise CronError(f"{expr!r} has {len(fields)} fields; a crontab line has 5")
    minute, hour, day, month, dow = fields
    try:
        return CronTrigger(
            minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week(dow),
            timezone=tz,
        )  # fmt: skip
    except ValueError as exc:
        raise CronError(str(exc)) from None
