"""The room as a class, in the browser, through a room of two replicas (``scripts/room.py``: haproxy, Redis).

Three participants on different replicas train a classifier (a tiny budget), fill and share, and guess; the
instructor's Room page shows all three; a follower's page moves when the presenter presses Next, and its fill
is still there when the scene comes back; Redis stopped: the pages keep working and the Room page says so;
Redis back: a new fill appears. The key leaves the address bar; axe-core finds nothing on the Room page at a
projector's and a phone's size. Screenshots: tests/artifacts/room-live-*.png.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time

import pytest

from apprunner import ARTIFACTS, ROOT
from conftest import ROOM_SIZES, assert_no_exception, axe_violations, full_screenshot, wait_for_app

pytestmark = pytest.mark.browser
KEY = "room-test-" + secrets.token_urlsafe(18)


@pytest.fixture(scope="module")
def live_room(tmp_path_factory):
    """A room of two replicas with short trainings; yields (base URL, status, state folder)."""
    from redis_fixture import require_redis, room_py

    require_redis()
    if not room_py.haproxy_binary():
        if os.environ.get("CI"):
            pytest.fail("haproxy is missing; `make test` installs Debian's haproxy")
        pytest.skip("haproxy is missing (run `make test` as root to install it)")
    state = tmp_path_factory.mktemp("live-room")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / "room-live-supervisor.log", "w")
    env = {**os.environ, "PATCHLAB_INSTRUCTOR_KEY": KEY, "PATCHLAB_TRAIN_STEPS": "20"}
    proc = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "room.py"), "--replicas", "2", "--port", "0",
                             "--address", "127.0.0.1", "--state", str(state)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    status, deadline = None, time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"scripts/room.py exited with {proc.returncode}: see room-live-supervisor.log")
        try:
            status = json.loads((state / "room.json").read_text())
        except (OSError, ValueError):
            status = None
        if status and all(r["proxy_state"] == "UP" for r in status["replicas"]):
            break
        time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("the room did not come up within 180 s")
    yield f"http://127.0.0.1:{status['port']}", status, state
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
    for name in ("r1", "r2"):  # the replicas' logs keep no secret and no stack
        path = state / "logs" / f"{name}.log"
        if path.exists():
            from apprunner import log_problems

            text = path.read_text(errors="replace")
            assert KEY not in text
            assert not [p for p in log_problems(text) if "room store unavailable" not in p], name


def _participant(browser, base, replica, size="1920x1080"):
    """A participant's browser, on ``replica`` (the proxy's affinity cookie)."""
    context = browser.new_context(**ROOM_SIZES[size])
    context.add_cookies([{"name": "SERVERID", "value": replica, "url": base}])
    pg = context.new_page()
    pg.set_default_timeout(90_000)
    return context, pg


def _open(pg, url):
    pg.goto(url)
    wait_for_app(pg, timeout=180_000)


def _train(pg, base):
    _open(pg, f"{base}/train?tp=14&taug=false")
    pg.get_by_role("button", name="Train", exact=True).click()
    pg.get_by_text("Your model against the shipped one").wait_for(timeout=240_000)


def _fill(pg, base, share=True):
    _open(pg, f"{base}/inpainting?photo=coffee&tool=Rectangle")
    pg.wait_for_timeout(800)
    wait_for_app(pg)
    upper = pg.locator("canvas.upper-canvas").first
    upper.wait_for(state="visible")
    upper.scroll_into_view_if_needed()
    box = upper.bounding_box()
    pg.mouse.move(box["x"] + box["width"] * 0.35, box["y"] + box["height"] * 0.35)
    pg.mouse.down()
    pg.mouse.move(box["x"] + box["width"] * 0.55, box["y"] + box["height"] * 0.55, steps=8)
    pg.mouse.up()
    pg.wait_for_timeout(1500)
    wait_for_app(pg)
    if share:
        pg.locator('[data-testid="stCheckbox"]').filter(has_text="Share my fill with the room").click()
        wait_for_app(pg)
    pg.get_by_role("button", name="Fill", exact=True).click()
    pg.get_by_role("heading", name="Results").wait_for(timeout=180_000)
    wait_for_app(pg, timeout=180_000)


def _toggle(pg, label):
    """Flip the sidebar's switch called ``label`` (by its label: the input itself is hidden)."""
    pg.locator('[data-testid="stSidebar"] label').filter(has_text=label).first.click()
    wait_for_app(pg)


def _metric(pg, label):
    return pg.locator('[data-testid="stMetric"]').filter(has_text=label).locator(
        '[data-testid="stMetricValue"]').first.inner_text()


