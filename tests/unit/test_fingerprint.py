import datetime as dt

from monitor.checking.batch import retry_after_seconds
from monitor.core.evidence import PageFields, title_evidence
from monitor.core.fingerprint import distance, from_hex, simhash, to_hex

ARTICLE = " ".join(
    [
        "Kazakhstan",
        "is",
        "a",
        "source",
        "transit",
        "and",
        "destination",
        "country",
        "for",
        "men",
        "women",
        "and",
        "children",
        "trafficked",
        "for",
        "forced",
        "labor",
        "and",
        "commercial",
        "sexual",
        "exploitation",
        "in",
        "the",
        "region",
    ]
    * 8
)


def test_simhash_small_edit_is_near_and_other_text_is_far() -> None:
    a = simhash(ARTICLE)
    b = simhash(ARTICLE.replace("destination", "origin", 1))
    c = simhash("Opening hours of the library, parking and the cafeteria menu for this week " * 8)
    assert a is not None and b is not None and c is not None
    assert distance(a, b) <= 6
    assert distance(a, c) >= 16
    assert from_hex(to_hex(a)) == a
    assert simhash("too short") is None


def test_bit_sliced_simhash_matches_the_textbook_definition() -> None:
    import random

    from xxhash import xxh3_64_digest

    from monitor.core.fingerprint import shingles

    def textbook(text: str) -> int:
        weights = [0] * 64
        for s in shingles(text):
            h = int.from_bytes(xxh3_64_digest(s.encode()), "little")
            for bit in range(64):
                weights[bit] += 1 if h >> bit & 1 else -1
        return sum(1 << b for b in range(64) if weights[b] > 0)

    rng = random.Random(5)
    for _ in range(30):
        text = " ".join(
            rng.choice(["kazakhstan", "women", "sold", "as", "sex", "slaves", "traffickers"])
            for _ in range(rng.randint(3, 3000))
        )
        assert simhash(text) == textbook(text)


def test_the_possessive_sample_finds_what_the_greedy_one_did() -> None:
    """v2 fingerprints were stored with a greedy pattern; the possessive one that replaced it
    (no backtracking) must choose the very same shingles, or stored values change meaning."""
    import random
    import re

    from monitor.core.fingerprint import _SAMPLED

    greedy = re.compile(r"\w{5,}\W+\w+\W+\w+")
    rng = random.Random(11)
    pieces = ["Kazakhstan", "is", "a", "source", "transit", "...", ",", " - ", "Қазақстан",
              "женщины", "2011", "e-mail", "don't", "  ", "\n", "(b)", "ÉTAT", "x_y", "—"]  # fmt: skip
    for _ in range(300):
        joiner = rng.choice([" ", "", ", "])
        text = joiner.join(rng.choice(pieces) for _ in range(rng.randint(0, 200))).lower()
        assert _SAMPLED.findall(text) == greedy.findall(text), text


def test_an_ascii_text_is_sampled_as_the_unicode_pattern_would() -> None:
    """An all-ASCII text is scanned with the ASCII pattern (twice as fast); it must choose
    the shingles the Unicode pattern does, or stored fingerprints change meaning."""
    import random

    from monitor.core.fingerprint import _SAMPLED, _SAMPLED_ASCII, shingles

    rng = random.Random(12)
    pieces = ["Kazakhstan", "is", "a", "source", "transit", "...", ",", " - ", "2011", "e-mail",
              "don't", "  ", "(b)", "x_y", "ETAT", "report's", "U.S.", "\t"]  # fmt: skip
    for _ in range(300):
        text = rng.choice([" ", "", ", "]).join(
            rng.choice(pieces) for _ in range(rng.randint(0, 200))
        )
        low = text.lower()
        assert low.isascii()
        assert _SAMPLED_ASCII.findall(low) == _SAMPLED.findall(low), text
        assert shingles(text) == _SAMPLED.findall(low)[:512] or len(_SAMPLED.findall(low)) < 16
    assert shingles("Élégant résumés différents " * 40)[0] == "élégant résumés différents"


def test_the_sample_is_chosen_by_content_and_bounded() -> None:
    """Shingles start at words of five letters or more, so a line added at the top shifts
    nothing; at most MAX_SHINGLES are hashed, so a long page costs what a middling one does;
    a v1 fingerprint (16 hex digits) is not compared with a v2 one."""
    from monitor.core.fingerprint import MAX_SHINGLES, shingles

    body = ARTICLE * 3
    assert distance(simhash(body), simhash("Updated: 3 December 2026. " + body)) <= 3
    assert len(shingles(ARTICLE * 500)) == MAX_SHINGLES
    assert shingles("Kazakhstan is a source, transit... and destination")[0] == ("kazakhstan is a")
    assert from_hex("0123456789abcdef") is None  # a v1 fingerprint: not comparable
    assert to_hex(5) == "v20000000000000005" and from_hex("v20000000000000005") == 5


def test_title_evidence_finds_the_title_in_headings_or_text() -> None:
    """The title matching that replaced `fingerprint.title_similarity`: a heading carrying
    the title is exact; the text carries it at most 90 (the page's own fields say more)."""
    kazak = ["Kazak Women Sold as Sex Slaves"]
    m = title_evidence(
        kazak, PageFields("IWPR | Home", [("heading", "Kazak women sold as sex slaves")], "")
    )
    assert m is not None and m.score == 100 and m.where == "heading"
    m = title_evidence(
        kazak, PageFields(None, [], "News: Kazak women sold as sex slaves, by G. Baituova")
    )
    assert m is not None and m.score == 90 and m.where == "text"
    m = title_evidence(
        kazak, PageFields("Quarterly earnings", [("heading", "Shares rose")], "Shares rose 4%")
    )
    assert m is not None and m.score < 60
    assert title_evidence(["[PDF]", "here"], PageFields("x", [], "y")) is None
    # a one-word title is checked too, but only against the page's own title fields
    report = title_evidence(["Report"], PageFields("x", [], "y"))
    assert report is not None and report.score == 0
    assert title_evidence(["Report"], PageFields("x", [], "The report of 2011")).score == 0
    assert title_evidence(["Report"], PageFields("Report – Site", [], "")).score == 100
    assert title_evidence(["Human Rights Overview"], PageFields("x", [], "y")) is not None


def test_retry_after_forms() -> None:
    now = dt.datetime(2026, 11, 23, 12, tzinfo=dt.UTC)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Mon, 23 Nov 2026 12:00:30 GMT", now) == 30
    assert retry_after_seconds("Mon, 23 Nov 2026 11:00:00 GMT", now) == 0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
