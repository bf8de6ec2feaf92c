"""Realistic cited pages for the benchmarks: news and report articles as sites serve them.

A page has what real article pages have around the article: a <head> with meta tags
(og:title, og:site_name, description), stylesheets and inline scripts, a navigation bar
of 40-120 links, the article (h1, a byline, paragraphs of varied words), related links,
a footer. Sizes follow a log-normal distribution with a median near 30 KB and a tail to
the 256 KiB a check reads (real article pages measure 20-300 KB), and the real pages of
the test corpus (tests/pages, Wikipedia articles of 63 KB to 1 MB) are served as some of
them. Deterministic: the same seed gives the same pages.
"""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CAP = 256 * 1024
_SYL = ["ka", "zak", "ta", "ri", "mon", "al", "ma", "ty", "stan", "or", "en", "re", "port",
        "gov", "ern", "ment", "hu", "man", "traf", "fic", "king", "wo", "la", "bour", "mi",
        "gra", "tion", "sur", "vey", "na", "tion", "al", "pol", "i", "cy", "act"]  # fmt: skip


def vocabulary(n: int = 6000, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    words = set()
    while len(words) < n:
        words.add("".join(rnd.choice(_SYL) for _ in range(rnd.randint(1, 4))))
    return sorted(words)


VOCAB = vocabulary()
_CUM = list(itertools.accumulate(1.0 / (k + 1) for k in range(len(VOCAB))))  # Zipf


def sentence(rnd: random.Random, words: int) -> str:
    picked = rnd.choices(VOCAB, cum_weights=_CUM, k=words)
    return " ".join(picked).capitalize() + "."


def title_of(i: int) -> str:
    rnd = random.Random(i * 7919 + 1)
    return " ".join(rnd.choice(VOCAB).capitalize() for _ in range(rnd.randint(4, 9)))


def size_of(i: int, median: float = 30_000, sigma: float = 0.8) -> int:
    rnd = random.Random(i * 104729 + 3)
    return int(min(CAP, max(4_000, math.exp(math.log(median) + sigma * rnd.gauss(0, 1)))))


def article(i: int, size: int, site: str = "Institute for Reporting") -> str:
    """An article page of about `size` bytes whose <title> and h1 carry `title_of(i)`."""
    rnd = random.Random(i)
    title = title_of(i)
    nav = "".join(
        f'<li><a href="/section/{k}/{rnd.choice(VOCAB)}">{rnd.choice(VOCAB).capitalize()}</a></li>'
        for k in range(rnd.randint(40, 120))
    )
    head = (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{title} | {site}</title>"
        f'<meta property="og:title" content="{title}"><meta property="og:site_name" '
        f'content="{site}"><meta name="description" content="{sentence(rnd, 25)}">'
        '<link rel="stylesheet" href="/static/site.css">'
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
        "gtag('js',new Date());gtag('config','G-XXXX');</script>"
        "<style>body{font-family:serif}nav li{display:inline}</style></head><body>"
        f"<header><nav><ul>{nav}</ul></nav></header><main><article>"
        f"<h1>{title}</h1><p class='byline'>By {rnd.choice(VOCAB).capitalize()}, "
        f"{rnd.randint(1, 28)} Nov {rnd.randint(2001, 2019)}</p>"
    )
    tail = (
        "</article><aside><h2>Related</h2><ul>"
        + "".join(f'<li><a href="/a/{rnd.randint(1, 10**6)}">{title_of(i + k)}</a></li>'
                  for k in range(1, 8))
        + "</ul></aside></main><footer><p>&copy; " + site + "</p></footer>"
        "<script src='/static/app.js'></script></body></html>"
    )
    parts, used = [head], len(head) + len(tail)
    while used < size:
        p = "<p>" + " ".join(sentence(rnd, rnd.randint(8, 30)) for _ in range(rnd.randint(2, 6)))
        p += "</p>"
        parts.append(p)
        used += len(p)
    parts.append(tail)
    return "".join(parts)


def corpus_pages() -> list[bytes]:
    """The real pages of the test corpus (HTML), each cut at the cap a check reads."""
    pages = sorted((ROOT / "tests" / "pages").glob("*.html"))
    return [p.read_bytes()[:CAP] for p in pages]
