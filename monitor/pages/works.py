"""A reference is one work (pure): which of its links is the work's own, which are its
alternates, and its title as its citation style writes it.

A journal's reference carries a row of buttons ("Article", "PubMed", "CAS", "Google
Scholar", "Crossref"); a CSL bibliography links the bare URL or DOI; CS1 adds identifier
links. They all point at one work. The link checked is the work's own (a link on its
title, a URL written out, a publisher's "Article" button), else its DOI, else PubMed,
else another identifier; search engines and databases' look-ups come last. The others are
kept as its alternates, not counted as more citations. A link that names another work
(an awesome list's item that also links a tweet) stays a citation of its own.

The title comes from the reference's structure, never from a link whose text is a label,
an identifier or a URL: the quoted part (CS1, MLA, Chicago, IEEE), the part after the
author and year (APA "(2008).", Chicago author-date "2008."), an emphasised part (a book
or a CSL title in `<em>`), the sentence after a Vancouver author list, else the first
sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

from monitor.core.patterns import occurrences, quick, squash
from monitor.core.results import Link
from monitor.core.urls import ArchiveAddress
from monitor.pages.titles import HOST_NAME, meaningful_anchor, ref_title

# link rank: lower is more the work's own
OWN, WRITTEN, DOI, RECORD, IDENTIFIER, LOOKUP = range(6)

_DOI_HOSTS = ("doi.org", "dx.doi.org", "hdl.handle.net")
_RECORD_HOSTS = ("pubmed.ncbi.nlm.nih.gov", "europepmc.org")
_IDENTIFIER_HOSTS = (
    "arxiv.org", "www.jstor.org", "jstor.org", "www.worldcat.org", "search.worldcat.org",
    "portal.issn.org", "api.semanticscholar.org", "www.semanticscholar.org",
    "ui.adsabs.harvard.edu", "adsabs.harvard.edu", "www.osti.gov", "zbmath.org",
    "mathscinet.ams.org", "catalog.hathitrust.org", "lccn.loc.gov", "id.loc.gov",
    "d-nb.info", "openlibrary.org", "ci.nii.ac.jp", "id.ndl.go.jp", "www.sudoc.fr",
    "www.idref.fr", "citeseerx.ist.psu.edu", "inspirehep.net", "www.base-search.net",
)  # fmt: skip
# look-ups: a search for the work, not the work ("Google Scholar", CAS, a link resolver)
_LOOKUP = re.compile(
    r"^https?://(?:[\w-]+\.)*(?:scholar\.google\.[a-z.]+|chemport\.cas\.org|"
    r"webofknowledge\.com|webofscience\.com|scopus\.com)|/servlet/linkout\?|/openurl\?|"
    r"[?&]sid=|/sfx\?",
    re.IGNORECASE,
)
_LOOKUP_LABELS = frozenset(
    ["google scholar", "scholar", "cas", "chemport", "crossref", "medline", "web of science",
     "isi", "scopus", "pubmed/ncbi", "ncbi", "google books search", "worldcat"]
)  # fmt: skip
_RECORD_LABELS = frozenset(["pubmed", "pmc", "pubmed central", "pmc free article", "europe pmc"])
_OWN_LABELS = frozenset(
    ["article", "view article", "full text", "full-text", "fulltext", "publisher site",
     "view at publisher", "pdf", "[pdf]", "html", "read online", "lire en ligne", "en ligne",
     "online lesen", "leer en línea", "ler online", "online"]
)  # fmt: skip
# "Available from: <a>ChemistryViews</a>", "Retrieved from <a>site</a>": the text of a
# link placed after these words names the place, never the work
AVAILABLE = quick(
    r"(?:available\s+(?:from|at|online)|retrieved\s+from|accessible\s+(?:at|from)|"
    r"url|en\s+ligne\s+sur|disponible\s+(?:en|sur|à)|verfügbar\s+unter|online\s+unter|"
    r"abgerufen\s+(?:von|unter)|disponível\s+em)\s*:?\s*$",
    re.IGNORECASE,
)


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def rank(url: str, link: Link) -> int:
    """How much `link` (normalised `url`) is the work's own address (OWN first)."""
    label = squash(link.text).strip(" []().").lower()
    host = _host(url)
    if label in _LOOKUP_LABELS:
        return LOOKUP
    if label in _RECORD_LABELS:
        return RECORD  # "PubMed" on an Entrez address is the record, not a search
    if _LOOKUP.search(url):
        return LOOKUP
    if meaningful_anchor(link.text):
        return OWN  # a link on the work's title is its own, whatever site holds it
    if host in _DOI_HOSTS:
        return DOI
    if host in _RECORD_HOSTS or "/pmc/articles/" in url or "ncbi.nlm.nih.gov/" in url:
        return RECORD  # a PubMed or PMC record, by its page or an Entrez query for it
    if host in _IDENTIFIER_HOSTS or host.endswith(".doi.org"):
        return IDENTIFIER
    text = link.text.strip()
    if text.lower().startswith(("http://", "https://", "www.")):
        return WRITTEN
    if meaningful_anchor(text) or label in _OWN_LABELS or not label:
        return OWN
    return WRITTEN if label in ("here", "link", "website", "web", "url", "source") else IDENTIFIER


