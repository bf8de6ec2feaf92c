"""Configuration: `config.toml` validated by typed models, overridden by the environment.

Which file: `--config PATH`, else `$MONITOR_CONFIG`, else `./config.toml` when present, else
built-in defaults. Environment variables override the file: `MONITOR_DATABASE__URL`,
`MONITOR_CHECK__PER_HOST_CONCURRENCY=1` (double underscore between section and key).

Unknown keys are errors, not silently ignored: a typo such as `timout = 5` would otherwise
leave the default in force and nobody would notice. `ConfigError` carries a message that
names the file and the key.
"""

from __future__ import annotations

import datetime as dt
import difflib
import fnmatch
import os
import re
import ssl
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from monitor.config_bounds import (
    DEFAULT_ARCHIVES,
    line_of,
    read_config,
    usable,
    with_default_archives,
)
from monitor.core.errors import ConfigError
from monitor.report.formats import NAMES as REPORT_FORMATS
from monitor.version import __version__

DEFAULT_CONTACT = "https://example.org/monitor-contact"


class _Section(BaseModel):
    # inf and nan pass `ge=0` and then divide by zero: every number must be finite
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _usable(cls, v: object, info: Any) -> object:
        return usable(info.field_name or "", v)


class DatabaseSettings(_Section):
    url: str = Field(
        "sqlite:///monitor.sqlite",
        description="SQLAlchemy URL; sqlite:///relative/path or postgresql+psycopg://...",
    )

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, v: str) -> str:
        if "://" not in v:
            raise ValueError("must be an SQLAlchemy URL such as sqlite:///monitor.sqlite")
        return v


class HostOverride(_Section):
    """Settings for the hosts matching `pattern` (a glob: "*.gov", "www.state.gov")."""

    pattern: str
    per_host_rate: float | None = Field(None, ge=0)
    per_host_concurrency: int | None = Field(None, ge=1, le=100)
    user_agent: str | None = None
    robots: Literal["respect", "ignore"] | None = None
    # sent only to these hosts (never on a redirect away from them); a value "$NAME" is
    # read from the environment, so secrets stay out of the file
    headers: dict[str, str] = Field(default_factory=dict)
    cookies: dict[str, str] = Field(default_factory=dict)

    def request_headers(self) -> tuple[tuple[str, str], ...]:
        out = [
            (k, _from_env(v, f"check.hosts {self.pattern} headers.{k}"))
            for k, v in self.headers.items()
        ]
        if self.cookies:
            jar = "; ".join(
                f"{k}={_from_env(v, f'check.hosts {self.pattern} cookies.{k}')}"
                for k, v in self.cookies.items()
            )
            out.append(("Cookie", jar))
        return tuple(out)


def _from_env(value: str, where: str) -> str:
    """`$NAME` or `${NAME}`: the environment's value (a secret kept out of the file)."""
    m = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", value.strip())
    if not m:
        return value
    if m.group(1) not in os.environ:
        raise ConfigError(f"{where}: the environment variable {m.group(1)} is not set")
    return os.environ[m.group(1)]


HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # RFC 9110 token
_RANGE = re.compile(r"(?:(\d+)?\.\.(=?))?(\d+)")


def regex_error(pattern: str, raise_it: bool = False) -> str | None:
    """Why `pattern` is not a regular expression (Python's `re`), or None."""
    try:
        re.compile(pattern)
    except re.error as exc:
        if raise_it:
            raise ValueError(f"{pattern!r} is not a regular expression ({exc})") from None
        return str(exc)
    return None


def accepted_statuses(text: str) -> frozenset[int]:
    """lychee's accepted status codes: `200..=299,403`, `200..300` (end left out), `..=299`
    (from 100), `403`; ValueError saying which part is wrong."""
    out: set[int] = set()
    for part in (p.strip() for p in text.split(",")):
        m = _RANGE.fullmatch(part)
        if not m:
            raise ValueError(
                f"{part!r} is not a status or a range (examples: 403, 200..300, 200..=299)"
            )
        if m.group(2) is None and not part.startswith(".."):  # a single status
            start = end = int(m.group(3))
        else:
            start = int(m.group(1) or 100)
            end = int(m.group(3)) - (0 if m.group(2) else 1)
        for code in (start, end):
            if not 100 <= code <= 999:
                raise ValueError(f"{part!r}: {code} is not an HTTP status (100-999)")
        if end < start:
            raise ValueError(f"{part!r} is an empty range")
        out.update(range(start, end + 1))
    return frozenset(out)


