"""Plain-text reference lists with one reference per line (pure).

A copied Wikipedia reference list, a numbered bibliography, a `- ` list in a `.txt`: each
line (and the lines wrapped under it) is one reference, carrying its own title, URL and
access stamp. Read as the block layout of the seed page instead, every reference of the list
would fall into one citation holding every stamp. `looks_line_per_reference` tells the two
layouts apart; `references` reads the line layout.

Within a line: list markers and Wikipedia's backlinks (`1. ^ a b`) are dropped; the title is
the quoted part (CS1 `"Title"`, `«Title»`, `“Title”`), else the part after an APA/Harvard
`(2008).`, else the first sentence; URLs written in the line are its links, archive copies
among them its fallbacks.
"""

from __future__ import annotations

import re
from collections import Counter

from monitor.core.results import Extraction, FoundCitation
from monitor.core.stamps import AccessStamp, find_stamps, strip_stamps
from monitor.core.urls import ArchiveAddress, UrlError, normalise, parse_archive_link
from monitor.pages.texturls import SCHEMELESS
from monitor.pages.titles import YEAR, ref_title

# "1.", "12)", "[3]", "-", "*", "•", "–" at the start of a line; reStructuredText's
# footnotes and citations (".. [3]", ".. [#]", ".. [#label]", ".. [Smith2001]") and link
# targets (".. _PEP 8: https://...", ".. __: https://...")
_MARKER = re.compile(
    r"^\s*(?:(?:\d{1,4}[.)]|\[\d{1,4}\]|[-*•–])\s+|\.\.\s+\[[^\]\s]{1,40}\]\s*|\.\.\s+(?=_))"
)
# a reStructuredText or Setext heading's underline ("==========", "-----")
_UNDERLINE = re.compile(r"^\s*([=\-~^\"'`#*+])\1{2,}\s*$")
# Wikipedia's backlinks before a reference: "^", "^ a b c", "↑"
_BACKLINK = re.compile(r"^\s*(?:[\^↑](?:\s+[a-z]{1,2}\b(?=\s))*\s*)+")
# "[RFC2119]", "[QUIC-TRANSPORT]": the tag an RFC or a paper files a reference under
_TAG = re.compile(r"^\s{0,8}\[[A-Za-z0-9][^\]\s]{0,40}\](?=\s|$)\s*")
_SECTION = re.compile(
    r"^\s*(?:\d+(?:\.\d+)*\.?\s+|[A-Z]\.(?:\d+\.)*\s+)?(?:normative\s+|informative\s+)?"
    r"(?:references|bibliography|works\s+cited|citations|литература|список\s+литературы)\s*$",
    re.IGNORECASE,
)
# page furniture of paginated text (RFCs): "Iyengar & Thomson  Standards Track  [Page 150]",
# "RFC 9000   QUIC Transport Protocol   May 2021", form feeds
_PAGE_LINE = re.compile(r"\[Page \d+\]\s*$|^\f|^(?:RFC \d+|Internet-Draft)\s.*\s(?:19|20)\d{2}$")
# protocol-relative too, and an IPv6 literal host in brackets
_BARE_URL = re.compile(r"(?:https?:)?//(?:\[[0-9A-Fa-f:.]+\])?(?:[^\s<>\[\]\"'`]|'(?=\w))+", re.I)
_URL_TAIL = '.,;:!?)»”"`>'
# a reStructuredText link target: "_label:", "_`label with: colon`:", "__:" (anonymous)
_RST_TARGET = re.compile(r"^_+(?:`(?P<q>[^`]+)`|(?P<plain>[^:`]*)):\s*")


def _inline_evidence(line: str) -> bool | None:
    """None for a line with no stamp and no URL; else whether it also carries the rest of
    a reference (four words or more beside them)."""
    stamps = find_stamps(line)
    urls = _BARE_URL.findall(line)
    if not stamps and not urls:
        return None
    rest = strip_stamps(line, stamps) if stamps else line
    for u in urls:
        rest = rest.replace(u, " ")
    return len(rest.split()) >= 4


def _marked(filled: list[str]) -> bool:
    return sum(bool(_MARKER.match(ln)) for ln in filled) >= 0.6 * len(filled)


def looks_line_per_reference(lines: list[str]) -> bool:
    """Does a text file put one reference on each line (rather than one on several)?

    Yes when most non-empty lines start with a list marker, or when the lines that carry
    an access stamp or a URL carry the title and publisher too. Blank lines say nothing:
    the seed page (a copy of an HTML page) has one between every two lines, and puts 24 of
    its 25 stamps on lines of their own."""
    filled = [ln for ln in lines if ln.strip()]
    if len(filled) < 2:
        return False
    if _marked(filled):
        return True
    evidence = [e for e in map(_inline_evidence, filled) if e is not None]
    return len(evidence) >= 2 and sum(evidence) >= 0.8 * len(evidence)


