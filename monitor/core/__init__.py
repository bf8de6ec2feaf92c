"""The pure core: the product's decisions and vocabulary, with no I/O.

    verdict      what one check of a URL says (the verdict vocabulary, its groups, the table)
    due          what the history says: confirmed status, next due times, transitions
    access       when a check earns a verified access date, when a stamp may be written
    evidence     does a live page carry the cited work (titles, passages)
    fingerprint  the page fingerprint (simhash) that tells a changed page
    stamps       access stamps: find, parse with precision, format
    urls         normalisation, skippable links, archive addresses
    times        the one JSON time style and the Wayback timestamp parser
    decoding     bytes to text: declared charset, BOM, <meta charset>, detection
    results      the plain data the stages hand each other
    safe         what pages say, made safe per output (terminal, CSV, Markdown)
    crontab      cron expressions of the schedule
    errors       `MonitorError`, the base of every error a user can cause, with its exit code

Everything here is deterministic and imports nothing from the other stages.
"""