@dataclass(frozen=True)
class HostPolicy:
    """The politeness that applies to one host, overrides resolved."""

    rate: float  # requests per second; 0 = unlimited
    concurrency: int
    user_agent: str
    robots: str
    headers: tuple[tuple[str, str], ...] = ()  # extra request headers (cookies included)


class CheckSettings(_Section):
    contact: str = Field(DEFAULT_CONTACT, description="URL or mailto: put in the User-Agent")
    user_agent: str | None = Field(None, description="full User-Agent; default names the contact")
    connect_timeout: float = Field(10.0, gt=0)
    read_timeout: float = Field(20.0, gt=0)
    timeout: float = Field(45.0, gt=0, description="cap for one URL, redirects included")
    max_body_bytes: int = Field(256 * 1024, ge=1024, description="read at most this much")
    max_redirects: int = Field(20, ge=0, le=50)
    concurrency: int = Field(64, ge=1, le=2000, description="requests in flight overall")
    per_host_concurrency: int = Field(2, ge=1, le=100)
    per_host_rate: float = Field(1.0, ge=0, description="requests/s to one host; 0 = no limit")
    processes: int = Field(
        0,
        ge=0,
        le=64,
        description="processes checking a run's hosts: 0 = more than one only when the hosts'"
        " rate limits allow more than one process can do (up to the CPU count)",
    )
    client_shards: int = Field(
        4, ge=1, le=64, description="ignored: each host batch has its own client (old files load)"
    )
    verify_tls: bool = True
    ca_bundle: str | None = Field(None, description="extra CA file (PEM), e.g. a corporate CA")
    trust_env: bool = Field(False, description="honour HTTP(S)_PROXY etc. from the environment")
    robots: Literal["respect", "ignore"] = Field(
        "respect", description="respect: disallowed URLs are not fetched (verdict blocked)"
    )
    max_crawl_delay: float = Field(30.0, ge=0, description="cap on a robots.txt Crawl-delay")
    retries: int = Field(2, ge=0, le=10, description="extra attempts for transient failures")
    retry_wait: float = Field(1.0, ge=0, description="first backoff in seconds (doubles)")
    retry_after_cap: float = Field(
        30.0, ge=0, description="honour Retry-After up to this; longer: give up for this run"
    )
    confirm_checks: int = Field(3, ge=1, description="failing checks in a row before dead")
    confirm_days: float = Field(6.0, ge=0, description="...spanning at least this many days")
    sibling_probe: bool = Field(True, description="random-sibling soft-404 probe")
    title_threshold: float = Field(
        60.0, ge=0, le=100, description="title similarity (0-100) below which a page drifted"
    )
    change_bits: int = Field(
        12, ge=1, le=64, description="simhash bits that differ before content counts as changed"
    )
    transport: Literal["auto", "aiohttp", "httpx"] = Field(
        "auto",
        description="HTTP machinery of checks: aiohttp, called directly (its C parser, an "
        "eighth of httpx's CPU per page) or httpx's own; both guarded, both read the same way; "
        "auto: httpx for a check of a few URLs (no aiohttp to start), aiohttp for the rest",
    )
    conditional: bool = Field(
        True,
        description="re-check with the last good answer's ETag / Last-Modified: a 304 keeps "
        "the verdict (counted as unchanged) and costs the site no page",
    )
    outage_share: float = Field(
        0.9, gt=0, le=1, description="share of hosts unreachable that means *our* outage"
    )
    outage_min_hosts: int = Field(5, ge=1, description="...once at least this many hosts tried")
    canary_url: str | None = Field(None, description="a URL that must answer, else outage")
    hosts: list[HostOverride] = Field(default_factory=list)
    headers: dict[str, str] = Field(
        default_factory=dict,
        description="request headers sent to every checked URL's host, never on a redirect to "
        "another host (`check --header`); a value $NAME is read from the environment; a "
        "[[check.hosts]] entry's headers of the same name win",
    )
    exclude: list[str] = Field(
        default_factory=list,
        description="regular expressions: URLs matching one are not checked, listed as "
        "excluded (`check --exclude`, lychee's); stored commands hold them as ignored",
    )
    include: list[str] = Field(
        default_factory=list,
        description="regular expressions: when set, only URLs matching one are checked; an "
        "include wins over an exclude (`check --include`); the rest ignored by `run`",
    )
    accept: str | None = Field(
        None,
        description="HTTP statuses judged alive although monitor would say dead, blocked or "
        "transient, in lychee's syntax: 200..=299,403 (`check --accept`); never an access date",
    )
    allow_networks: list[str] = Field(
        default_factory=list,
        description="CIDRs cited URLs may reach although private (e.g. 10.1.0.0/16)",
    )

    @field_validator("exclude", "include")
    @classmethod
    def _regexes(cls, v: list[str]) -> list[str]:
        for pattern in v:
            regex_error(pattern, raise_it=True)
        return v

    @field_validator("accept")
    @classmethod
    def _ranges(cls, v: str | None) -> str | None:
        if v is not None:
            accepted_statuses(v)
        return v

    @field_validator("headers")
    @classmethod
    def _header_names(cls, v: dict[str, str]) -> dict[str, str]:
        for name, value in v.items():
            if not HEADER_NAME.fullmatch(name):
                raise ValueError(f"{name!r} is not an HTTP header name")
            if "\r" in value or "\n" in value:
                raise ValueError(f"header {name}: a value may not hold a line break")
        return v

    def accepted(self) -> frozenset[int]:
        """The statuses of `accept`, as a set."""
        return accepted_statuses(self.accept) if self.accept else frozenset()

    @field_validator("allow_networks")
    @classmethod
    def _cidrs(cls, v: list[str]) -> list[str]:
        import ipaddress

        for cidr in v:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(f"{cidr!r} is not a network such as 10.0.0.0/8") from None
        return v

    def allowed_networks(self) -> list[Any]:
        """`allow_networks` plus MONITOR_ALLOW_NETWORKS (comma-separated CIDRs)."""
        import ipaddress

        extra = [c.strip() for c in os.environ.get("MONITOR_ALLOW_NETWORKS", "").split(",")]
        nets = []
        for cidr in [*self.allow_networks, *(c for c in extra if c)]:
            try:
                nets.append(ipaddress.ip_network(cidr, strict=False))
            except ValueError:
                raise ConfigError(f"MONITOR_ALLOW_NETWORKS: {cidr!r} is not a network") from None
        return nets

    def tls_verify(self) -> bool | ssl.SSLContext:
        """What httpx's `verify=` gets: a context for a custom CA bundle, else the flag."""
        if self.ca_bundle and self.verify_tls:
            try:
                return ssl.create_default_context(cafile=self.ca_bundle)
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(f"check.ca_bundle: cannot load {self.ca_bundle}: {exc}") from None
        return self.verify_tls

    def agent(self) -> str:
        return self.user_agent or (
            f"monitor/{__version__} (citation link-rot monitor; +{self.contact})"
        )

    def policy_for(self, host: str) -> HostPolicy:
        """Politeness for `host`: the first matching [[check.hosts]] entry overrides."""
        common = tuple((k, _from_env(v, f"check.headers.{k}")) for k, v in self.headers.items())
        policy = HostPolicy(
            self.per_host_rate, self.per_host_concurrency, self.agent(), self.robots, common
        )
        for o in self.hosts:
            if fnmatch.fnmatchcase(host.lower(), o.pattern.lower()):
                own = o.request_headers()
                names = {k.lower() for k, _ in own}
                return HostPolicy(
                    o.per_host_rate if o.per_host_rate is not None else policy.rate,
                    o.per_host_concurrency or policy.concurrency,
                    o.user_agent or policy.user_agent,
                    o.robots or policy.robots,
                    (*(h for h in common if h[0].lower() not in names), *own),
                )
        return policy