def _logical_lines(lines: list[str]) -> list[str]:
    """One string per reference: with list markers, a marked line and the lines wrapped
    under it; without, each line."""
    filled = [ln.strip() for ln in lines if ln.strip()]
    if not _marked(filled):
        return filled
    out: list[str] = []
    for ln in filled:
        if _MARKER.match(ln) or not out:
            out.append(ln)
        else:
            out[-1] += " " + ln
    return out


def section_references(lines: list[str]) -> list[str] | None:
    """The references of a text that keeps them under a References heading (an RFC, a
    paper): each one its marked line (`[RFC2119]`, `[3]`, `1.`) and the lines wrapped under
    it (a blank line inside one is allowed: RFC 9000 puts some URLs a blank line below). The
    section ends at the next heading that starts at the margin ("Appendix A.", "Authors'
    Addresses"). None when there is no such section."""
    refs: list[list[str]] = []
    inside = False
    current: list[str] | None = None
    for raw in lines:
        line = raw.rstrip()
        if _PAGE_LINE.search(line):
            continue
        if _SECTION.match(line):
            inside, current = True, None
            continue
        if not inside:
            continue
        if not line.strip() or _UNDERLINE.match(line):
            continue
        if _TAG.match(line) or _MARKER.match(line):
            current = [line.strip()]
            refs.append(current)
        elif line.startswith("\\") and current is not None:
            current.append(line[1:].strip())  # reStructuredText's escaped continuation
        elif not line[0].isspace():
            inside, current = False, None  # a heading at the margin: the section is over
        elif current is not None:
            current.append(line.strip())
    return [_join_urls(_join_lines(r)) for r in refs] if len(refs) >= 2 else None


def _join_lines(parts: list[str]) -> str:
    """Wrapped lines back into one: a word broken after its hyphen ("Keyed-" / "Hashing")
    is joined without a space."""
    out = parts[0]
    for part in parts[1:]:
        glued = re.search(r"[A-Za-z]-$|https?://$", out)  # "Keyed-" / "Hashing", "http://"
        out += part if glued else " " + part
    return out


def _join_urls(text: str) -> str:
    """A URL in angle brackets broken across lines (`<https://web.archive.org/web/2015/
    http://ha.ckers.org/slowloris/>`) put back together."""
    return re.sub(
        r"<((?:https?:)?//[^<>]{0,2000})>",
        lambda m: "<" + re.sub(r"\s+", "", m.group(1)) + ">",
        text,
    )


# reStructuredText: a footnote or citation (".. [3]", ".. [#]", "[15]" missing its
# directive), a link target (".. _label: URL", ".. __: URL", "__ URL"), an embedded link
_RST_NOTE = re.compile(r"^(?:\.\.\s+\[[^\]\s]{1,40}\]|\[\d{1,4}\]\s|\.\.\s+_|__\s+\S)")
_RST_EMBEDDED = re.compile(r"`(?P<text>[^`<]*?)\s*<(?P<url>(?:https?:)?//[^<>`\s]+)>`_{1,2}")
_RST_LITERAL = re.compile(r"``.*?``|::\s*$")
# "Post-History: ...", "Discussions-To: ...": the header fields a PEP opens with (who, when,
# where it was discussed), not what it cites
_FIELD = re.compile(r"^[A-Z][\w\-]*:\s")


def rst_references(lines: list[str]) -> list[str]:
    """The links of a reStructuredText document, each with its words: its footnotes and
    citations (with the lines indented under them), its link targets wherever they stand,
    and the links embedded in its paragraphs (`` `text <URL>`_ ``). Literal text (``code``
    and `::` blocks) links nothing."""
    refs: list[list[str]] = []
    current: list[str] | None = None
    paragraph: list[str] = []
    literal = False

    def embedded() -> None:
        text = _RST_LITERAL.sub(" ", " ".join(paragraph))
        refs.extend([f"{m['text'] or m['url']}: {m['url']}"] for m in _RST_EMBEDDED.finditer(text))
        paragraph.clear()

    start = 0
    while start < len(lines) and _FIELD.match(lines[start]):  # a PEP's preamble
        start += 1
        while start < len(lines) and lines[start][:1].isspace() and lines[start].strip():
            start += 1
    for raw in lines[start:]:
        line = raw.rstrip()
        if _RST_NOTE.match(line):
            embedded()
            current, literal = [line.strip()], False
            refs.append(current)
            continue
        if current is not None and line and (line[0].isspace() or line.startswith("\\")):
            current.append(line.lstrip("\\ \t"))
            continue
        current = None
        if not line.strip():
            embedded()
            continue
        if literal and line[0].isspace():
            continue  # a literal block: examples, not links
        literal = line.rstrip().endswith("::")
        paragraph.append(line.strip())
    embedded()
    return [_join_urls(_join_lines(r)) for r in refs]


