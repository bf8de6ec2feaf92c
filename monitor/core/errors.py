"""Every error a user, their files or their machine can cause, in one tree. Each carries
the exit code the command line ends with, so `monitor.app.cli.main` catches the base once
and prints one line; anything else that escapes is a bug (exit 4, "please report it").

    MonitorError                exit 2 (usage or configuration) unless said
    ├── ConfigError             a setting that cannot be used (with file, line, "did you mean")
    │   └── CronError           not a crontab expression (also a ValueError)
    ├── UsageError              options that do not go together; a command that cannot run so
    ├── UrlError                a link that cannot be checked (also a ValueError)
    ├── PrivateAddressError     a URL that leads into a network the monitor may not reach
    │                           (also an OSError: the network stack raises it mid-connect)
    ├── ExtractError            content that is not a citation page (also a ValueError)
    ├── SourceError             a page file or page URL that cannot be read
    ├── PatchError              a page that cannot be patched
    ├── StoreError              a database that cannot be opened or used
    │   └── TransferError       an export file that cannot be imported
    ├── LockError               another monitor holds the database              exit 5
    ├── NotCited                a URL no ingested page cites (also a LookupError)
    ├── DecisionError           a decision that cannot be taken
    ├── AdminError              a maintenance request that cannot be carried out
    ├── DistributedError        distributed mode cannot run here
    ├── ArchiveError            an archive that could not be asked (not "no capture")
    └── OutageSuspected         our own network looks down: nothing judged      exit 3

Which errors stay outside the tree: `checking.batch._Retry`, a private signal between a
check and its retry loop that never leaves it.
"""

from __future__ import annotations

from typing import ClassVar

# The command line's exit codes (README, "Exit codes").
EXIT_OK, EXIT_NOT_ALIVE, EXIT_USAGE, EXIT_OUTAGE, EXIT_INTERNAL, EXIT_BUSY = 0, 1, 2, 3, 4, 5


class MonitorError(Exception):
    """The base of every error a user can cause; its message is for the user, one line."""

    exit_code: ClassVar[int] = EXIT_USAGE


class ConfigError(MonitorError):
    """A configuration problem, with a message fit for the user."""


class CronError(ConfigError, ValueError):
    """Not a crontab expression; the message says what is wrong."""


class UsageError(MonitorError):
    """Options that do not go together, or a command that cannot run as asked."""


class UrlError(MonitorError, ValueError):
    """A link that cannot be checked; the message says why, in a few words."""


class PrivateAddressError(MonitorError, OSError):
    """A cited URL leads to an address the monitor may not connect to."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(
            f"{host} resolves to {address}, a private address (to check it, allow its network:"
            " [check] allow_networks or MONITOR_ALLOW_NETWORKS)"
        )
        self.host, self.address = host, address


class ExtractError(MonitorError, ValueError):
    """Content that cannot be read as a citation page; the message is for the user."""


class SourceError(MonitorError):
    """A source that cannot be read; the message is for the user."""


class PatchError(MonitorError):
    """The page cannot be patched; the message is for the user."""


class StoreError(MonitorError):
    """The database cannot be opened or used; the message is for the user."""


class TransferError(StoreError):
    """A problem with an export file or the target database, fit for the user."""


class LockError(MonitorError):
    """Another monitor holds the database; the message says which. Not the user's mistake
    and worth a retry: a cron wrapper tells it from a configuration error by its code."""

    exit_code = EXIT_BUSY


class NotCited(MonitorError, LookupError):
    """The URL is not cited by any ingested page."""


class DecisionError(MonitorError):
    """A decision that cannot be taken; the message says why."""


class AdminError(MonitorError):
    """A request that cannot be carried out; the message is for the user."""


class DistributedError(MonitorError):
    """A problem with distributed mode, with a message fit for the user."""


class ArchiveError(MonitorError):
    """The archive could not be asked (throttled, down, unreadable): not "no capture"."""


class OutageSuspected(MonitorError):
    """Raised inside a run to stop it: nothing can be judged while our network is down."""

    exit_code = EXIT_OUTAGE