class ScheduleSettings(_Section):
    alive_days: float = Field(7, gt=0, description="re-check alive links after this many days")
    failing_days: float = Field(3, gt=0, description="re-check failing links (confirmation)")
    dead_days: float = Field(30, gt=0, description="re-check dead links to catch recovery")
    transient_hours: float = Field(12, gt=0)
    blocked_days: float = Field(7, gt=0)
    jitter: float = Field(0.1, ge=0, le=0.5, description="fraction of the interval, randomised")
    report_cron: str = Field(
        "0 6 * * 1",
        description="when the weekly report is written: a crontab line, read as cron(8) "
        "reads it (0 and 7 Sunday, 1 Monday), in `timezone`",
    )
    timezone: str | None = Field(
        None, description="IANA zone of report_cron (Australia/Sydney); unset: the machine's"
    )
    check_every_seconds: float = Field(
        300, gt=0, description="how often `monitor serve` looks for due URLs"
    )
    reingest_hours: float = Field(24, gt=0, description="re-read pages that are URLs")
    keep_checks_days: float = Field(
        730, gt=0, description="prune checks older than this (each URL keeps its latest)"
    )
    grace_seconds: float = Field(
        30, ge=0, description="on SIGTERM, let a run in progress finish for this long"
    )

    @field_validator("report_cron")
    @classmethod
    def _valid_cron(cls, v: str) -> str:
        from monitor.core.crontab import trigger

        try:
            trigger(v, dt.UTC)
        except ValueError as exc:
            raise ValueError(f"not a crontab expression ({exc})") from None
        return v

    @field_validator("timezone")
    @classmethod
    def _valid_zone(cls, v: str | None) -> str | None:
        from monitor.core.crontab import zone

        zone(v)  # CronError is a ValueError: reported with the key and line
        return v

    def report_trigger(self) -> Any:
        """The weekly report's CronTrigger, in the configured zone."""
        from monitor.core.crontab import trigger, zone

        return trigger(self.report_cron, zone(self.timezone))


