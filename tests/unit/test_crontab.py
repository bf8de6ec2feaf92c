"""Crontab lines as administrators write them (issue 18): cron(8)'s weekday numbers, in
the configured time zone; APScheduler alone fires `0 6 * * 1` on Tuesday, in UTC."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from monitor.api import report_due
from monitor.config import ConfigError, Settings, load_settings
from monitor.core.crontab import CronError, day_of_week, trigger, zone

SYDNEY = zoneinfo.ZoneInfo("Australia/Sydney")


@pytest.mark.parametrize(
    ("field", "days"),
    [
        ("1", "mon"), ("0", "sun"), ("7", "sun"), ("1-5", "mon,tue,wed,thu,fri"),
        ("5-7", "fri,sat,sun"), ("sun-tue", "mon,tue,sun"), ("6-1", "mon,sat,sun"),
        ("*/2", "tue,thu,sat,sun"), ("1-5/2", "mon,wed,fri"), ("mon,Wed,FRIDAY", "mon,wed,fri"),
        ("*", "*"),
    ],
)  # fmt: skip
def test_weekdays_read_as_cron_reads_them(field: str, days: str) -> None:
    assert day_of_week(field) == days


@pytest.mark.parametrize("bad", ["8", "funday", "1/0", "mon-"])
def test_bad_weekdays_are_refused(bad: str) -> None:
    with pytest.raises(CronError):
        day_of_week(bad)


def test_monday_0600_fires_on_monday_in_the_configured_zone() -> None:
    s = Settings(schedule={"report_cron": "0 6 * * 1", "timezone": "Australia/Sydney"})
    t = s.schedule.report_trigger()
    sunday_noon = dt.datetime(2026, 12, 6, 12, 0, tzinfo=SYDNEY)  # a Sunday in Sydney
    fire = t.get_next_fire_time(None, sunday_noon)
    assert fire.astimezone(SYDNEY).strftime("%a %H:%M") == "Mon 06:00"
    assert fire.astimezone(dt.UTC) == dt.datetime(2026, 12, 6, 19, 0, tzinfo=dt.UTC)  # AEDT
    # cron mode asks the same question: due after Monday 06:00 Sydney, not before
    last = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert not report_due(last, fire - dt.timedelta(minutes=1), "0 6 * * 1", SYDNEY)
    assert report_due(last, fire + dt.timedelta(minutes=1), "0 6 * * 1", SYDNEY)
    # 7 and the name are Sunday, as in cron(8)
    sun = trigger("0 6 * * 7", SYDNEY).get_next_fire_time(None, sunday_noon)
    assert sun.astimezone(SYDNEY).strftime("%a %Y-%m-%d") == "Sun 2026-12-13"


def test_unset_zone_is_the_machines_and_bad_zones_are_config_errors(tmp_path) -> None:
    assert zone(None) is not None
    cfg = tmp_path / "c.toml"
    cfg.write_text("[schedule]\ntimezone = 'Mars/Olympus'\n")
    with pytest.raises(ConfigError, match=r"line 2: schedule.timezone.*not an IANA time zone"):
        load_settings(cfg)
    cfg.write_text("[schedule]\nreport_cron = '0 6 * * 9'\n")
    with pytest.raises(ConfigError, match=r"report_cron.*day of week 9"):
        load_settings(cfg)
