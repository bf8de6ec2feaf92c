"""Content fingerprints: has the page been rewritten since the last good check?

Pure functions, no I/O.

- `simhash`: a 64-bit locality-sensitive hash of a page's word shingles (Charikar 2002).
  Unlike a cryptographic hash, a small edit (a date, an ad, a counter) flips a few bits, a
  different page flips about half of them, so the Hamming distance to the last good check
  tells "rewritten" from "touched".

Version 2 (stored as `v2` + 16 hex digits) costs a small constant per page, whatever its
size: shingles are three words starting at a word of five letters or more (chosen by
content, so an insertion at the top does not shift the sample), found by one C-level
regex scan of the text's first `SCAN` characters; at most `MAX_SHINGLES` are hashed with xxHash
(XXH3, a fast non-cryptographic hash), and the bits are counted by numpy (one unpack and
one column sum, faster than 64 bytes.translate passes). Version 1 (16 hex digits: every
shingle, blake2b) cost far more and grew with the page (measured: docs/performance.md,
"Figures behind the code"). A stored v1 fingerprint is not comparable with a v2 one: the
first check after the upgrade reports `changed` as null (nothing to compare) and stores a
v2 baseline.

Whether the page still carries the cited title is `monitor.core.evidence`'s question.
"""

from __future__ import annotations

import re

from xxhash import xxh3_64_digest

VERSION = "v2"
MAX_SHINGLES = 512
MIN_SAMPLED = 16  # fewer sampled shingles than this: a short page, every shingle is used
# three words, the first of at least five letters (language-neutral: \w is Unicode)
# (possessive: giving back a word's letters can never make the separator match, so the
# matches are the same as greedy ones, found with no backtracking, so faster: measured in
# docs/performance.md, "Figures behind the code")
_SAMPLED = re.compile(r"\w{5,}+\W++\w++\W++\w++")
# the same pattern for a text all ASCII, where Unicode's \w and ASCII's are the same
# characters: the engine's ASCII class test makes the scan faster (measured:
# docs/performance.md, "Figures behind the code"), and the shingles are the very same
_SAMPLED_ASCII = re.compile(_SAMPLED.pattern, re.ASCII)
SCAN = 12_000  # characters scanned for the sample: enough for MAX_SHINGLES in prose
_WORD = re.compile(r"\w+")


def shingles(text: str) -> list[str]:
    """The sampled shingles of `text` in lower case (as written between the words: the
    text's whitespace is already squashed); only the first `SCAN` characters are read and
    at most `MAX_SHINGLES` kept, so a long page costs what a middling one does."""
    low = text[:SCAN].lower()
    found = (_SAMPLED_ASCII if low.isascii() else _SAMPLED).findall(low)[:MAX_SHINGLES]
    if len(found) < MIN_SAMPLED:  # a short page: every three-word shingle
        words = _WORD.findall(low)[: MAX_SHINGLES + 2]
        found = [" ".join(words[i : i + 3]) for i in range(len(words) - 2)]
    return found


def simhash(text: str) -> int | None:
    """64-bit simhash over the sampled word shingles; None for pages with too little text
    to judge (not one three-word shingle)."""
    sample = shingles(text)
    n = len(sample)
    if n == 0:
        return None
    # All digests as one n x 8 byte matrix; unpacked little-endian, column 8k+i is bit i of
    # byte k, i.e. bit 8k+i of the little-endian 64-bit value. Columns set in more than
    # half the digests are the fingerprint's bits. numpy is imported here: start-up time that
    # a run's first page can pay instead (measured: docs/performance.md, "Figures behind the
    # code").
    import numpy as np

    digests = np.frombuffer(b"".join([xxh3_64_digest(s.encode()) for s in sample]), np.uint8)
    ones = np.unpackbits(digests.reshape(n, 8), axis=1, bitorder="little").sum(0, np.int32)
    return int.from_bytes(np.packbits(2 * ones > n, bitorder="little").tobytes(), "little")


def to_hex(value: int | None) -> str | None:
    return None if value is None else f"{VERSION}{value:016x}"


def from_hex(text: str | None) -> int | None:
    """A stored fingerprint of this version; None for none, a malformed one, or one of an
    older version (not comparable: `changed` is then null for one check)."""
    if not text or len(text) != 18 or not text.startswith(VERSION):
        return None
    try:
        return int(text[2:], 16)
    except ValueError:
        return None


def distance(a: int, b: int) -> int:
    """Hamming distance between two simhashes (0 = same text, about 32 = unrelated)."""
    return (a ^ b).bit_count()