class EmailSettings(_Section):
    """Report delivery by e-mail (HTML with a plain-text part)."""

    smtp_host: str | None = None
    smtp_port: int = 587
    starttls: bool = True
    username: str | None = None
    password: str | None = Field(None, description="or MONITOR_REPORT__EMAIL__PASSWORD")
    from_addr: str = "monitor@localhost"
    to: list[str] = Field(default_factory=list)


class ReportSettings(_Section):
    dir: str = "reports"
    formats: list[str] = Field(
        default_factory=lambda: list(REPORT_FORMATS),
        description="what the weekly report writes: " + ", ".join(REPORT_FORMATS),
    )
    max_items: int = Field(
        1000, ge=1, description="citations listed per section (counts are always complete)"
    )
    email: EmailSettings = Field(default_factory=EmailSettings)

    @field_validator("formats")
    @classmethod
    def _known_formats(cls, v: list[str]) -> list[str]:
        for name in v:
            if name not in REPORT_FORMATS:
                near = difflib.get_close_matches(name, REPORT_FORMATS, n=1)
                hint = f"; did you mean {near[0]!r}?" if near else ""
                known = ", ".join(REPORT_FORMATS)
                raise ValueError(f"unknown report format {name!r} ({known}){hint}")
        return v


class ArchiveEndpoint(_Section):
    """A Wayback-compatible archive: a CDX capture index and a replay URL template."""

    name: str
    kind: str = Field("cdx", description="how it is asked (archives/base.py KINDS): cdx")
    cdx: str
    replay: str = Field(description="replay URL template with {timestamp} and {url}")
    rate_per_minute: float = Field(
        20.0, gt=0, description="requests per minute to this archive (the IA CDX allows ~60)"
    )

    def replay_url(self, timestamp: str, url: str, raw: bool = False) -> str:
        """The replay address; `raw` asks for the archived bytes without the archive's
        banner and link rewriting (`id_`), which is what verification must read."""
        return self.replay.format(timestamp=timestamp + ("id_" if raw else ""), url=url)


