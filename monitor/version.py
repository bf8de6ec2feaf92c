"""The version, in one place: the package face, the configuration and the build read it here."""

__version__ = "0.1.0"
