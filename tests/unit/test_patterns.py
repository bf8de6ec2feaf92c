"""core.patterns: text searched without a pattern compiled per needle."""

import random
import re

from monitor.core.patterns import occurrences


def test_occurrences_are_what_an_escaped_pattern_finds() -> None:
    rnd = random.Random(5)
    for _ in range(2000):
        text = "".join(rnd.choice("ab.*(") for _ in range(rnd.randint(0, 30)))
        needle = "".join(rnd.choice("ab.*(") for _ in range(rnd.randint(1, 4)))
        expected = [m.start() for m in re.finditer(re.escape(needle), text)]
        assert list(occurrences(text, needle)) == expected, (text, needle)
    assert list(occurrences("aaaa", "aa")) == [0, 2]  # not overlapping
    assert list(occurrences("abc", "")) == []
