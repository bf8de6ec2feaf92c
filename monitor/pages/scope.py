"""Where a page keeps its references, and which of a reference's links is the cited source
(pure, on a parsed page).

A Wikipedia article's "citations" are its reference list, not "Jump to content", "Log in",
the interlanguage links, the footer or the footnote backlinks: on a saved article 382 of
458 links were such furniture. `mark` finds the reference parts of a page, and
`monitor.pages.extract.html_lines` then reads only inside them:

- MediaWiki reference lists (`ol.references`, `div.refbegin`) and, on any page, the
  sections headed References, Notes, Sources, Bibliography, Works cited, Further reading,
  External links (and their Russian, Kazakh, French, German and Spanish names);
- nothing found (the seed page, a library guide, a reading list): the whole page, less its
  navigation, header, footer and sidebars;
- `[ingest] scope`: "auto" (the above), "all" (every link), or a CSS selector.

Inside a MediaWiki reference, the cited source is the link on the title: links to the
wiki's own articles (author, publisher) lose their link and keep their text, identifier
links (DOI, PMID...) count only when the reference has no other link, and a title linked to
its archive copy ("Archived from the original") is turned around so the original is the
source and the copy its fallback.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from monitor.core.results import Link
from monitor.core.urls import parse_archive_link
from monitor.pages.works import rank

MARK = "data-monitor-scope"
# section headings that introduce references, lower-case, in the languages stamps know
_NAMES = frozenset(
    name.strip()
    for name in """references|notes|sources|bibliography|works cited|further reading|
    external links|citations|footnotes|notes and references|references and notes|
    sources and further reading|reference list|references cited|literature cited|
    sources cited|selected bibliography|endnotes|notes and sources|source|reference|
    литература|примечания|ссылки|источники|сноски|список литературы|дереккөздер|
    сілтемелер|әдебиет|джерела|примітки|références|notes et références|liens externes|
    bibliographie|sources et bibliographie|sources et références|références bibliographiques|
    einzelnachweise|weblinks|literatur|quellen|anmerkungen|quellen und literatur|
    literaturverzeichnis|quellenverzeichnis|referencias|notas|enlaces externos|bibliografía|
    fuentes|referencias bibliográficas|notas y referencias|fuentes y referencias|referências|
    referências bibliográficas|bibliografia|fontes|notas e referências|ligações externas|
    riferimenti|riferimenti bibliografici|note|collegamenti esterni|referințe|
    note și referințe|bibliografie|legături externe|przypisy|źródła|linki zewnętrzne|
    bronnen|referenties|literatuur|externe links|kaynakça|kaynaklar|källor|referenser|
    kilder|lähteet|viitteet|zdroje|odkazy|literatura|参考资料|参考文献|参考來源|参考来源|
    注释|註釋|外部链接|外部連結|延伸阅读|延伸閱讀|脚注|出典|注釈|参照|参考|外部リンク|
    참고 문헌|각주|외부 링크|مراجع|المراجع|مصادر|المصادر|وصلات خارجية|ملاحظات|
    قراءات إضافية""".replace("\n", "").split("|")
)
FURNITURE = (
    "nav, header, footer, aside, [role=navigation], [role=banner], [role=contentinfo], "
    "[role=search], #mw-navigation, #mw-panel, #mw-head, .mw-jump-link, .mw-editsection, "
    ".navbox, .vertical-navbox, #toc, .toc, .catlinks, #footer, .printfooter, #siteNotice, "
    ".mw-cite-backlink, [rel~='mw:referencedBy'], a[href*='#cite_ref'], .mw-linkback-text, "
    "sup.reference, sup.mw-ref, "
    ".mw-indicators, .vector-header-container, "
    ".vector-page-toolbar, .vector-column-start, #p-lang, .interlanguage-link"
)
_IDENTIFIER_HOSTS = (
    "doi.org", "dx.doi.org", "hdl.handle.net", "pubmed.ncbi.nlm.nih.gov",
    "www.ncbi.nlm.nih.gov", "arxiv.org", "www.jstor.org", "www.worldcat.org",
    "search.worldcat.org", "portal.issn.org", "api.semanticscholar.org", "ui.adsabs.harvard.edu",
    "www.osti.gov", "zbmath.org", "mathscinet.ams.org", "catalog.hathitrust.org",
    "lccn.loc.gov", "id.loc.gov", "opac.nlc.cn", "d-nb.info", "openlibrary.org",
    "ci.nii.ac.jp", "id.ndl.go.jp", "www.sudoc.fr", "www.idref.fr", "adsabs.harvard.edu",
)  # fmt: skip
# the anchor CS1 puts on the original address of an archived source, in the languages of
# `_NAMES` and in Chinese ("原始内容存档于...") and Arabic
_ORIGINAL = re.compile(
    r"^\s*(?:(?:the\s+|l'|el\s+|o\s+)?original|оригинала?|原始内容|原始內容|الأصل)\s*$", re.I
)


_TEXT_URL = re.compile(r"(?<![\"'=])https?://", re.IGNORECASE)
_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def _text_urls(text: str) -> int:
    """How many URLs `text` writes out. Only where "://" stands: the pattern has no first
    letter to skip by and tried every position of a whole reference list's text (measured:
    docs/performance.md)."""
    return len(_TEXT_URL.findall(text)) if "://" in text else 0


def _level(node: LexborNode) -> int | None:
    """The heading level of `node` (a heading, or MediaWiki's `div.mw-heading` around one)."""
    if node.tag in _HEADING_TAGS:
        return int(node.tag[1])
    if node.tag == "div" and "mw-heading" in (node.attributes.get("class") or ""):
        inner = node.css_first(",".join(_HEADING_TAGS))
        return int(inner.tag[1]) if inner is not None else None
    return None


# what sits beside a heading's words without being one: a permalink ("#", "¶", "§", "🔗"),
# numbering ("7.", "IV."), an edit link
_HEADING_NOISE = re.compile(r"\[\s*(?:edit|править|modifier|bearbeiten|editar)[^\]]*\]", re.I)
_HEADING_NUMBER = re.compile(r"^(?:\d+(?:\.\d+)*|[ivxlc]+|[a-z])[.)]?\s+", re.I)


def _heading_text(node: LexborNode) -> str:
    """A heading's words, lower-case: without its permalink anchors, edit links, numbering
    and the symbols around them ("References#", "¶ Sources", "7. References")."""
    parts = []
    for child in node.traverse(include_text=True):
        if child.tag != "-text":
            continue
        parent = child.parent
        in_anchor = parent is not None and parent.tag == "a" and parent is not node
        text = child.text_content or ""
        if in_anchor and not re.search(r"\w{2}", text):
            continue  # a permalink: "#", "¶", "§", an icon
        parts.append(text)
    return _heading_words(" ".join(parts))


def _heading_words(text: str) -> str:
    text = _HEADING_NOISE.sub("", text)
    text = re.sub(r"\s+", " ", text).strip().lower()
    text = re.sub(r"^[^\w]+|[^\w)]+$", "", text)  # "# references", "references:", "¶"
    return _HEADING_NUMBER.sub("", text)


def _first_content(node: LexborNode) -> LexborNode | None:
    """The first child that is not white space."""
    child = node.child
    while child is not None and child.tag == "-text" and not (child.text_content or "").strip():
        child = child.next
    return child


def _short_text(node: LexborNode, max_nodes: int = 12) -> str | None:
    """The text of a small element with no link, paragraph or heading inside, else None;
    at most `max_nodes` nodes are visited (absurdly deep markup costs nothing)."""
    parts: list[str] = []
    seen = 0
    stack = [node.child] if node.child is not None else []
    while stack:
        n = stack.pop()
        while n is not None:
            seen += 1
            if seen > max_nodes:
                return None
            if n.tag == "-text":
                parts.append(n.text_content or "")
            elif n.tag in ("a", "p", "div", "li", "ul", "ol", "table", *_HEADING_TAGS):
                return None
            elif n.child is not None:
                stack.append(n.child)
            n = n.next
    return "".join(parts)


def _pseudo_headings(tree: LexborHTMLParser) -> list[LexborNode]:
    """Blocks that stand as a heading without being one: `<p><strong>Quellen</strong></p>`,
    `<div class="tab-headline">Sources</div>`: a short block, no link in it, whose words
    are a references heading's."""
    out = []
    for node in tree.css("p, div, dt"):
        text = _short_text(node)
        if text and len(text.strip()) <= 60 and _heading_words(text) in _NAMES:
            out.append(node)
    return out


def _mark_sections(tree: LexborHTMLParser) -> int:
    """Mark what follows each reference heading, up to the next heading of its level (a
    block standing as a heading reaches the next heading of any level)."""
    marked = 0
    real = [h for h in tree.css(",".join(_HEADING_TAGS)) if _heading_text(h) in _NAMES]
    for h in real + (_pseudo_headings(tree) if not real else []):
        parent = h.parent
        anchor = parent if parent is not None and _level(parent) is not None else h
        level = _level(anchor) or 6
        # a heading alone in a wrapper (`<header><h2>References</h2></header>`, an hgroup):
        # the section's content follows the wrapper
        while (
            _last_in_parent(anchor)
            and anchor.parent is not None
            and (anchor.parent.tag not in ("section", "article", "main", "body", "aside"))
        ):
            anchor = anchor.parent
        node = anchor.next
        while node is not None:
            nested = _level(node)
            if nested is not None and nested <= level:
                break
            if node.tag not in ("-text", "-comment"):
                node.attrs[MARK] = "1"
                marked += 1
            node = node.next
    return marked


def _last_in_parent(node: LexborNode) -> bool:
    """Nothing but white space follows `node` inside its parent."""
    nxt = node.next
    while nxt is not None:
        if nxt.tag == "-comment" or (nxt.tag == "-text" and not (nxt.text_content or "").strip()):
            nxt = nxt.next
            continue
        return False
    return True


def _holds_references(node: LexborNode) -> bool:
    """A part of the page that carries a references heading (an article's JATS back
    matter in `<footer>`, a section's `<header>`): never furniture."""
    return any(_heading_text(h) in _NAMES for h in node.css(",".join(_HEADING_TAGS)))


def _inside_content(node: LexborNode) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in ("article", "main", "section"):
            return True
        parent = parent.parent
    return False


def _own_host(tree: LexborHTMLParser, page_url: str | None) -> str | None:
    """The page's own site: its canonical link, else its <base href> (Parsoid writes one),
    else the address it was read from."""
    canonical = tree.css_first('link[rel="canonical"]')
    base = tree.css_first("base[href]")
    href = (
        (canonical.attributes.get("href") if canonical else None)
        or (base.attributes.get("href") if base else None)
        or page_url
        or ""
    )
    return (urlsplit(href).hostname or "").lower() or None


# the wiki's sister projects: a "Wikidata item" or "Wiktionary" link is the wiki's own
_SISTERS = (
    "wikipedia.org", "wikimedia.org", "wikidata.org", "wiktionary.org", "wikisource.org",
    "wikiquote.org", "wikibooks.org", "wikinews.org", "wikiversity.org", "wikivoyage.org",
    "mediawiki.org", "wikifunctions.org",
)  # fmt: skip


def _is_internal(href: str, own: str | None) -> bool:
    """A link to the wiki's own articles or its sister projects (relative, to its own host,
    to wikipedia.org or wikimedia.org); an in-page anchor is not a link to unwrap."""
    if href.startswith("#"):
        return False
    parts = urlsplit(href)
    if not parts.scheme and not href.startswith("//"):
        return True
    host = (parts.hostname or "").lower()
    return (bool(own) and host == own) or host.endswith(_SISTERS)


def _record_list(item: LexborNode) -> bool:
    """An external links item that lists the subject's records in databases (authority
    control, film and book databases): three links or more to as many sites, each named
    by a word or two. Records about the page's subject, not works it cites."""
    if any(p.tag == "ol" and "references" in (p.attributes.get("class") or "") for p in _up(item)):
        return False
    links = [a for a in item.css("a[href]") if urlsplit(a.attributes.get("href") or "").hostname]
    hosts = {(urlsplit(a.attributes.get("href") or "").hostname or "").lower() for a in links}
    short = all(len((a.text() or "").split()) <= 4 for a in links)
    return len(links) >= 3 and len(hosts) >= 3 and short


def _up(node: LexborNode) -> list[LexborNode]:
    out = []
    parent = node.parent
    while parent is not None:
        out.append(parent)
        parent = parent.parent
    return out


def _short_footnote(item: LexborNode) -> bool:
    """A short footnote ("Kennedy 2007, p. 400.", CS1's {{sfn}}) points at a work the page's
    bibliography cites in full; that entry is the citation, the footnote is not another."""
    links = [a.attributes.get("href") or "" for a in item.css("a[href]")]
    own = [h for h in links if h.startswith("#CITEREF")]
    return bool(own) and all(h.startswith("#") for h in links)


def _roles(item: LexborNode) -> None:
    """Keep, in one MediaWiki reference, the links that are its source and its fallback
    (`mark` has already taken the link off every mention of the wiki's own articles)."""
    external = [
        a for a in item.css("a[href]") if not (a.attributes.get("href") or "#").startswith("#")
    ]
    host = lambda a: (urlsplit(a.attributes.get("href") or "").hostname or "").lower()  # noqa: E731
    # copies in a web archive (a book scanned at archive.org/details/ is a source, not a copy)
    replay = lambda a: parse_archive_link(a.attributes.get("href") or "") is not None  # noqa: E731
    archived = [a for a in external if replay(a)]
    original = [a for a in external if _ORIGINAL.match(a.text() or "")]
    if archived and original and external.index(archived[0]) < external.index(original[0]):
        # "<a href=ARCHIVE>Title</a> ... Archived from <a href=ORIGINAL>the original</a>":
        # the title names the original; the copy is its fallback
        title, orig = archived[0], original[0]
        title_href, orig_href = title.attributes["href"], orig.attributes["href"]
        title.attrs["href"], orig.attrs["href"] = orig_href, title_href
    ids = [a for a in external if host(a) in _IDENTIFIER_HOSTS]
    others = [a for a in external if a not in ids and not replay(a)]
    # with no link of its own, the reference is checked at its best identifier: a DOI
    # before a PubMed record before a Bibcode (`pages.works.rank`)
    ids.sort(key=lambda a: rank(a.attributes.get("href") or "", Link("", a.text() or "")))
    for a in ids if others else ids[1:]:
        a.unwrap()  # DOI, PMID...: the reference's identifiers, not further citations


def mark(tree: LexborHTMLParser, scope: str = "auto", page_url: str | None = None) -> bool:
    """Mark the parts of the page that hold its references; True when the reader should
    read only those. Also removes page furniture and sorts out MediaWiki link roles."""
    if scope == "all":
        return False
    if scope != "auto":
        nodes = tree.css(scope)
        for node in nodes:
            node.attrs[MARK] = "1"
        return bool(nodes)
    for node in tree.css(FURNITURE):
        # `<header>` and `<footer>` inside an article or section belong to it (HTML's
        # sectioning): kept when they carry its references
        if node.tag in ("header", "footer") and _inside_content(node) and _holds_references(node):
            continue
        node.decompose()
    lists = tree.css("ol.references, div.refbegin, div.reflist")
    for node in lists:
        node.attrs[MARK] = "1"
    found = _mark_sections(tree) + len(lists)
    if lists:  # a MediaWiki page: its own articles are never cited sources
        own = _own_host(tree, page_url)
        for a in tree.css(f"[{MARK}] a[href]"):
            if _is_internal(a.attributes.get("href") or "#", own):
                a.unwrap()  # "Media related to Mozilla at Wikimedia Commons", author links
        for item in tree.css(f"[{MARK}] li, li[{MARK}]"):
            if _short_footnote(item):
                item.decompose()
                continue
            if _record_list(item):
                item.decompose()  # "Ressources relatives à l'audiovisuel : IMDb · Allociné"
                continue
            _roles(item)
    if not found:
        return False
    # a references heading over two or three links of its own is not the page's citations
    # when the rest of the page is where they are (a blog's "Sources: a, b" footer)
    # (a URL written as text counts: an MLA "Works Cited" list often links nothing)
    marked = tree.css(f"[{MARK}]")
    anchors = sum(len(n.css("a[href]")) for n in marked)

    def linked() -> int:
        """The links and the URLs written as text. Asked only when the text can change an
        answer (the links alone do not settle it): reading a whole reference list's text
        keeps its size in the parser's memory until the page is freed (measured:
        docs/performance.md)."""
        return anchors + sum(_text_urls(n.text()) for n in marked)

    if not lists:
        items = _list_items(tree, _own_host(tree, page_url))
        # linked() >= anchors: when the links alone do not reach it, neither does linked()
        if items >= max(10, 2 * anchors) and items >= max(10, 2 * linked()):
            # the page's body is itself a list of linked works (an awesome list, a reading
            # list): a trailing "Footnotes" or "Notes" section does not narrow it to itself
            for node in marked:
                del node.attrs[MARK]
            return False
    return anchors >= 3 or linked() >= 3


def _list_items(tree: LexborHTMLParser, own: str | None) -> int:
    """List items outside the reference parts that begin with a link to another site: the
    shape of a page whose body is a list of cited works."""
    # by the parser's node, not id(): a wrapper freed lends its id to the next one made
    marked = {n.mem_id for n in tree.css(f"[{MARK}] li, li[{MARK}]")}
    count = 0
    for li in tree.css("li"):
        if li.mem_id in marked:
            continue
        a = _first_content(li)
        if a is not None and a.tag == "p":  # a loose list's item: <li><p><a ...>
            a = _first_content(a)
        if a is None or a.tag != "a":
            continue
        href = a.attributes.get("href") or ""
        host = (urlsplit(href).hostname or "").lower()
        if host and host != own and (_short_text(a, 24) or "").strip():
            count += 1
    return count