class SaveSettings(_Section):
    """Proactive archiving with Save Page Now (opt-in)."""

    enabled: bool = False
    endpoint: str = "https://web.archive.org/save"
    access_key: str | None = Field(None, description="SPN2 keys; or MONITOR_ARCHIVE__SAVE__...")
    secret_key: str | None = None
    min_age_days: float = Field(
        180, gt=0, description="capture alive links with no capture newer than this"
    )
    per_minute: float = Field(4, gt=0, description="12/min with keys, 4/min anonymous (IA)")
    timeout: float = Field(60.0, gt=0)


class ArchiveSettings(_Section):
    endpoints: list[ArchiveEndpoint] = Field(
        default_factory=lambda: [ArchiveEndpoint(**e) for e in DEFAULT_ARCHIVES],
        description="asked in order; a file's come first, then the defaults unless `replace`",
    )
    replace: bool = Field(
        False,
        description="the file's [[archive.endpoints]] replace the Internet Archive instead of"
        " adding to it; `endpoints = []` means no archive at all",
    )
    lookup_days: float = Field(
        21, ge=0, description="do not repeat a URL's lookup within this many days"
    )
    max_candidates: int = Field(
        5, ge=1, le=50, description="captures verified per endpoint before giving up"
    )
    timeout: float = Field(30.0, gt=0, description="per archive request")
    outage_failures: int = Field(
        3,
        ge=1,
        description="an archive failing this many lookups in a row is not asked again"
        " in this run (its outage, not the links' fault)",
    )
    run_budget: float = Field(
        600.0,
        gt=0,
        description="seconds a run spends on archive lookups at most; the rest"
        " wait for the next run",
    )
    save: SaveSettings = Field(default_factory=SaveSettings)

    def hosts(self) -> tuple[str, ...]:
        """Host names of the configured replay endpoints, so their links count as archives."""
        from urllib.parse import urlsplit

        return tuple(
            (urlsplit(e.replay.replace("{timestamp}", "0").replace("{url}", "x")).hostname or "")
            for e in self.endpoints
        )


class DistributedSettings(_Section):
    """Many worker machines (PostgreSQL only, `pip install 'monitor[distributed]'`)."""

    enabled: bool = Field(
        False, description="serve dispatches host batches to `monitor worker`s instead of checking"
    )
    batch_seconds: float = Field(
        120.0, gt=0, description="target length of one host batch at that host's rate"
    )
    max_batch: int = Field(500, ge=1, le=100_000, description="URLs in one host batch at most")
    worker_concurrency: int = Field(
        256, ge=1, le=5000, description="host batches per worker (mostly waiting on pace)"
    )
    poll_seconds: float = Field(
        1.0, gt=0, description="how often an idle worker looks for jobs a host lock held back"
    )
    heartbeat_seconds: float = Field(5.0, gt=0, description="worker heartbeat interval")
    stalled_seconds: float = Field(
        30.0, gt=0, description="a worker silent this long is dead: its batch is retried"
    )


class IngestSettings(_Section):
    scope: str = Field(
        "auto",
        description='where an HTML page\'s references are: "auto" (reference lists and '
        'sections headed References, Notes, Bibliography...), "all", or a CSS selector',
    )
    date_order: Literal["dmy", "mdy"] | None = Field(
        None,
        description="how to read numeric access dates like 02/03/2011 (dmy: 2 March); "
        "unset: day first in languages that write it so, else only the year is kept, noted",
    )


class IgnoreEntry(_Section):
    """`[[ignore]]`: a URL or glob never checked, as `monitor ignore` does, kept in the file
    so it travels with the configuration (and cannot be undone by `decisions --undo`)."""

    pattern: str = Field(
        min_length=1, max_length=2000, description="a URL or a glob such as *.example.org/*"
    )
    reason: str | None = Field(None, description="why, shown in the report")

    @field_validator("pattern")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("an empty pattern would ignore nothing")
        return v.strip()


