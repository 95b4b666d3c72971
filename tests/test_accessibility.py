"""axe-core (WCAG 2 A and AA rules) on every page: no violation the app causes.

axe-core 4.14.1 comes from package.json (``npm ci``, run by ``make test``) and
is injected into each page once it has finished running. A violation fails
the test unless it matches :data:`ALLOWED`: rule id and a selector pattern
for markup Streamlit itself produces, each with the reason (docs/room.md,
"Accessibility"). Anything new fails, with the rule, the element and axe's
explanation in the message.
"""

import re

import pytest

from conftest import ROOM_SIZES, assert_no_exception, axe_violations, page_url, room_pages, wait_for_app

pytestmark = pytest.mark.browser

# (rule id, regular expression the element's selector must match, why it is allowed).
# Keep this list short and explained: each entry is something the app cannot change.
ALLOWED: list[tuple[str, str, str]] = []

PAGES = room_pages()
TITLES = dict(PAGES)
# every page at both sizes (a phone scrolls what does not fit, which has rules of its own), and
# presenter mode's storyboard bar with a key figure in large type
CASES = ([(name, "", size) for name, _ in PAGES for size in ROOM_SIZES]
         + [("patches", "present=1&scene=3", "1920x1080")])


def allowed(rule, selector):
    """The reason a violation is allowed, or None."""
    for rule_id, pattern, reason in ALLOWED:
        if rule == rule_id and re.search(pattern, selector):
            return reason
    return None


def test_the_allow_list_is_explained():
    for rule_id, pattern, reason in ALLOWED:
        assert rule_id and re.compile(pattern) and len(reason) > 20


@pytest.mark.parametrize(("name", "query", "size"), CASES,
                         ids=[f"{n}-{size}{'-presenting' if q else ''}" for n, q, size in CASES])
def test_no_accessibility_violation_the_app_causes(room, app_url, name, query, size):
    rp = room(size)
    pg = rp.page
    pg.goto(page_url(app_url, name, query))
    wait_for_app(pg, timeout=120_000)
    pg.get_by_role("heading", name=TITLES[name]).first.wait_for()
    assert_no_exception(pg)
    found = axe_violations(pg)
    left = [v for v in found if allowed(v[0], v[2]) is None]
    report = "\n".join(f"- {rule} ({impact}) {selector}\n    {html}\n    {' '.join(summary.split())[:300]}"
                       for rule, impact, selector, html, summary in left)
    assert not left, f"{len(left)} accessibility violation(s) on {name} at {size} (axe-core, WCAG 2 A/AA):\n{report}"