def split_links(
    links: Sequence[tuple[str, Link]],
) -> tuple[list[tuple[str, Link]], list[str]]:
    """The reference's works' own links (each a citation) and the alternates of the first
    (its other links, as written). With no link of its own, the best identifier is it."""
    if len(links) <= 1:  # one link is the work's own, whatever its rank: nothing to rank
        return list(links), []
    ranked = [(rank(u, ln), n, u, ln) for n, (u, ln) in enumerate(links)]
    own = [(u, ln) for r, _, u, ln in ranked if r <= WRITTEN]
    rest = sorted((r, n, u, ln) for r, n, u, ln in ranked if r > WRITTEN)
    if not own and rest:
        _, _, u, ln = rest.pop(0)
        own = [(u, ln)]
    return own, [ln.href.strip() for _, _, _, ln in sorted(rest, key=lambda x: x[1])]


# ---------------------------------------------------------------- titles

_NUMBERING = re.compile(r"^\s*(?:\[\s*\d+\s*\]|\d{1,4}[.)]|[•·*]+)\s*")
# Vancouver/NLM authors: "Roujeau JC, Stern RS", "Fiszenson-Albala F et al", "Kourakis MJ"
_UPPER = "A-ZÀ-ÖØ-ÞĀ-Ž"
_VANCOUVER_NAME = (
    rf"[{_UPPER}][\w'’\-‐]+(?:\s[{_UPPER}][\w'’\-‐]+)?\s[{_UPPER}](?:[\-‐.]?[{_UPPER}]){{0,3}}"
)
_VANCOUVER = re.compile(
    r"^(?:" + _VANCOUVER_NAME + r")(?:\s*,\s*(?:and\s+)?" + _VANCOUVER_NAME + r")*"
    r"(?:\s*,?\s*et\s+al)?\s*\.\s+(?P<t>[^.?!]{8,400}[.?!]?)"
)
# Chicago author-date and similar: "Smith, John, and Ann Lee. 2020. Title. ..."
_AUTHOR_DATE = re.compile(
    r"^[^.\"“]{2,300}?\.\s+(?:1[5-9]|20)\d{2}[a-z]?\.\s+(?P<t>[^.?!]{3,300}[?!]?)"
)


# authors written with initials: "J. L. Gutenson, A. N. S. Ernest, and C. Fuller",
# "Glick, R. E.", "R. E. Glick", "Zhang Y, Evans JRG" (Vancouver, above)
_INITIALS_NAME = (
    rf"(?:(?:[{_UPPER}]\.\s?(?:-?[{_UPPER}]\.\s?)*)[\w'’\-]+(?:\s[\w'’\-]+)?"
    rf"|[\w'’\-]+,\s(?:[{_UPPER}]\.\s?)+)"
)
_INITIALS_AUTHORS = re.compile(
    rf"^{_INITIALS_NAME}(?:\s*(?:,|;|,?\s+and|,?\s+&|,?\s+und)\s+{_INITIALS_NAME})*"
    r"(?:,?\s+et\s+al\.?)?\s*(?P<sep>[.:])\s+(?P<t>[^.?!]{3,400}[?!]?)"
)
# Vancouver/NLM: "Org. Title [Internet]. Place: Publisher; 2019 [cited 2024 Feb 27]."
_NLM_MEDIUM = re.compile(
    r"(?:^|[.?!]\s)(?P<t>[^.?!\[\]]{3,300}?)\s*\[(?:internet|online|monograph on the internet|"
    r"database on the internet|homepage on the internet)\]",
    re.IGNORECASE,
)
# APA and Harvard: what stands before the parenthesised date, and after it
_APA = re.compile(
    r"^(?P<a>[^()]{2,300}?)\.?\s*\(\s*(?:[^()]{0,20}?(?<!\d)(?:1[5-9]|20)\d{2}[a-z]?[^()]{0,20}|n\.d\.)"
    r"\s*\)\s*[.,:]?\s*(?P<t>[^.?!]{0,300}[?!]?)"
)
# APA without an author: "Title. (2013). Retrieved ..." -- the title stands first
_NO_AUTHOR_APA = re.compile(
    r"^(?P<t>[^()]{3,300}?)\.?\s*\(\s*(?:[^()]{0,20}\d{4}[^()]{0,20}|n\.d\.)\s*\)"
)
# what follows the date when there is no title there
_CONNECTIVE = re.compile(r"^(?:retrieved|from|available|accessed|in|url|online|abgerufen)\b", re.I)