class Settings(BaseSettings):
    """All settings. Sections mirror the TOML tables."""

    model_config = SettingsConfigDict(
        env_prefix="MONITOR_",
        env_nested_delimiter="__",
        extra="forbid",
        nested_model_default_partial_update=True,
    )

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    check: CheckSettings = Field(default_factory=CheckSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    archive: ArchiveSettings = Field(default_factory=ArchiveSettings)
    distributed: DistributedSettings = Field(default_factory=DistributedSettings)
    ignore: list[IgnoreEntry] = Field(default_factory=list)

    _source: str = PrivateAttr("built-in defaults")

    @property
    def source(self) -> str:
        """Where the settings came from, for messages."""
        return self._source

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment first: it overrides the TOML file passed in as init values.
        return (env_settings, init_settings)


def _fields_at(loc: tuple[Any, ...]) -> list[str]:
    """The keys allowed beside the last part of `loc` (for "did you mean")."""
    model: Any = Settings
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field is None:
            return []
        ann = field.annotation
        args = [a for a in getattr(ann, "__args__", ()) if hasattr(a, "model_fields")]
        model = ann if hasattr(ann, "model_fields") else (args[0] if args else None)
        if model is None:
            return []
    return list(getattr(model, "model_fields", {}))


# settings whose values are secrets: masked by `monitor config`, never echoed in an error
# (a wrong type still says which setting)
SECRET_SETTING = re.compile(r"password|secret|token|key|cookie|header|auth", re.I)


def _format_error(exc: ValidationError, where: str, text: str = "", env: bool = False) -> str:
    parts = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        key = ".".join(str(p) for p in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            close = difflib.get_close_matches(str(loc[-1]), _fields_at(loc), n=1)
            msg = "unknown key" + (f" (did you mean {close[0]}?)" if close else "; remove it")
        else:
            msg = err["msg"]
            if "input" in err and not isinstance(err["input"], dict | list):
                secret = SECRET_SETTING.search(str(loc[-1]) if loc else "")
                msg += " (got a value, not shown)" if secret else f" (got {err['input']!r})"
        line = line_of(text, loc)
        var = "MONITOR_" + "__".join(str(p).upper() for p in loc if not isinstance(p, int))
        if var in os.environ:  # the environment overrides the file: blame the variable
            source = f"environment variable {var}"
        elif line:
            source = f"{where}, line {line}"
        else:
            source = where + (" or MONITOR_* environment" if env else "")
        parts.append(f"{source}: {key}: {msg}")
    return "; ".join(parts)


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path | None:
    """The config file to read, by the precedence in the module docstring."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("MONITOR_CONFIG")
    if env:
        return Path(env)
    local = Path("config.toml")
    return local if local.is_file() else None


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Settings from the chosen file and the environment; ConfigError on any problem."""
    file = config_path(path)
    data: dict[str, Any] = {}
    where, text = "built-in defaults", ""
    if file is not None:
        where = str(file)
        text = read_config(file)
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not valid TOML: {exc}") from None
        except RecursionError:
            raise ConfigError(f"{file}: nested too deeply to be a configuration") from None
    try:
        settings = Settings(**with_default_archives(data))
    except SettingsError as exc:
        # a MONITOR_<SECTION> variable holding JSON that does not parse
        name = re.search(r'field "(\w+)"', str(exc))
        var = f"MONITOR_{name.group(1).upper()}" if name else "a MONITOR_ variable"
        raise ConfigError(
            f"environment variable {var} (or one of its {var}__ keys): not valid JSON"
        ) from None
    except ValidationError as exc:
        # only MONITOR_<SECTION>__<KEY> variables are settings (not MONITOR_CONFIG & co.)
        env = any(k.startswith("MONITOR_") and "__" in k for k in os.environ)
        raise ConfigError(_format_error(exc, where, text, env)) from None
    settings._source = where
    return settings
