"""Archive fallbacks: which snapshot of a gone page to offer, verified.

base     the `Archive` protocol and the registry of archive kinds
wayback  Wayback-compatible archives (CDX lookups, replay verification)
choice   the pure snapshot choice: anchor date, candidate order
save     Save Page Now (opt-in)
"""