def read(
    lines: list[str],
    base: str | None,
    archive_hosts: tuple[str, ...],
    date_order: str | None,
    sections_only: bool = False,
) -> tuple[list[FoundCitation], Counter[str]] | None:
    """The citations of a text that keeps its references under a References heading or,
    unless `sections_only`, puts one on each line; with the count of unusable links by
    reason. None when it is neither: then the text is read as blocks (`extract`)."""
    texts = section_references(lines)
    if texts is None and not sections_only and looks_line_per_reference(lines):
        texts = _logical_lines(lines)
    if texts is None:
        return None
    skipped: Counter[str] = Counter()
    return references(texts, base, archive_hosts, date_order, skipped), skipped


def references(
    texts: list[str],
    base: str | None,
    archive_hosts: tuple[str, ...],
    date_order: str | None,
    skipped: Counter[str],
) -> list[FoundCitation]:
    """One citation per reference text (a line, or a reference put together from its
    wrapped lines); unusable links are counted in `skipped`."""
    out: list[FoundCitation] = []
    for text in texts:
        body = _TAG.sub("", _MARKER.sub("", text, count=1), count=1)
        body = _BACKLINK.sub("", body, count=1).strip()
        body = _RST_TARGET.sub(lambda m: (m["q"] or m["plain"] or "") + ": ", body)
        stamps: list[AccessStamp] = find_stamps(body, date_order)
        plain = strip_stamps(body, stamps) if stamps else body
        links: list[tuple[str, str]] = []
        archives: list[ArchiveAddress] = []
        written = [m.group(0).rstrip(_URL_TAIL) for m in _BARE_URL.finditer(plain)]
        rest_text = plain
        for raw in written:
            rest_text = rest_text.replace(raw, " ")
        written += [m.group(0).rstrip(_URL_TAIL) for m in SCHEMELESS.finditer(rest_text)]
        for raw in written:
            plain = plain.replace(raw, " ")
            try:
                url = normalise(raw if "//" in raw else "https://" + raw, base)
            except UrlError as exc:
                skipped[str(exc)] += 1
                continue
            arch = parse_archive_link(url, archive_hosts)
            if arch is not None:
                archives.append(arch)
            elif url not in (u for u, _ in links):
                links.append((url, raw))
        rest = re.sub(r"\(\s*\)|<\s*>|`\s*`_*", " ", plain)  # "Title (URL)", "<URL>"
        rest = re.sub(r"\s+", " ", rest).strip(" ,;:")
        rest = re.sub(r"(?:\s*\.){2,}", ".", rest)  # "UNICEF. . " where a URL was
        if not stamps and not links and not archives and not YEAR.search(rest):
            continue  # a heading or a remark, not a reference
        title = ref_title(rest)
        publisher = None
        if title and title in rest:
            after = rest.split(title, 1)[1].strip(' "”»,.;:')
            publisher = after or None
        url, raw_url = links[0] if links else (None, None)
        if url is None and archives:
            url = raw_url = archives[0].original_url
        out.append(
            FoundCitation(
                position=len(out) + 1,
                title=title,
                publisher=publisher,
                stamps=stamps,
                url=url,
                raw_url=raw_url,
                archive_links=archives,
            )
        )
    return out


def url_list(text: str, base: str | None, archive_hosts: tuple[str, ...]) -> Extraction:
    """A list of URLs, one a line, each optionally followed by its title."""
    ex = Extraction("urls", None, [])
    for raw in text.splitlines():
        s = raw.strip()
        if not s or s.startswith("#"):
            continue
        href, _, rest = s.partition(" ")
        href = href.split("\t")[0]
        title = (rest or s.partition("\t")[2]).strip() or None
        try:
            url = normalise(href, base)
        except UrlError as exc:
            ex.skipped[str(exc)] += 1
            continue
        arch = parse_archive_link(url, archive_hosts)
        ex.citations.append(
            FoundCitation(
                position=len(ex.citations) + 1,
                title=title,
                url=arch.original_url if arch else url,
                raw_url=href,
                archive_links=[arch] if arch else [],
            )
        )
    return ex
