from pathlib import Path

import pytest

from monitor.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_sample_config_is_valid_and_documented() -> None:
    s = load_settings(ROOT / "config.toml")
    assert s.database.url.startswith("sqlite:///")
    assert s.archive.endpoints[0].name == "internet-archive"
    assert "web.archive.org" in s.archive.hosts()
    assert "+" in s.check.agent() and s.check.agent().startswith("monitor/")


MINE = "[[archive.endpoints]]\nname = 'mine'\ncdx = 'http://a.example/cdx'\nreplay = 'http://a.example/{timestamp}/{url}'\n"


@pytest.mark.parametrize(
    ("body", "names"),
    [
        (MINE, ["mine", "internet-archive"]),  # adding an archive keeps the default (issue 32)
        ("[archive]\nreplace = true\n" + MINE, ["mine"]),
        ("[archive]\nendpoints = []\n", []),  # none at all, said plainly
        ("[archive]\nlookup_days = 3\n", ["internet-archive"]),
        (
            MINE.replace("'mine'", "'internet-archive'") + "rate_per_minute = 5\n",
            ["internet-archive"],
        ),
    ],
)
def test_a_files_archives_add_to_the_default_unless_it_says_replace(
    tmp_path: Path, body: str, names: list[str]
) -> None:
    f = tmp_path / "c.toml"
    f.write_text(body)
    endpoints = load_settings(f).archive.endpoints
    assert [e.name for e in endpoints] == names
    if names == ["internet-archive"] and "rate_per_minute" in body:
        assert endpoints[0].rate_per_minute == 5 and "a.example" in endpoints[0].cdx


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    s = load_settings()
    assert s.source == "built-in defaults"
    assert s.check.per_host_concurrency == 2


def test_unknown_key_names_the_key_and_the_file(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text("[check]\ntimout = 5\n")
    with pytest.raises(ConfigError) as err:
        load_settings(f)
    assert str(f) in str(err.value) and "check.timout: unknown key" in str(err.value)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("[check]\nconcurrency = 0\n", "check.concurrency"),
        ("[check]\nread_timeout = 'soon'\n", "check.read_timeout"),
        ("[database]\nurl = 'monitor.sqlite'\n", "database.url"),
        ("[database\nurl=1", "not valid TOML"),
        ("[[archive.endpoints]]\nname = 'x'\n", "archive.endpoints.0.cdx"),
    ],
)
def test_bad_values(tmp_path: Path, body: str, fragment: str) -> None:
    f = tmp_path / "c.toml"
    f.write_text(body)
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.")):
        load_settings(f)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_settings(tmp_path / "nope.toml")


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "c.toml"
    f.write_text("[database]\nurl = 'sqlite:///a.sqlite'\n[check]\nper_host_concurrency = 4\n")
    monkeypatch.setenv("MONITOR_DATABASE__URL", "sqlite:///b.sqlite")
    monkeypatch.setenv("MONITOR_CONFIG", str(f))
    s = load_settings()
    assert s.database.url == "sqlite:///b.sqlite"
    assert s.check.per_host_concurrency == 4  # the rest of the file still applies
    monkeypatch.setenv("MONITOR_CHECK__PER_HOST_CONCURRENCY", "oops")
    with pytest.raises(ConfigError, match="per_host_concurrency") as err:
        load_settings()
    assert str(err.value).startswith(
        "environment variable MONITOR_CHECK__PER_HOST_CONCURRENCY: check.per_host_concurrency:"
    )  # not line 1 of the file, which says 4


def test_errors_name_the_line_and_the_fix(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text("[check]\ncontact = 'mailto:a@b.org'\ntimout = 5\nper_host_rate = -1\n[databse]\n")
    with pytest.raises(ConfigError) as err:
        load_settings(f)
    msg = str(err.value)
    assert f"{f}, line 3: check.timout: unknown key (did you mean timeout?)" in msg
    assert (
        f"{f}, line 4: check.per_host_rate: Input should be greater than or equal to 0 (got -1)"
        in msg
    )
    assert f"{f}, line 5: databse: unknown key (did you mean database?)" in msg


def test_an_error_names_the_line_of_its_own_table(tmp_path: Path) -> None:
    """`timeout` in [archive] and in [check]: the bad one is named by its line, not the
    first line that says `timeout` (the same key finder as `monitor config`)."""
    f = tmp_path / "c.toml"
    f.write_text("[archive]\ntimeout = 5\n[check]\ntimeout = -1\n")
    with pytest.raises(ConfigError, match=r"line 4: check\.timeout: Input should be greater"):
        load_settings(f)