def reference_title(text: str, emphasis: Sequence[str] = (), *, strict: bool = False) -> str | None:
    """The work's title inside one whole reference, by its citation style (module doc).
    `strict`: only when the reference's structure says it (quotes, an author and a year,
    an author list), never its first sentence."""
    text = _NUMBERING.sub("", squash(text))
    if not text:
        return None
    found = ref_title(text)  # quoted, APA "(2008).", else the first sentence
    quoted = found is not None and _is_quoted(text, found)
    if quoted:
        return found
    m = _NLM_MEDIUM.search(text)
    if m:  # Vancouver/NLM names the medium after the title: "Title [Internet]."
        return m.group("t").strip(" ,.")
    m = _APA.match(text)
    if m:  # "Author, A. (2008, May 5). Title." or, with no author, "Title. (2013). Retrieved"
        after = m.group("t").strip(" ,.")
        return m.group("a").strip(" ,.") if _CONNECTIVE.match(after) or len(after) < 3 else after
    m = _AUTHOR_DATE.match(text)
    if m and not _CONNECTIVE.match(m.group("t")):
        return m.group("t").strip(" ,.")
    m = _INITIALS_AUTHORS.match(text) or _VANCOUVER.match(text)
    if m:
        return m.group("t").strip(" ,.")
    marked = [e.strip(" ,.;:") for e in emphasis if len(e.strip()) >= 3]
    if marked:
        return max(marked, key=len)
    m = _NO_AUTHOR_APA.match(text)
    if m and re.search(r"\)\s*[.,]?\s*(?:retrieved|available|from)\b", text, re.I):
        return m.group("t").strip(" ,.")
    return None if strict else found


def _is_quoted(text: str, part: str) -> bool:
    """Does `part` stand in quote marks in `text` ("« Titre »" has spaces inside)?"""
    before = text[: max(text.find(part), 0)].rstrip()
    return bool(before) and before[-1] in "\"“«„'‘"


def label_texts(links: Sequence[Link]) -> list[str]:
    """The texts of a reference's links that are labels, not words of the reference."""
    return [ln.text for ln in links if ln.text.strip() and not meaningful_anchor(ln.text)]


def without_labels(text: str, labels: list[str]) -> str:
    """A reference's text (its whitespace squashed, as `extract` classifies a line) without
    its links' labels ("... 2003;149:1018–22.Article PubMed Google Scholar" -> "...
    2003;149:1018–22."). Only a cut leaves whitespace to squash again."""
    if not labels:
        return text.strip(" ,;")
    cut = False
    for label in sorted(set(labels), key=len, reverse=True):
        if len(label) >= 2 and label in text:
            text, cut = text.replace(label, " "), True
    return (re.sub(r"\s+", " ", text) if cut else text).strip(" ,;")


def names_a_place(line: str, anchor: str) -> bool:
    """Is the link's text the name of a place, not of the work: placed after "Available
    from:" and the like, or a host name standing after the reference's first words?"""
    last = -1
    for at in occurrences(line, anchor):
        if at > 0 and AVAILABLE.search(line[:at]) is not None:
            return True
        last = at
    return last > 3 and HOST_NAME.match(anchor.strip(" .")) is not None


def same_copy(href: str, copy: ArchiveAddress) -> bool:
    """Is `href` the link to this archive copy (as written, or as parsed)?"""
    h = href.strip().split("#", 1)[0]
    return h == copy.archive_url or h.endswith(copy.original_url)


_LEAD = re.compile(r"^\s*[-*•]?\s*(?P<t>[^:–—()\[\]]{3,150}?)\s*(?::|\s[-–—]\s)")


def lead_title(text: str, links: Sequence[Link]) -> str | None:
    """The words a line opens with, before its first link, when they name the work."""
    first = links[0].text.strip() if links else ""
    head = text.split(first, 1)[0] if first and first in text else ""
    m = _LEAD.match(head + " :")
    return m.group("t").strip() if m and meaningful_anchor(m.group("t")) else None
