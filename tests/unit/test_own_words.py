"""Evidence from the work, not its surroundings (issue 29): what a page says of itself is
read apart from its chrome, and titles are told apart by every word that names them."""

from __future__ import annotations

from monitor.checking.pageread import inspect_page
from monitor.core.evidence import PageFields, numbers_disagree, title_evidence, tokens
from monitor.core.verdict import Hop, Observation, Verdict, decide

SIDEBAR = (
    '<nav id="sidebar" class="sidebar"><ol class="chapter"><li><a href="/helm/partone.html">'
    "Helm Part 1</a></li><li><a href='/ingress.html'>Ingress from scratch</a></li></ol></nav>"
)


def page(title: str, h1: str, body: str, chrome: str = SIDEBAR) -> bytes:
    return (
        f"<html><head><title>{title}</title></head><body>{chrome}<div class='page'>"
        f"<main><h1>{h1}</h1><p>{body}</p></main></div>"
        "<footer class='site-footer'>Ingress from scratch · Helm Part 1</footer></body></html>"
    ).encode()


def evidence(cited: str, body: bytes, url: str = "http://book.test/x.html") -> float:
    facts = inspect_page(body, "utf-8", "text/html", url=url)
    found = title_evidence(
        [cited], PageFields(facts.title, facts.fields, facts.text, (), facts.own)
    )
    assert found is not None
    return found.score


def test_a_page_that_only_links_to_the_work_does_not_carry_it() -> None:
    configmaps = page("ConfigMaps - Book", "ConfigMaps", "A ConfigMap stores configuration.")
    assert evidence("Ingress from scratch", configmaps) < 60  # in the sidebar and footer only
    facts = inspect_page(configmaps, "utf-8", "text/html", url="http://book.test/x.html")
    assert "Ingress" in facts.text and "Ingress" not in facts.own()  # all words vs own words
    assert ("h1", "ConfigMaps") in facts.fields


def test_headings_of_listings_and_sidebars_are_not_the_pages_own() -> None:
    listing = (
        b"<html><body><aside><h2>Recent posts</h2></aside><main>"
        b"<h2><a href='/posts/a/'>Alpha release notes</a></h2>"
        b"<h1><a href='/posts/b/'>Beta release notes</a></h1></main></body></html>"
    )
    facts = inspect_page(listing, "utf-8", "text/html", url="http://blog.test/posts/b/")
    assert [t for _, t in facts.fields] == ["Beta release notes"]  # its own permalink only


def test_numbers_tell_parts_of_a_series_apart() -> None:
    part3 = page(
        "Helm Part 3 - Book", "Setting up Helm Charts", "Helm is a package manager, part of"
    )
    assert evidence("Helm Part 1", part3) < 60
    assert evidence("Helm Part 3", part3) >= 95
    mk2 = page("Machine Levine Mk. II", "Machine Levine Mk. II", "The second machine.")
    assert evidence("Machine Levine Mk. I", mk2) < 60
    assert numbers_disagree(tokens("Report 2011"), tokens("Report 2012"))
    assert not numbers_disagree(tokens("Annual Report"), tokens("Annual Report 2012"))


def test_a_word_swapped_for_another_is_another_work() -> None:
    sqlite = page("Migrating a SQLite database to PostgreSQL", "Migrating a SQLite database", "x")
    assert evidence("Migrating a MySQL Database to PostgreSQL", sqlite) < 60
    grpc = page("gRPCのインストール", "gRPCのインストール", "インストールします")
    assert evidence("Goのインストール", grpc) < 60
    kazakh = page("Kazakh women sold as sex slaves", "Kazakh women sold as sex slaves", "x")
    assert evidence("Kazak Women Sold as Sex Slaves", kazakh) >= 60  # spelt otherwise


def test_cjk_titles_are_compared_by_character_pairs() -> None:
    assert tokens("过滤器、拦截器") == ["过滤", "滤器", "拦截", "截器"]
    article = page("过滤器、拦截器、监听器 | 罗布斯", "过滤器、拦截器、监听器", "正文")
    assert evidence("过滤器、拦截器、监听器", article) >= 95
    other = page("elasticsearch 核心概念 | 罗布斯", "elasticsearch 核心概念", "正文")
    assert evidence("过滤器、拦截器、监听器", other) < 60


def test_short_titles_must_be_the_pages_own_title() -> None:
    storage = page("Storage – Docs", "Storage", "Volumes and claims.")
    assert evidence("Storage", storage) == 100
    assert evidence("Storage", page("7 Storage – Docs", "7 Storage", "x")) == 100  # chapter 7
    android = page("Android: Architecture", "Android: Architecture", "Layers of an app.")
    assert evidence("Architecture", android) < 60
    txpool = page("Blocks – Docs", "Blocks", "The TxPool holds transactions. TxPool")
    assert evidence("TxPool", txpool) < 60  # a word of the text is not the title
    assert evidence("About us", page("Contact us", "Contact us", "Write to us.")) < 60


def test_a_title_part_that_is_not_the_pages_own_names_the_site() -> None:
    chapter = page("AI에게 코드 요청하기 – 챗GPT 코딩2", "AI에게 코드 요청하기", "본문")
    assert evidence("챗GPT 코딩", chapter) < 60  # the book's name, in every page's title
    cottage = (
        b"<html><head><title>Cottage Labs</title></head><body><main><h1>Bespoke Development"
        b"</h1><p>We build software.</p></main></body></html>"
    )
    assert evidence("Bespoke Development – Cottage Labs", cottage) >= 95


def test_a_redirect_is_moved_only_to_a_page_carrying_the_work() -> None:
    def judge(final: str, title: str, status: int = 301) -> Verdict:
        obs = Observation(
            url="http://blog.test/posts/2024/ixf/", status=200, final_url=final, html=True,
            chain=[Hop("http://blog.test/posts/2024/ixf/", status)], title=title,
            cited_titles=["Loading IXF Data"],
        )  # fmt: skip
        return decide(obs).verdict

    assert judge("http://blog.test/posts/2024/ixf-data/", "Loading IXF Data") is Verdict.MOVED
    assert judge("http://blog.test/posts/2024/dbf/", "Loading DBF data") is Verdict.DRIFTED
    assert judge("http://blog.test/posts/", "All posts", 302) is Verdict.SOFT404  # above it


def test_a_plain_title_on_a_page_that_names_another_address_is_another_page() -> None:
    """ "Command Reference" served at /PowerShell/ by the page whose canonical link (or
    current-page mark) says /Az/: another page of the same name. The same page reached at
    an old address it still names, or a section above it, is not."""

    def judge(selves: list[str], url: str = "http://kb.test/docs/PowerShell/Command%20Reference/"):
        obs = Observation(
            url=url, status=200, html=True, title="Command Reference | KB",
            fields=[("h1", "Command Reference")], cited_titles=["Command Reference"],
            self_urls=selves,
        )  # fmt: skip
        return decide(obs).verdict

    assert judge(["https://kb.example/docs/Az/Command Reference"]) is Verdict.DRIFTED
    assert judge(["https://kb.example/docs/PowerShell/Command Reference/"]) is Verdict.ALIVE
    assert judge(["https://kb.example/docs/"]) is Verdict.ALIVE  # a section above it
    assert judge([]) is Verdict.ALIVE
