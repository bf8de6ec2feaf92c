"""The registries: input formats (suffixes, detection, readers, note style) and report
formats (renderers; the configuration, the API and the command line read the same table)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import api
from monitor.config import ConfigError, Settings, load_settings
from monitor.core.results import Extraction
from monitor.pages.extract import READERS, extract
from monitor.pages.formats import FORMATS, NAMES, PAGE_SUFFIXES, detect_format
from monitor.pages.ingest import expand_inputs
from monitor.report import formats as report_formats
from monitor.report.build import build_report
from monitor.store import open_store


def test_every_input_format_has_a_reader_and_the_api_offers_each() -> None:
    assert set(READERS) == set(FORMATS) and api.INPUT_FORMATS == NAMES


@pytest.mark.parametrize("fmt", [f for f in NAMES if f in ("html", "markdown")])
def test_every_suffix_of_a_named_format_is_read_as_it(fmt: str) -> None:
    for suffix in FORMATS[fmt].suffixes:
        assert detect_format(f"page{suffix}", "plain words") == fmt


def test_a_directory_yields_every_page_suffix_and_nothing_else(tmp_path: Path) -> None:
    for suffix in PAGE_SUFFIXES:
        (tmp_path / f"page{suffix}").write_text("https://example.org/a\n")
    for other in ("notes.php", "style.css", "script.js"):
        (tmp_path / other).write_text("<p>not a page file</p>")
    sources, problems = expand_inputs([str(tmp_path)])
    assert not problems
    assert {Path(s.location).suffix for s in sources} == PAGE_SUFFIXES
    assert ".mdown" in PAGE_SUFFIXES  # detected as Markdown, and now found in directories


def test_a_saved_page_with_a_program_suffix_is_read_by_its_content() -> None:
    assert detect_format("page.php", "<!doctype html><p><a href='https://a.example/'>A</a>") == "html"


@pytest.mark.parametrize("fmt", NAMES)
def test_each_format_reads_a_link_and_writes_its_own_note(fmt: str) -> None:
    page = {
        "html": '<ul><li><a href="https://a.example/x">Report on floods</a></li></ul>',
        "markdown": "- [Report on floods](https://a.example/x)\n",
        "text": "Report on floods\nhttps://a.example/x\n",
        "rst": "References\n==========\n\n.. [1] Report on floods\n   https://a.example/x\n",
        "urls": "https://a.example/x Report on floods\n",
    }[fmt]
    ex: Extraction = extract(page, fmt=fmt)
    assert ex.format == fmt and [c.url for c in ex.citations] == ["https://a.example/x"]
    note = FORMATS[fmt].note("An archived copy", "https://web.archive.org/web/2020/x", "\n")
    assert "https://web.archive.org/web/2020/x" in note and "An archived copy" in note


def test_report_formats_are_one_table_for_config_api_and_files(tmp_path: Path) -> None:
    assert api.REPORT_FORMATS == report_formats.NAMES
    assert Settings().report.formats == list(report_formats.NAMES)
    cfg = tmp_path / "config.toml"
    cfg.write_text('[report]\nformats = ["md", "htm"]\n')
    with pytest.raises(ConfigError, match="did you mean 'html'"):
        load_settings(str(cfg))


@pytest.mark.parametrize("name", report_formats.NAMES)
def test_every_report_format_renders_an_empty_report(name: str) -> None:
    store = open_store("sqlite://")
    text = report_formats.render(build_report(store), name)
    assert text.strip()
    store.close()


def test_archives_are_made_by_kind_and_an_unknown_kind_is_a_config_error() -> None:
    import asyncio

    from monitor.archives.base import KINDS, archive_for
    from monitor.archives.wayback import CdxArchive
    from monitor.config import ArchiveEndpoint

    cfg = ArchiveEndpoint(name="ia", cdx="https://a.example/cdx", replay="https://a.example/web/{timestamp}/{url}")
    assert cfg.kind == "cdx" and set(KINDS) == {"cdx"}

    async def made() -> object:
        return archive_for(cfg)

    archive = asyncio.run(made())
    assert isinstance(archive, CdxArchive) and archive.name == "ia"
    assert archive.replay_url("2020", "https://x.example/", raw=True) == "https://a.example/web/2020id_/https://x.example/"
    with pytest.raises(ConfigError, match="unknown kind 'memento'"):
        archive_for(cfg.model_copy(update={"kind": "memento"}))


def test_every_count_column_has_its_colour_in_the_html_report() -> None:
    """A new verdict is its member in core/verdict.py and its colour here: this says so."""
    from monitor.report.build import COUNT_COLUMNS
    from monitor.report.html import VERDICT_COLOURS

    assert set(COUNT_COLUMNS) <= set(VERDICT_COLOURS)