def test_the_room_live_through_two_replicas(live_room, browser):
    base, status, state = live_room
    began = time.monotonic()
    contexts = []
    try:
        # the instructor, at the projector: the key leaves the address bar at once
        ictx, teacher = _participant(browser, base, "r1")
        contexts.append(ictx)
        _open(teacher, f"{base}/room?key={KEY}")
        teacher.get_by_role("heading", name="Who is here").wait_for()
        assert "key=" not in teacher.url and KEY not in teacher.url

        # three participants on both replicas: a training each, a shared fill each
        people = []
        for k, replica in enumerate(("r1", "r2", "r2")):
            ctx, pg = _participant(browser, base, replica)
            contexts.append(ctx)
            people.append(pg)
        for pg in people:
            _train(pg, base)
        for pg in people:
            _fill(pg, base)
            assert_no_exception(pg)

        # within 10 s the Room page shows all three, whichever replica served them
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _metric(teacher, "Since the start") != "3":
            teacher.wait_for_timeout(500)
        assert _metric(teacher, "Since the start") == "3"
        teacher.get_by_text("3 runs by 3 participants").wait_for(timeout=10_000)
        teacher.get_by_text("over 3 fills").wait_for(timeout=10_000)
        teacher.get_by_text("Shared fills").wait_for(timeout=10_000)
        full_screenshot(teacher, ARTIFACTS / "room-live-1920-room-page.png")

        # predict with the room: the presenter hides the answer; participants guess on their own screens
        pctx, presenter = _participant(browser, base, "r2")
        contexts.append(pctx)
        _open(presenter, f"{base}/room?key={KEY}")  # this browser is the instructor's now, on every page
        from patchlab.classification.failures import read_test_answers
        from patchlab.classification.fusion import RULES

        answer = str(int(read_test_answers(14).fused_labels[RULES.index("mean"), 1]))  # what the page will reveal
        wrong = "7" if answer != "7" else "8"
        _open(presenter, f"{base}/classification?present=1&input=Test+digit+gallery&digit=1&patch=14")
        _toggle(presenter, "Predict, then reveal")
        presenter.get_by_role("button", name="Reveal", exact=True).wait_for()
        for pg, guess in zip(people[1:], (wrong, answer)):
            _open(pg, f"{base}/upsampling")
            pg.get_by_text("The presenter asks: Which digit will the network answer?").wait_for(timeout=15_000)
            pg.locator('[data-testid="stButtonGroup"] button').filter(has_text=re.compile(f"^{guess}$")).click()
            pg.get_by_text(f"Your guess: {guess}").wait_for()
        presenter.get_by_role("button", name="Reveal", exact=True).click()
        people[1].get_by_text(f"The answer: {answer}").wait_for(timeout=15_000)
        teacher.get_by_text("given by 1 of 2").wait_for(timeout=15_000)
        _toggle(presenter, "Predict, then reveal")

        # following: the first participant, still on its Fill (the same session), follows the presenter
        follower = people[0]
        follower.get_by_role("heading", name="Results").wait_for()
        _toggle(follower, "Follow the presenter")
        wait_for_app(follower)
        _open(presenter, f"{base}/?present=1&scene=1")
        presenter.get_by_role("button", name="Next").click()  # scene 2: Patches
        follower.wait_for_url(lambda url: "/patches" in url, timeout=15_000)
        wait_for_app(follower, timeout=120_000)
        assert_no_exception(follower)
        full_screenshot(follower, ARTIFACTS / "room-live-1920-follower-on-scene-2.png")
        for _ in range(5):  # scenes 3 to 7: the seventh is the Inpainting page on coffee
            wait_for_app(presenter, timeout=120_000)
            presenter.get_by_role("button", name="Next").click()
        follower.wait_for_url(lambda url: "/inpainting" in url, timeout=60_000)
        follower.get_by_role("heading", name="Results").wait_for(timeout=60_000)  # its own fill is still there
        assert_no_exception(follower)
        full_screenshot(follower, ARTIFACTS / "room-live-1920-follower-back-on-its-fill.png")

        # Redis stopped in the middle of the workshop: pages keep working, the Room page says so
        redis_pid = json.loads((state / "room.json").read_text())["redis"]["pid"]
        os.kill(redis_pid, signal.SIGSTOP)
        try:
            teacher.get_by_text("The room's data is unavailable right now").wait_for(timeout=15_000)
            _open(people[2], f"{base}/patches?p=32&s=16")
            assert_no_exception(people[2])
            people[2].get_by_role("heading", name="Patches").wait_for()
            full_screenshot(teacher, ARTIFACTS / "room-live-1920-redis-stopped.png")
        finally:
            os.kill(redis_pid, signal.SIGCONT)
        # Redis back: a new fill arrives without a restart
        _fill(people[2], base, share=False)
        teacher.get_by_text("over 4 fills").wait_for(timeout=20_000)

        # the Room page passes axe at a projector's and a phone's size
        assert axe_violations(teacher) == []
        phone, ph = _participant(browser, base, "r1", "390x844")
        contexts.append(phone)
        _open(ph, f"{base}/room?key={KEY}")
        ph.get_by_role("heading", name="Who is here").wait_for()
        assert axe_violations(ph) == []
        assert ph.evaluate("document.documentElement.scrollWidth") <= 390
        full_screenshot(ph, ARTIFACTS / "room-live-390-room-page.png")
    finally:
        for ctx in contexts:
            ctx.close()
    print(f"room test: {time.monotonic() - began:.0f} s")
