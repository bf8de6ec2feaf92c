"""Every real page of the corpus (tests/corpus, and ../shared/realpages when it is beside
the repository) at or above its recorded best, figure by figure: recall, precision, access
dates, archive pairs, titles. One page going down fails, whatever the totals do."""

from __future__ import annotations

import json

from bench.corpus_score import BEST, FIGURES, below_best, pages, score_all


def test_the_corpus_is_there_and_large() -> None:
    found = list(pages())
    assert len(found) >= 35
    assert all(page.exists() for page, _ in found)


def test_no_page_is_below_its_best() -> None:
    best = json.loads(BEST.read_text("utf-8"))
    scores = score_all()
    assert not [s.page for s in scores if s.error]
    assert below_best(scores, best) == []
    assert all(set(best[s.page]) == set(FIGURES) for s in scores if s.page in best)
