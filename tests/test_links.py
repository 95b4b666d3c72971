"""One notice for every page's links: the wording, values shown as typed, the common readers."""

import re

import pytest
from hypothesis import given, strategies as st

from patchlab.links import Ignored, choice, flag, last, link_notice, unknown_parameters, whole_number, words


def test_one_notice_names_every_setting_with_what_was_expected():
    assert link_notice([]) is None
    notice = link_notice([Ignored("kernel size", "0", "a whole number from 1 to 12"),
                          Ignored("initialisation", "x", "Bilinear, Random or Nearest-neighbour (box)")])
    assert notice == ("Part of this link could not be used: kernel size `0` (expected a whole number from 1 to 12); "
                      "initialisation `x` (expected Bilinear, Random or Nearest-neighbour (box)). "
                      "The page shows the default instead.")
    assert notice.count("\n") == 0
    # a value limited to its range says what is used; nothing then is "at its default"
    only_clamped = link_notice([Ignored("brush size", "80", "5 to 60 px", used="60 px")])
    assert only_clamped.endswith("(expected 5 to 60 px; using 60 px).") and "default" not in only_clamped
    assert link_notice([Ignored("zzz", "1", None)]).endswith("zzz `1` (not a setting of this page).")


@pytest.mark.parametrize("value", ["[x](http://www.example.com)", "`a``b`", "$x^2$ **b**", "<img src=x>", "`"])
def test_each_value_sits_in_a_code_span_that_holds_it(value):
    phrase = Ignored("initialisation", value, "why").phrase()
    fence = re.match(r"initialisation (`+)", phrase).group(1)
    inner = phrase[len("initialisation ") + len(fence):phrase.rindex(fence)]
    assert inner.strip() == value
    assert fence not in value  # no run of backticks in the value closes the span early


@given(st.text(max_size=300))
def test_any_value_is_quoted_short_on_one_line(value):
    phrase = Ignored("photo", value, "one of the sample photos").phrase()
    assert "\n" not in phrase and "\r" not in phrase
    assert len(phrase) < 100 + 2 * len(re.findall("`", value[:40])) + 10
    if not " ".join(value.split()):
        assert "(empty)" in phrase


def test_the_readers():
    ignored = []
    assert last(["1", "2"]) == "2" and last("3") == "3" and last([]) == ""
    assert choice({"r": " Vote "}, "r", "fusion rule", {"vote": "vote"}, ignored) == "vote"
    assert choice({}, "r", "fusion rule", {"vote": "vote"}, ignored) is None and ignored == []
    assert whole_number({"n": "+7"}, "n", "n", 0, 9, ignored) == 7
    for bad in ("7.0", "1e3", "٣", "", "0x10", "9" * 20):
        assert whole_number({"n": bad}, "n", "n", 0, 9, ignored) is None
    assert len(ignored) == 6
    assert flag({"f": "Off"}, "f", "f", ignored) is False and flag({"f": "2"}, "f", "f", ignored) is None
    assert words(["a"]) == "a" and words(["a", "b"], "and") == "a and b"


def test_the_apps_own_parameters_are_never_reported():
    assert unknown_parameters({"present": "1", "scene": "3", "story": "x", "lang": "zh", "p": "4"}, ["p"]) == []
