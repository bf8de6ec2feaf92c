"""Store behaviour on SQLite and on the real PostgreSQL server (fixture `store`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from monitor import api
from monitor.config import ScheduleSettings
from monitor.core.due import Confirmation, transition
from monitor.core.results import CheckResult
from monitor.core.verdict import Hop, Verdict
from monitor.report.build import build_report
from monitor.report.markdown import render_markdown
from monitor.store import MIGRATIONS, Store, StoreError, open_store
from monitor.store.engine import HEAD, table, write_many
from monitor.store.models import Url, UrlCheck
from tests.conftest import make_settings
from tests.world import World, closed_port

SEEDS = Path(__file__).resolve().parents[1] / "seeds"


# one citation of the local world's article, cited by its own title
ONE_ARTICLE = [("/article/a", "Kazak Women Sold as Sex Slaves (Alpha)", "[accessed 2011]")]


def page(world: World, entries: list[tuple[str, str, str]]) -> str:
    """A gvnet-style citation page; entries are (path, title, stamp)."""
    blocks = [
        f'<p><a href="{world.url(p)}"><b>{t}</b></a><br>Publisher, 2005<br>{s}</p>'
        "<p>When teenagers Lyuda and Sveta were offered work in Turkey, the promised salary "
        "of 400-450 US dollars per month was beyond their wildest dreams.</p>"  # the quote
        for p, t, s in entries
    ]
    return "<html><head><title>Test page</title></head><body>" + "".join(blocks) + "</body></html>"


def ingest_page(
    store: Store, world: World, tmp_path: Path, entries: list[tuple[str, str, str]], settings
) -> Path:
    """Write a citation page of `entries` and ingest it; the file, for re-ingesting."""
    f = tmp_path / "page.html"
    f.write_text(page(world, entries))
    api.ingest(store, [str(f)], settings)
    return f


def result(url: str, verdict: Verdict, when: dt.datetime, status: int | None = 200) -> CheckResult:
    return CheckResult(
        url=url,
        verdict=verdict,
        reason="test",
        http_status=status,
        final_url=url,
        checked_at=when,
        elapsed_ms=5,
        redirect_chain=[Hop(url + "?old", 301)],
    )


def test_schema_is_migrated_with_alembic(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert {
        "document",
        "citation",
        "url",
        "url_check",
        "verified_access",
        "archive_link",
        "run",
        "alembic_version",
    } <= tables
    with store.engine.connect() as conn:
        head = ScriptDirectory.from_config(_alembic_cfg()).get_current_head()
        assert conn.execute(text("select version_num from alembic_version")).scalar() == head
    assert head == "0011" == HEAD  # what a database at head is opened by, without Alembic
    assert store.db.at_head()
    store.migrate()  # idempotent


def _alembic_cfg() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def test_migration_from_0001_keeps_data_and_backfills_status(request, tmp_path: Path) -> None:
    """A database made by the first release upgrades in place (SQLite and PostgreSQL)."""
    for kind in ("sqlite", "postgres"):
        url = (
            f"sqlite:///{tmp_path / 'old.sqlite'}"
            if kind == "sqlite"
            else request.getfixturevalue("pg_url")
        )
        old = open_store(url, migrate=False)
        cfg = _alembic_cfg()
        with old.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0001")
            now = dt.datetime.now(dt.UTC)
            conn.execute(
                text(
                    "INSERT INTO url (url, host, first_seen_at, last_verdict, consecutive_failures) "
                    "VALUES ('http://a.example/', 'a.example', :t, 'dead', 1), "
                    "('http://b.example/', 'b.example', :t, 'alive', 0), "
                    "('http://c.example/', 'c.example', :t, NULL, 0)"
                ),
                {"t": now},
            )
        old.migrate()  # what open_store does on every start
        with old.engine.connect() as conn:
            rows = dict(conn.execute(text("SELECT url, status FROM url")).all())
        assert rows == {
            "http://a.example/": "failing",
            "http://b.example/": "alive",
            "http://c.example/": "unchecked",
        }
        old.close()


def test_ingest_seeds_and_reingest_without_duplicates(store: Store) -> None:
    settings = make_settings()
    results = api.ingest(store, [str(SEEDS)], settings)
    by = {Path(r.source).name: r for r in results}
    assert by["kazakhstan.html"].stats.citations == 23
    assert by["kazakhstan.html"].stats.linked == 15
    assert by["kazakhstan.txt"].stats.unlinked == 21
    counts = store.reports.table_counts()
    assert counts["citation"] == 44 and counts["url"] == 15
    again = api.ingest(store, [str(SEEDS)], settings)
    assert all(r.stats.added == 0 and r.stats.removed == 0 for r in again if r.stats)
    assert store.reports.table_counts()["citation"] == 44
    rows = store.pages.citation_rows()
    kazak = next(c for c, u, d in rows if c.title == "Kazak Women Sold as Sex Slaves" and u)
    assert [s["date"] for s in kazak.stamps] == ["2011-02-16", "2017-06-07"]


def test_reingest_marks_removed_and_keeps_history(
    store: Store, world: World, tmp_path: Path
) -> None:
    settings = make_settings()
    f = ingest_page(
        store,
        world,
        tmp_path,
        [
            ("/article/a", "Kazak Women Sold as Sex Slaves (Alpha)", "[accessed 16 February 2011]"),
            ("/article/b", "Kazak Women Sold as Sex Slaves (Beta)", "[accessed 1 March 2012]"),
        ],
        settings,
    )
    summary = api.run(store, settings)
    assert summary.counts == {"alive": 2}
    (again,) = api.ingest(store, [str(f)], settings)  # next week, the page as it was
    assert (again.stats.added, again.stats.updated, again.stats.unchanged) == (0, 0, 2)
    # Beta disappears, Alpha gets a new stamp, Gamma is new.
    f.write_text(
        page(
            world,
            [
                (
                    "/article/a",
                    "Kazak Women Sold as Sex Slaves (Alpha)",
                    "[accessed 16 February 2011] [accessed 7 June 2017]",
                ),
                ("/article/c", "Kazak Women Sold as Sex Slaves (Gamma)", "[accessed 2019]"),
            ],
        )
    )
    (res,) = api.ingest(store, [str(f)], settings)
    assert (res.stats.added, res.stats.updated, res.stats.removed) == (1, 1, 1)
    live = {c.title for c, _, _ in store.pages.citation_rows()}
    assert live == {
        "Kazak Women Sold as Sex Slaves (Alpha)",
        "Kazak Women Sold as Sex Slaves (Gamma)",
    }
    everything = {c.title: c for c, _, _ in store.pages.citation_rows(include_removed=True)}
    assert everything["Kazak Women Sold as Sex Slaves (Beta)"].removed_at is not None
    assert len(store.checks.history(world.url("/article/b"))) == 1  # history kept
    # Only URLs of live citations are due: Beta's URL is no longer checked.
    due = store.checks.due_urls(dt.datetime.now(dt.UTC), everything=True)
    assert world.url("/article/b") not in due and world.url("/article/c") in due


def test_run_records_checks_and_verified_access_dates(
    store: Store, world: World, tmp_path: Path
) -> None:
    settings = make_settings()
    ingest_page(
        store,
        world,
        tmp_path,
        [
            ("/article/a", "Kazak Women Sold as Sex Slaves (Alpha)", "[accessed 16 February 2011]"),
            ("/missing", "Gone", "[accessed 1 March 2012]"),
            ("/old", "Kazak Women Sold as Sex Slaves (Moved)", "[accessed 2 March 2012]"),
        ],
        settings,
    )
    summary = api.run(store, settings)
    assert summary.counts == {"alive": 1, "dead": 1, "moved": 1}
    assert not summary.all_alive
    # Nothing is due right after a run; --all checks again.
    assert api.run(store, settings).due == 0
    assert api.run(store, settings, everything=True).due == 3
    hist = store.checks.history(world.url("/old"))
    assert len(hist) == 2 and hist[0].verdict == "moved"
    assert hist[0].redirect_chain == [{"url": world.url("/old"), "status": 301}]
    assert hist[0].checked_at.tzinfo is not None
    gone = store.pages.url(world.url("/missing"))
    assert gone.consecutive_failures == 2 and gone.first_failure_at is not None
    verified = store.pages.verified_dates()
    alpha = next(
        c
        for c, _, _ in store.pages.citation_rows()
        if c.title == "Kazak Women Sold as Sex Slaves (Alpha)"
    )
    assert verified == {alpha.id: dt.datetime.now(dt.UTC).date()}  # one row despite two runs
    assert store.reports.table_counts()["verified_access"] == 1


def test_each_verified_access_date_points_at_the_check_that_verified_it(
    store: Store, world: World, tmp_path: Path
) -> None:
    """History rows get their ids in batch order (on SQLite chosen by the store, not
    returned by the database): each access date names its own check, a URL twice in a
    batch included, and a second batch carries on after the first."""
    settings = make_settings()
    paths = ["/article/a", "/article/b", "/article/c"]
    ingest_page(store, world, tmp_path, [(p, p[-1].upper(), "[accessed 2011]") for p in paths],
                settings)  # fmt: skip
    a, b, c = (world.url(p) for p in paths)
    day = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)
    step = transition(ScheduleSettings())
    first = [result(a, Verdict.ALIVE, day), result(b, Verdict.DEAD, day, 404),
             result(c, Verdict.ALIVE, day), result(a, Verdict.ALIVE, day + dt.timedelta(days=1))]  # fmt: skip
    store.checks.record_results(first, step, None)
    store.checks.record_results([result(b, Verdict.ALIVE, day + dt.timedelta(days=2))], step, None)
    with store.engine.connect() as conn:
        checks = conn.execute(text(
            "SELECT url_check.id, url.url, url_check.verdict, url_check.checked_at FROM url_check"
            " JOIN url ON url.id = url_check.url_id ORDER BY url_check.id"
        )).all()  # fmt: skip
        dates = conn.execute(text(
            "SELECT url.url, v.accessed_on, v.check_id FROM verified_access v"
            " JOIN citation ON citation.id = v.citation_id JOIN url ON url.id = citation.url_id"
            " ORDER BY v.accessed_on, url.url"
        )).all()  # fmt: skip
    assert [(u, v) for _, u, v, _ in checks] == [
        (a, "alive"),
        (b, "dead"),
        (c, "alive"),
        (a, "alive"),
        (b, "alive"),
    ]
    ids = [i for i, *_ in checks]
    assert ids == sorted(set(ids))
    want = [(a, day.date(), ids[0]), (c, day.date(), ids[2]),
            (a, day.date() + dt.timedelta(days=1), ids[3]), (b, day.date() + dt.timedelta(days=2), ids[4])]  # fmt: skip
    assert [(u, dt.date.fromisoformat(str(d)), i) for u, d, i in dates] == want


def test_rows_written_in_bulk_are_stored_as_sqlalchemy_stores_them(
    store: Store, world: World, tmp_path: Path
) -> None:
    """`engine.write_many` hands rows to the driver with each column's conversion done as
    SQLAlchemy does it: the stored values (SQLite's datetime text, JSON, booleans, floats)
    are the very ones SQLAlchemy's own INSERT and UPDATE write."""
    settings = make_settings()
    ingest_page(store, world, tmp_path, ONE_ARTICLE, settings)
    url_id = store.pages.url(world.url("/article/a")).id
    when = dt.datetime(2026, 3, 1, 12, 30, 5, 123456, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    row = {
        "url_id": url_id, "run_id": None, "checked_at": when, "verdict": "alive", "reason": "ok",
        "http_status": 200, "final_url": None, "redirect_chain": [{"url": "u", "status": 301}],
        "elapsed_ms": 7, "error_class": None, "fingerprint": "v2" + "0" * 16, "page_title": "T",
        "status": "alive", "failures": 0, "title_score": 91.5, "changed": False, "attempts": 1,
        "passage_found": True, "evidence": {"unchanged": True, "title": ["og:title", 1.0]},
    }  # fmt: skip
    check_t, url_t = table(UrlCheck), table(Url)
    with store.engine.begin() as conn:
        conn.execute(check_t.insert(), [{**row, "id": 1001}])
        write_many(conn, check_t, [{**row, "id": 1002}])
        conn.execute(url_t.update().where(url_t.c.id == url_id).values(next_due_at=when))
        first = conn.exec_driver_sql("SELECT next_due_at FROM url").scalar_one()
        write_many(conn, url_t, [{"id": url_id, "next_due_at": when}], key="id")
        again = conn.exec_driver_sql("SELECT next_due_at FROM url").scalar_one()
        cols = ", ".join(c for c in row)
        a, b = conn.exec_driver_sql(f"SELECT {cols} FROM url_check ORDER BY id").all()
    assert a == b and first == again
    assert store.checks.history(world.url("/article/a"))[0].checked_at == when


def test_record_results_is_atomic(store: Store, world: World, tmp_path: Path) -> None:
    settings = make_settings()
    ingest_page(store, world, tmp_path, ONE_ARTICLE, settings)
    good = result(world.url("/article/a"), Verdict.ALIVE, dt.datetime.now(dt.UTC))
    bad = result(world.url("/article/a"), Verdict.ALIVE, dt.datetime.now(dt.UTC))
    bad.elapsed_ms = None  # violates NOT NULL: the whole batch must roll back
    with pytest.raises(IntegrityError):
        store.checks.record_results([good, bad], transition(ScheduleSettings()))
    assert store.reports.table_counts()["url_check"] == 0
    assert store.pages.url(world.url("/article/a")).last_verdict is None


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open database"):
        open_store("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(StoreError, match="not a database URL"):
        open_store("not a url")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="does not exist: create it"):
        open_store(f"sqlite:///{blocker}/sub/db.sqlite")


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    s = open_store(f"sqlite:///{tmp_path / 'w.sqlite'}")
    with s.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    s.close()


def test_ingest_a_page_url_resolves_relative_links(store: Store, world: World) -> None:
    settings = make_settings()
    (res,) = api.ingest(store, [world.url("/pages/kazakhstan.htm")], settings)
    assert res.ok and res.format == "html" and res.stats.linked == 2
    rows = store.pages.citation_rows()
    assert [(c.title, u.url) for c, u, _ in rows] == [
        ("Kazak Women Sold as Sex Slaves", world.url("/article/iwpr")),
        ("Atyrau authorities plan to prevent human trafficking", world.url("/gone")),
    ]
    assert rows[0][2].kind == "url" and rows[0][2].title == "Human Trafficking - Kazakhstan"
    summary = api.run(store, settings)
    assert summary.counts == {"alive": 1, "dead": 1}
    (bad,) = api.ingest(store, [world.url("/no-such-page")], settings)
    assert bad.error == "HTTP 404 fetching the page"


def test_death_is_confirmed_over_time_and_recovery_reported(
    store: Store, world: World, tmp_path: Path
) -> None:
    settings = make_settings()
    ingest_page(
        store,
        world,
        tmp_path,
        [("/article/a", "Alpha report on trafficking", "[accessed 2011]")],
        settings,
    )
    url = world.url("/article/a")
    rule = Confirmation(3, 6)
    t0 = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    day = dt.timedelta(days=1)
    sched = ScheduleSettings(jitter=0)
    for i, (verdict, when) in enumerate(
        [
            (Verdict.DEAD, t0),
            (Verdict.TRANSIENT, t0 + 3 * day),
            (Verdict.SOFT404, t0 + 3 * day),
            (Verdict.DEAD, t0 + 6 * day),
        ]
    ):
        store.checks.record_results([result(url, verdict, when)], transition(sched, rule))
        u = store.pages.url(url)
        assert u.status == ["failing", "failing", "failing", "dead"][i]
        assert u.consecutive_failures == [1, 1, 2, 3][i]
    assert store.pages.url(url).first_failure_at == t0
    report = build_report(store, rule)
    assert [i.url for i in report.dead] == [url] and not report.failing
    store.checks.record_results(
        [result(url, Verdict.ALIVE, t0 + 40 * day)], transition(sched, rule)
    )
    assert store.pages.url(url).status == "recovered"
    report = build_report(store, rule)
    assert [i.url for i in report.recovered] == [url] and not report.dead
    assert "## Recovered (1)" in render_markdown(report)
    assert [h.status for h in store.checks.history(url)][:2] == ["recovered", "dead"]


def test_large_content_change_is_flagged(store: Store, world: World, tmp_path: Path) -> None:
    settings = make_settings()
    ingest_page(store, world, tmp_path, [("/mutable", "Mutable", "[accessed 2011]")], settings)
    article = " ".join(f"w{i}" for i in range(400))  # a 400-word article
    world.mutable = article
    api.run(store, settings)
    world.mutable = article.replace("w150", "amended")  # a one-word correction
    api.run(store, settings, everything=True)
    world.mutable = " ".join(f"x{i}" for i in range(400))  # another text altogether
    api.run(store, settings, everything=True)
    first, small, big = reversed(store.checks.history(world.url("/mutable")))
    assert first.changed is None and small.changed is False and big.changed is True
    assert "content changed a lot" in big.reason and big.verdict == "alive"


def test_outage_counts_nothing_as_failing(store: Store, tmp_path: Path) -> None:
    settings = make_settings()
    links = "\n".join(
        f"http://127.0.0.{i}:{closed_port(f'127.0.0.{i}')}/report" for i in range(20, 27)
    )
    f = tmp_path / "links.urls"
    f.write_text(links + "\n")
    api.ingest(store, [str(f)], settings)
    summary = api.run(store, settings)
    assert summary.outage == "7 of 7 hosts unreachable"
    assert summary.counts == {"transient": 7}
    for _, u, _ in store.pages.citation_rows():
        assert u.status == "unverified" and u.consecutive_failures == 0
        assert store.checks.history(u.url)[0].reason.startswith("network outage suspected")


def test_failed_canary_stops_the_run_before_any_check(
    store: Store, world: World, tmp_path: Path
) -> None:
    settings = make_settings(canary_url=f"http://127.0.0.1:{closed_port()}/")
    ingest_page(store, world, tmp_path, ONE_ARTICLE, settings)
    summary = api.run(store, settings)
    assert summary.outage and "canary" in summary.outage
    assert store.reports.table_counts()["url_check"] == 0
    assert (
        world.hits["/article/a"] == 0
        or store.pages.url(world.url("/article/a")).status == "unchecked"
    )


def test_migration_0006_renames_last_status_and_keeps_the_codes(tmp_path: Path) -> None:
    """`url.last_status` (an HTTP code beside `url.status`) became `last_http_status`; a
    database made before keeps its codes."""
    db = tmp_path / "old.sqlite"
    cfg = _alembic_cfg()
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0005")
        conn.execute(
            text(
                "INSERT INTO url (url, host, first_seen_at, last_status, status, "
                "consecutive_failures) VALUES ('http://x.org/a', 'x.org', '2026-01-01', 404, "
                "'failing', 1)"
            )
        )
    engine.dispose()
    store = open_store(f"sqlite:///{db}")
    try:
        assert store.pages.url("http://x.org/a").last_http_status == 404
        cols = {c["name"] for c in inspect(store.engine).get_columns("url")}
        assert "last_http_status" in cols and "last_status" not in cols
    finally:
        store.close()


def test_date_order_from_config_and_an_ambiguous_stamp_in_status(tmp_path: Path) -> None:
    page = tmp_path / "refs.html"
    page.write_text(
        '<ol><li><a href="https://example.org/report">Annual report</a>. Example Org, 2010. '
        "accessed 02/03/2011</li></ol>"
    )
    as_written = open_store(f"sqlite:///{tmp_path / 'a.sqlite'}")
    api.ingest(as_written, [str(page)], make_settings())
    (row,) = api.status_rows(as_written, make_settings())
    assert row.stamps[0]["date"] == "2011-01-01" and row.stamps[0]["precision"] == "year"
    assert "order unknown" in row.stamps_text  # `monitor status` says why
    told = make_settings()
    told.ingest.date_order = "dmy"
    as_told = open_store(f"sqlite:///{tmp_path / 'b.sqlite'}")
    api.ingest(as_told, [str(page)], told)
    (row,) = api.status_rows(as_told, told)
    assert row.stamps[0]["date"] == "2011-03-02" and row.stamps_text == "2011-03-02"
    as_written.close()
    as_told.close()


def test_the_daemon_reads_again_page_urls_and_changed_page_files(
    store: Store, tmp_path: Path
) -> None:
    """A page file edited (or replaced by its patched copy) is read again by the daemon's
    daily job; one unchanged, or gone, is not."""
    settings = make_settings()
    pages = [tmp_path / f"p{i}.urls" for i in range(3)]
    for i, p in enumerate(pages):
        p.write_text(f"https://h{i}.example/a\n")
    api.ingest(store, [str(p) for p in pages], settings)
    assert api.pages_to_reread(store) == []
    pages[0].write_text("https://h0.example/a\nhttps://h0.example/b\n")
    pages[2].unlink()
    assert api.pages_to_reread(store) == [str(pages[0].resolve())]


def test_write_many_inserts_as_sqlalchemys_insert_does(store: Store) -> None:
    """Columns a row leaves out get their fixed defaults (a new URL is "unchecked", not
    NULL); a computed default must be given; a row already there is left as it is."""
    from monitor.core.times import utcnow
    from monitor.store.engine import table, write_many
    from monitor.store.models import Url

    url_t, now = table(Url), utcnow()
    rows = [{"url": f"https://w.example/{i}", "host": "w.example", "first_seen_at": now}
            for i in range(3)]  # fmt: skip
    with store.db.session() as s, s.begin():
        write_many(s.connection(), url_t, rows, unique=("url",))
        write_many(s.connection(), url_t, rows[:1], unique=("url",))  # there already
        with pytest.raises(ValueError, match="first_seen_at"):
            write_many(s.connection(), url_t, [{"url": "https://w.example/x", "host": "w"}])
    with store.db.session() as s:
        stored = s.connection().execute(url_t.select()).mappings().all()
    assert len(stored) == 3
    assert {(r["status"], r["consecutive_failures"], r["ignored"]) for r in stored} == {
        ("unchecked", 0, False)
    }


def test_write_many_converts_a_repeated_value_once_and_every_other_value_itself(
    store: Store,
) -> None:
    """A batch's shared `now` is converted once, yet each row keeps its own value: the same
    object repeated, an equal one, a different one, None, and the same object again."""
    from sqlmodel import select

    from monitor.store.engine import table, write_many
    from monitor.store.models import Url

    url_t = table(Url)
    t0 = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    t1 = dt.datetime(2027, 6, 7, 8, 9, 10, tzinfo=dt.UTC)
    seen = [t0, t0, dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC), t1, t0]
    due = [None, t1, t1, None, t0]
    rows = [{"url": f"https://w.example/{i}", "host": "w.example", "first_seen_at": s,
             "next_due_at": d} for i, (s, d) in enumerate(zip(seen, due, strict=True))]  # fmt: skip
    with store.db.session() as s, s.begin():
        write_many(s.connection(), url_t, rows)
    with store.db.session() as s:
        got = s.exec(select(Url).order_by(Url.id)).all()  # type: ignore[arg-type]
    assert [(u.first_seen_at, u.next_due_at) for u in got] == list(zip(seen, due, strict=True))


def test_a_bulk_ingest_refreshes_the_planners_statistics(
    store: Store, world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an ingest that added many citations, PostgreSQL is told what the tables hold
    (ANALYZE), so the first run's "what is due" is not planned on the old counts; a small
    ingest leaves that to autovacuum, and SQLite has nothing to do."""
    import time

    from sqlalchemy import text

    from monitor.pages import ingest as ingest_stage

    def analyzed() -> int:
        if store.engine.dialect.name != "postgresql":
            return 0
        with store.engine.connect() as c:
            return c.execute(
                text("SELECT analyze_count FROM pg_stat_user_tables WHERE relname = 'citation'"
                     " AND schemaname = current_schema()")
            ).scalar_one()  # fmt: skip

    settings = make_settings()
    before = analyzed()
    ingest_page(store, world, tmp_path, ONE_ARTICLE, settings)  # one citation: not a bulk load
    assert analyzed() == before
    monkeypatch.setattr(ingest_stage, "BULK_ROWS", 1)
    (tmp_path / "more.html").write_text(page(world, [("/article/b", "Another", "x")]))
    api.ingest(store, [str(tmp_path / "more.html")], settings)
    if store.engine.dialect.name == "postgresql":  # the statistics counter is asynchronous
        for _ in range(50):
            if analyzed() > before:
                break
            time.sleep(0.1)
        assert analyzed() > before


def test_ingest_reads_and_stores_each_page_with_the_collector_held_back(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page's lines, citations and rows are hundreds of thousands of objects that are not
    cyclic garbage: collected every 700 new objects, they cost the ingest of a page of
    100,000 citations a sixth of its time. Held back while each page is read and stored,
    and the caller's thresholds put back after, a bad page included."""
    import gc

    from monitor.pages import ingest as ingest_module

    seen: list[int] = []
    real = ingest_module.load_source

    def load(*args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(gc.get_threshold()[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "load_source", load)
    page = tmp_path / "page.html"
    page.write_text("<ul><li><a href='https://example.org/a'>A report on the region</a></li></ul>")
    empty = tmp_path / "empty.html"
    empty.write_text("   ")
    before = gc.get_threshold()
    results = api.ingest(store, [str(empty), str(page)], make_settings())
    assert [r.error is not None for r in results] == [True, False]
    assert seen == [50_000, 50_000]
    assert gc.get_threshold() == before
