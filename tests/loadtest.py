"""A workshop on one server: N participants in headless Chromium at once.

Starts the app on loopback, warms it with one participant, then runs N
simultaneous browser sessions through a scripted workshop (each session
with its own photo, drawing and settings, and each checking that the result
it gets is its own). Reports p50/p95 latency per action and the server's
resident memory, and fails when a target is missed.

Each action is timed at the participant's browser two ways: the server round
trip (from the browser sending the action's rerun request to it receiving the
end of that run, stamped by the browser's network stack; the Fill target
applies to it) and on the page (input event to result shown, on the page's
clock). The second includes drawing the page, which here all the browsers do
on the server's cores; the CPU seconds of both sides are reported beside it.

Two more modes measure a room that trains (issue 18, "On a shared server"):

- ``--training``: one more participant opens the Train page in their own
  browser, presses *Train* (p = 18, 2 min by default) and keeps the tab open
  while the N others do the workshop. Reports Fill and classification p50/p95
  (all actions, and those that started while the training was taking steps),
  and whether the training finished, with its steps. Targets (10
  participants): Fill p95 <= 5 s, classification p95 <= 2 s (round trip).
- ``--train-all``: every participant opens the Train page, trains a short run
  (``PATCHLAB_TRAIN_STEPS``, 20 steps by default), tries their model on a test
  digit and closes the tab; then the server's janitor frees the jobs (30 s
  after a participant's last tab closed, checked every 10 s). Reports the
  server's RSS at start (after one participant loaded the pages, before any
  training), at peak and after everyone left. Target: back within 200 MB.

``--url URL`` drives a server that is already running (a proxy in front of
several, say) instead of starting one; give ``--pid`` for its memory and CPU
figures when it is one process on this machine.

    python tests/loadtest.py [--sessions 20] [--json bench/loadtest.json]
    python tests/loadtest.py --training --sessions 10
    python tests/loadtest.py --train-all --sessions 20
    python tests/loadtest.py --url http://127.0.0.1:8501 [--pid PID]

Traffic goes to the server's address only (127.0.0.1 unless ``--url``); every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import re
import statistics
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from apprunner import ROOT, start_app, stop_app  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

from patchlab.images import SAMPLES  # noqa: E402
from patchlab.patches import grid_shape  # noqa: E402

TIMEOUT_MS = 120_000
RUNNING = '[data-testid="stStatusWidgetRunningIcon"], [data-testid="stSkeleton"]'


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def load_average() -> list[float]:
    """The machine's 1-, 5- and 15-minute load averages."""
    return [round(x, 2) for x in os.getloadavg()]


class MemoryWatch:
    """Samples a process's RSS every 0.2 s in a thread; keeps the peak, a timeline and the load.

    ``pid`` None (a server elsewhere) samples the load average only. The
    timeline holds one ``(time.monotonic(), RSS MB)`` pair a second.
    """

    def __init__(self, pid=None):
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self.timeline, self.load_max = [], 0.0
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        last = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            self.load_max = max(self.load_max, os.getloadavg()[0])
            if self.pid is not None:
                try:
                    rss = rss_mb(self.pid)
                except OSError:
                    return
                self.peak = max(self.peak, rss)
                if now - last >= 1.0:
                    self.timeline.append((now, rss))
                    last = now
            self._stop.wait(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


# Waiting is done inside the page (a cheap timer on the page's own clock): a driver that
# polls twenty pages over the DevTools protocol costs the browsers more CPU than the app does.
_SETTLE_JS = """([sel, quietMs]) => {
    const now = Date.now();
    if (document.querySelector(sel)) { window.__plBusy = now; return false; }
    return now - window.__plBusy >= quietMs;
}"""


async def settle(page):
    """Wait until the page's script run is over (no running icon for 0.6 s)."""
    await page.evaluate("() => { window.__plBusy = Date.now(); }")
    await page.wait_for_function(_SETTLE_JS, arg=[RUNNING, 600], polling=100, timeout=TIMEOUT_MS)


_LISTEN_JS = """(type) => {
    // record when the participant's input (the first event of this type) reached the page
    const wins = [window, ...[...document.querySelectorAll('iframe')].map(f => {
        try { return f.contentWindow && f.contentWindow.document && f.contentWindow; } catch (e) { return null; }
    }).filter(Boolean)];
    window.__plInput = null;
    for (const w of wins) {
        w.addEventListener(type, () => { if (window.__plInput === null) window.__plInput = Date.now(); },
                           {capture: true, once: true});
    }
}"""


async def listen(page, event_type):
    """Note, on the page's clock, when the next ``event_type`` input event arrives."""
    await page.evaluate(_LISTEN_JS, event_type)


async def latency_until(page, predicate, arg=None):
    """Seconds from the noted input event until ``predicate(arg)`` holds in the page.

    Both ends are read from the page's clock (the predicate is checked every 50 ms in the
    page), so the figure is what a participant at that browser would see, not how late
    an overloaded test driver notices it.
    """
    js = ("([arg, timeoutMs]) => new Promise((resolve, reject) => {"
          f"  const ok = (arg) => {{ try {{ return Boolean({predicate}); }} catch (e) {{ return false; }} }};"
          "  const start = Date.now();"
          "  const tick = () => {"
          "    if (ok(arg)) return resolve([window.__plInput, Date.now()]);"
          "    if (Date.now() - start > timeoutMs) return reject(new Error('timed out waiting in the page'));"
          "    setTimeout(tick, 50);"
          "  };"
          "  tick();"
          "})")
    pressed, done = await page.evaluate(js, [arg, TIMEOUT_MS])
    if pressed is None:
        raise AssertionError("the input event never reached the page")
    return (done - pressed) / 1000


async def no_exception(page, where):
    if await page.locator('[data-testid="stException"]').count():
        raise AssertionError(f"{where}: the page shows an exception")


# --------------------------------------------------------------------------
# the workshop, one coroutine per action; each returns its latency in seconds
# --------------------------------------------------------------------------
async def patches_action(page, url, k, wire):
    """Open Patches with this participant's own geometry, move the stride slider."""
    names = [n for n in SAMPLES if n in ("astronaut", "coffee", "chelsea", "rocket", "china", "flower")]
    name = names[k % len(names)]
    p = 24 + k  # every participant a different patch size
    await page.goto(f"{url}/patches?img={name}&p={p}&s=16&edge=valid&win=uniform")
    await page.locator('[data-testid="stMetricValue"]').first.wait_for(timeout=TIMEOUT_MS)
    await settle(page)
    shape = await image_shape_from_caption(page)
    slider = page.get_by_role("slider", name="Stride")
    await slider.focus()
    nh, nw = grid_shape(shape, p, 12, "valid")
    expected = f"{nh * nw:,}"
    await listen(page, "keydown")
    t0 = time.monotonic()
    for _ in range(4):  # stride 16 -> 12
        await page.keyboard.press("ArrowLeft")
    latency = await latency_until(
        page, "document.querySelector('[data-testid=\"stMetricValue\"]').textContent === arg", expected)
    DRIVER_SEEN.setdefault("patches_slider", []).append(time.monotonic() - t0)
    await settle(page)
    await no_exception(page, "patches")
    return latency


async def image_shape_from_caption(page):
    text = await page.get_by_text("Engine timings for this image").first.inner_text()
    dims = text.split("(")[1].split(",")[0]  # "512×384×3"
    w, h, c = (int(v) for v in dims.split("×"))
    return (h, w, c)


async def drag(page, box, points, steps=4):
    """Press the mouse at the first point (fractions of ``box``), move through the rest, release."""
    def at(fx, fy):
        return box["x"] + fx * box["width"], box["y"] + fy * box["height"]

    await page.mouse.move(*at(*points[0]))
    await page.mouse.down()
    for fx, fy in points[1:]:
        await page.mouse.move(*at(fx, fy), steps=steps)
    await page.mouse.up()


# done when the caption is there and every picture has loaded, or failed to (counted after: a broken
# picture stays broken, so waiting longer for it would only hide the failure behind a timeout)
_FILL_SHOWN_JS = ("[...document.querySelectorAll('[data-testid=\"stCaptionContainer\"]')]"
                  ".some(e => e.textContent.includes(arg))"
                  " && [...document.querySelectorAll('[data-testid=\"stImage\"] img')].every(i => i.complete)")
_BROKEN_PICTURES_JS = ("() => [...document.querySelectorAll('[data-testid=\"stImage\"] img')]"
                       ".filter(i => i.complete && i.naturalWidth === 0).map(i => i.alt || i.src)")
_PREDICTION_SHOWN_JS = ("[...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
                        ".some(e => e.textContent.includes('Prediction'))")


async def inpainting_action(page, url, k, wire):
    """Pick this participant's photo, drag a rectangle of its own height, press Fill.

    The page reports the masked fraction; each participant's rectangle has a
    different height, so a result computed from somebody else's drawing shows.
    """
    await page.goto(f"{url}/inpainting")
    await settle(page)
    select = page.locator('[data-testid="stSelectbox"]').filter(has_text="Sample")
    options = page.get_by_role("option")
    for _ in range(5):  # a click that lands while the page is being redrawn opens nothing: click again
        await select.click()
        try:
            await options.first.wait_for(timeout=10_000)
            break
        except Exception:  # noqa: BLE001, S112 - Playwright's timeout; the last try's wait below reports it
            continue
    await options.first.wait_for(timeout=TIMEOUT_MS)
    await options.nth(k % await options.count()).click()
    await settle(page)
    await page.get_by_text("Rectangle", exact=True).click()
    # the rerun has happened when the page disables the brush-size slider
    await page.locator('[data-testid="stSlider"]:has-text("Brush size") [disabled]').first.wait_for(
        state="attached", timeout=TIMEOUT_MS)
    await settle(page)
    upper = page.locator("canvas.upper-canvas").first
    await upper.scroll_into_view_if_needed()
    box = await upper.bounding_box()
    h = 0.04 + 0.015 * k
    await drag(page, box, [(0.30, 0.30), (0.55, 0.30 + h)], steps=8)
    await page.wait_for_timeout(1500)  # the canvas reports after a short debounce
    await settle(page)
    await listen(page, "click")
    mark = wire.mark()
    t0 = time.monotonic()
    # by its key: a role and name would also find "Help for Share my fill with the room"
    await page.locator(".st-key-fill button").first.click()
    # done when the metric caption is on the page and every result image has loaded
    latency = await latency_until(page, _FILL_SHOWN_JS, "of the photo was masked")
    note_round_trip("inpainting_fill", t0, await wire.round_trip(mark))
    DRIVER_SEEN.setdefault("inpainting_fill", []).append(time.monotonic() - t0)
    caption = page.get_by_text("of the photo was masked")
    await settle(page)
    await no_exception(page, "inpainting")
    broken = await page.evaluate(_BROKEN_PICTURES_JS)
    if broken:
        raise AssertionError(f"{len(broken)} picture(s) of the result did not load: {', '.join(broken)[:120]}")
    text = await caption.inner_text()
    SERVER_TIMES.append((float(text.split("took ")[1].split(" s")[0]),
                         float(text.split("after ")[1].split(" s")[0])))
    shown = float(text.split("%")[0].split()[-1])
    expected = 100 * 0.25 * h
    if abs(shown - expected) > 0.6:
        raise AssertionError(f"masked {shown}% but this participant's rectangle is {expected:.2f}%")
    table = await page.locator('[data-testid="stTable"]').first.inner_text()
    if "U-Net" not in table or "PSNR" not in table:
        raise AssertionError("no metric table with the U-Net")
    return latency


class Wire:
    """A page's WebSocket frames, timestamped by the browser's network stack as they pass.

    The app's round trip for one action is read from these stamps: from the browser
    sending the action's ``rerun_script`` message (not a fragment's: every page's room pulse
    reruns its fragment every 2 s) to it receiving the server's ``script_finished`` for
    that run. That is what a participant's browser gets from the
    server and the network, before drawing it; on this machine the drawing is done by
    twenty browsers sharing two cores, which a room of laptops does not have to do.
    """

    def __init__(self):
        self.frames = []  # (browser timestamp s, "sent" | "received", base64 payload)
        self.media_missing = []  # (browser timestamp s, file name): pictures the server no longer had (404)

    async def attach(self, context, page):
        cdp = await context.new_cdp_session(page)
        cdp.on("Network.webSocketFrameSent", lambda ev: self._note(ev, "sent"))
        cdp.on("Network.webSocketFrameReceived", lambda ev: self._note(ev, "received"))
        cdp.on("Network.responseReceived", self._response)
        await cdp.send("Network.enable")

    def _response(self, event):
        response = event["response"]
        if "/media/" in response["url"] and response["status"] == 404:
            self.media_missing.append((event["timestamp"], response["url"].rsplit("/", 1)[-1]))

    def _note(self, event, direction):
        if event["response"]["opcode"] == 2:  # binary: Streamlit's protobuf messages
            self.frames.append((event["timestamp"], direction, event["response"]["payloadData"]))

    def mark(self):
        """Start of an action: later frames belong to it."""
        return len(self.frames)

    async def round_trip(self, mark, timeout_s=30.0):
        """Seconds from the first rerun request after ``mark`` to the server finishing that run."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        finished_ok = ForwardMsg.FINISHED_SUCCESSFULLY
        deadline = time.monotonic() + timeout_s
        start, seen = None, mark
        while time.monotonic() < deadline:
            for stamp, direction, payload in self.frames[seen:]:
                seen += 1
                raw = base64.b64decode(payload)
                if direction == "sent" and start is None:
                    msg = BackMsg()
                    msg.ParseFromString(raw)
                    # a fragment's own rerun (the room's 2-s pulse on every page) is not the action's
                    if msg.WhichOneof("type") == "rerun_script" and not msg.rerun_script.fragment_id:
                        start = stamp
                elif direction == "received" and start is not None:
                    msg = ForwardMsg()
                    msg.ParseFromString(raw)
                    if msg.WhichOneof("type") == "script_finished" and msg.script_finished == finished_ok:
                        return stamp - start
            await asyncio.sleep(0.1)  # the last frames' events may still be on their way
        raise AssertionError("no completed run found in the page's WebSocket traffic")


#: action -> server round trips at the participant's browser (see Wire)
ROUND_TRIPS = {}
#: action -> when each of those actions began (the driver's time.monotonic()), in the same order
ACTION_AT = {}
#: (seconds the server spent on a Fill, seconds it waited in the queue), as the page reports them
SERVER_TIMES = []
#: action -> latencies as the test driver noticed them (later than the page under load)
DRIVER_SEEN = {}
#: action -> pictures the server answered 404 for during it (a media file gone before the browser fetched it)
MEDIA_MISSING = {}
_EXPECTED_DIGITS = {}


def note_round_trip(name, began, seconds):
    """Keep an action's round trip and when it began."""
    ROUND_TRIPS.setdefault(name, []).append(seconds)
    ACTION_AT.setdefault(name, []).append(began)


def clear_measurements():
    for kept in (ROUND_TRIPS, ACTION_AT, DRIVER_SEEN, MEDIA_MISSING):
        kept.clear()
    SERVER_TIMES.clear()


def expected_digit(index):
    """What the shipped p=18 classifier answers for test digit ``index`` (computed here, offline)."""
    if index not in _EXPECTED_DIGITS:
        from patchlab.classification import DigitClassifier
        from patchlab.classification.data import gallery_digits

        images, _ = gallery_digits()
        clf = DigitClassifier.load(18)
        _EXPECTED_DIGITS[index] = str(clf.predict(images[index].astype("float32") / 255.0).label)
    return _EXPECTED_DIGITS[index]


async def classification_action(page, url, k, wire):
    """Draw a digit on the real canvas; then check a gallery digit gives this participant's answer.

    The participant gets there the way people do, through the sidebar (no page reload).
    """
    await page.locator('[data-testid="stSidebarNav"] a', has_text="Classification").click()
    await page.get_by_text("Classification with patches").first.wait_for(timeout=TIMEOUT_MS)
    await settle(page)
    canvas = page.locator("canvas.upper-canvas").first
    await canvas.wait_for(state="visible")
    # the sidebar link keeps the previous page's scroll position: bring the whole canvas into view
    await canvas.evaluate("el => el.scrollIntoView({block: 'center'})")
    await page.wait_for_timeout(300)
    box = await canvas.bounding_box()
    x = 0.35 + 0.015 * (k % 10)
    await listen(page, "mouseup")
    mark = wire.mark()
    t0 = time.monotonic()
    await drag(page, box, [(x, 0.2), (x + 0.02, 0.8)], steps=12)  # a "1", placed per participant
    latency = await latency_until(page, _PREDICTION_SHOWN_JS)
    note_round_trip("classification_draw", t0, await wire.round_trip(mark))
    DRIVER_SEEN.setdefault("classification_draw", []).append(time.monotonic() - t0)
    prediction = page.locator('[data-testid="stMetric"]:has-text("Prediction") [data-testid="stMetricValue"]')
    await settle(page)
    if (await prediction.inner_text()).strip() not in list("0123456789"):
        raise AssertionError("no digit predicted for the drawing")
    await page.get_by_text("Test digit gallery").click()
    await settle(page)
    index = 37 * k + 11
    number = page.get_by_label("Test digit number")
    await number.fill(str(index))
    await number.press("Enter")
    await page.get_by_text(f"Held-out test digit #{index} ").wait_for(timeout=TIMEOUT_MS)
    await settle(page)
    got = (await prediction.inner_text()).strip()
    want = await asyncio.to_thread(expected_digit, index)
    if got != want:
        raise AssertionError(f"test digit {index}: page says {got}, the model says {want}")
    await no_exception(page, "classification")
    return latency


ACTIONS = {
    "inpainting_fill": inpainting_action,
    "classification_draw": classification_action,
    "patches_slider": patches_action,
}


async def participant(browser, url, k, results, errors, context=None):
    """Participant ``k`` through every action, in a new tab of ``context`` (default: a browser of its own).

    A ``context`` given by the caller stays open (the caller closes it); the tab closes.
    """
    own = context is None
    if own:
        context = await browser.new_context(viewport={"width": 1300, "height": 950})
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    wire = Wire()
    await wire.attach(context, page)
    try:
        for name, action in ACTIONS.items():
            results.setdefault(name, [])
            missing = len(wire.media_missing)
            try:
                results[name].append(await action(page, url, k, wire))
            except Exception as err:  # noqa: BLE001 - every failure is reported, none hidden
                errors.append(f"participant {k}, {name}: {type(err).__name__}: {str(err)[:200]}")
                await page.screenshot(path=str(ROOT / "tests" / "artifacts" / f"load-{k}-{name}.png"))
            MEDIA_MISSING[name] = MEDIA_MISSING.get(name, 0) + len(wire.media_missing) - missing
    finally:
        await (context.close() if own else page.close())


async def staggered(k, coro, gap_s=0.5):
    """Participants arrive 0.5 s apart (a room, not a synchronised robot)."""
    await asyncio.sleep(k * gap_s)
    return await coro


async def workshop(url, sessions, training=None):
    """N participants through the workshop; with ``training`` (a :class:`Trainer`'s settings) one more trains.

    Returns a dict: ``results``, ``errors``, ``wall`` (s), ``cpu`` (browser CPU
    seconds), ``began`` / ``ended`` (the driver's monotonic clock) and, with
    ``training``, ``training`` (:meth:`Trainer.report`).
    """
    from playwright.async_api import async_playwright

    results, errors = {}, []
    run = {}
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        trainer = None
        if training is not None:
            trainer = Trainer(browser, url, **training)
            await trainer.start()  # returns once the training is taking steps
        cpu0 = browsers_cpu_seconds()
        t0 = time.monotonic()
        await asyncio.gather(*(staggered(k, participant(browser, url, k, results, errors)) for k in range(sessions)))
        t1 = time.monotonic()
        cpu = browsers_cpu_seconds() - cpu0
        if trainer is not None:
            await trainer.finish()
            run["training"] = trainer.report(t0, t1)
            run["training_windows"] = trainer.windows(t1)
        await browser.close()
    run.update(results=results, errors=errors, wall=t1 - t0, cpu=cpu, began=t0, ended=t1)
    return run


# --------------------------------------------------------------------------
# training on the Train page, through the browser like a participant
# --------------------------------------------------------------------------
#: Longest wait for one participant's training to end (queue included): bounded, like every wait.
TRAIN_TIMEOUT_S = 1500
#: The live panel's headline while the training takes steps (a time budget, or a fixed number of steps).
STEPPING_RE = r"\d+ s left · step \d+|Step \d+ of \d+"
#: On the page once the training has ended with a model.
RESULT_RE = r"Your model against the shipped one"
#: A training that ended without a model, or was refused.
TRAIN_FAILED_RE = r"failed \(|nothing was learnt|You already have"
#: The result's line, e.g. "Patch size 18, 1234 steps in 120 s (stopped early); accuracy on ..."
RESULT_LINE_RE = r"Patch size (\d+), ([\d,]+) steps in ([\d.]+) s( \(stopped early\))?"
#: The page's note when the server runs short test runs (PATCHLAB_TRAIN_STEPS).
SHORT_RUNS_RE = r"each run takes (\d+) step"


def parse_result_line(text):
    """``(patch size, steps, seconds, stopped early)`` from the Train page's text, or None."""
    m = re.search(RESULT_LINE_RE, text)
    if m is None:
        return None
    return int(m.group(1)), int(m.group(2).replace(",", "")), float(m.group(3)), m.group(4) is not None


def short_run_steps(text):
    """The steps of every run when the page says the server runs short test runs, else None."""
    m = re.search(SHORT_RUNS_RE, text)
    return int(m.group(1)) if m else None


#: The page's text outside code blocks (the page shows its own source, which holds every message).
_PAGE_TEXT_JS = """() => {
    const walker = document.createTreeWalker(document.body || document.documentElement, NodeFilter.SHOW_TEXT);
    const parts = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!node.parentElement.closest('pre, code, [data-testid="stCode"]')) parts.push(node.nodeValue);
    }
    return parts.join('').replace(/\\s+/g, ' ');
}"""

_WAIT_TEXT_JS = """([okRe, failRe, timeoutMs, pageText, unlessRe]) => new Promise((resolve, reject) => {
    const ok = new RegExp(okRe), fail = failRe ? new RegExp(failRe) : null, start = Date.now();
    const unless = unlessRe ? new RegExp(unlessRe) : null;
    const text = eval(pageText);
    const tick = () => {
        const now = text();
        if (ok.test(now) && !(unless && unless.test(now))) return resolve(true);
        const alerts = [...document.querySelectorAll('[data-testid="stAlertContainer"]')].map(e => e.textContent);
        if ((fail && alerts.some(a => fail.test(a))) || document.querySelector('[data-testid="stException"]'))
            return resolve(false);
        if (Date.now() - start > timeoutMs) return reject(new Error('timed out waiting in the page for ' + okRe));
        setTimeout(tick, 500);
    };
    tick();
})"""


async def page_text(page):
    """The page's text outside code blocks, white space collapsed."""
    return await page.evaluate(_PAGE_TEXT_JS)


async def wait_for_text(page, ok_re, fail_re=None, timeout_s=TIMEOUT_MS / 1000, unless_re=None):
    """Wait (inside the page, every 0.5 s) until its text matches ``ok_re`` (and not ``unless_re``).

    AssertionError if an alert on the page matches ``fail_re`` or the page shows an exception.
    """
    if not await page.evaluate(_WAIT_TEXT_JS, [ok_re, fail_re, int(timeout_s * 1000), _PAGE_TEXT_JS, unless_re]):
        alerts = await page.locator('[data-testid="stAlertContainer"]').all_inner_texts()
        raise AssertionError(f"the page shows {alerts[-3:] or 'an exception'}")


async def open_train_page(browser, url, query=""):
    """A new participant (own browser context: own cookie) on the Train page, its script run over."""
    context = await browser.new_context(viewport={"width": 1300, "height": 950})
    page = await context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    await page.goto(f"{url}/train{query}")
    await page.locator(".st-key-tr_train button").first.wait_for(timeout=TIMEOUT_MS)
    await settle(page)
    return context, page


class Trainer:
    """One participant who trains on the Train page while the others do the workshop.

    :meth:`start` opens the page with the chosen settings in the link, presses
    *Train* and returns once the live panel shows training steps (the
    synthetic drawings are prepared first, once per server); the tab stays
    open, its live panel polling every second as a participant's would. When a
    run ends while the workshop goes on, the participant presses *Train*
    again (another run), so a training is running throughout; :meth:`finish`
    (the workshop is over) presses *Stop* on the run in progress, waits for
    its result and closes the tab.
    """

    def __init__(self, browser, url, patch_size=18, budget="2 min"):
        self.browser, self.url, self.patch_size, self.budget = browser, url, patch_size, budget
        self.runs = []  # per run: pressed, stepping, ended (monotonic), steps, seconds, ...
        self.short_runs = None
        self.error = None
        self._over = asyncio.Event()
        self._stepping = asyncio.Event()
        self._task = None

    async def start(self):
        query = f"?tp={self.patch_size}&tbudget={self.budget.replace(' ', '')}&taug=1&trule=mean"
        self.context, self.page = await open_train_page(self.browser, self.url, query)
        self.short_runs = short_run_steps(await page_text(self.page))
        self._task = asyncio.create_task(self._train())
        stepping = asyncio.create_task(self._stepping.wait())
        await asyncio.wait({self._task, stepping}, return_when=asyncio.FIRST_COMPLETED)
        if not self._stepping.is_set():
            stepping.cancel()
            raise AssertionError(f"the training never took a step: {self.error}")

    async def _train(self):
        try:
            while not self._over.is_set():
                run = {"pressed": time.monotonic()}
                self.runs.append(run)
                await self.page.locator(".st-key-tr_train button").first.click()
                await wait_for_text(self.page, STEPPING_RE, TRAIN_FAILED_RE, timeout_s=600)
                run["stepping"] = time.monotonic()
                self._stepping.set()
                # over when the result is shown and the live panel no longer shows steps
                done = asyncio.create_task(
                    wait_for_text(self.page, RESULT_RE, TRAIN_FAILED_RE, TRAIN_TIMEOUT_S, unless_re=STEPPING_RE))
                over = asyncio.create_task(self._over.wait())
                try:
                    await asyncio.wait({done, over}, return_when=asyncio.FIRST_COMPLETED)
                    if not done.done():
                        run["stopped_by_loadtest"] = True  # the workshop is over: Stop, keep what was learnt
                        await self.page.locator(".st-key-tr_stop button").first.click()
                    await done
                finally:
                    for task in (done, over):
                        task.cancel()
                run["ended"] = time.monotonic()
                await settle(self.page)
                result = parse_result_line(await page_text(self.page))
                if result is None:
                    raise AssertionError("the result is shown but its line (steps, seconds) was not found")
                _, run["steps"], run["seconds"], run["stopped_early"] = result
        except Exception as err:  # noqa: BLE001 - reported, never hidden
            self.error = f"{type(err).__name__}: {str(err)[:300]}"
            await self.page.screenshot(path=str(ROOT / "tests" / "artifacts" / "load-trainer.png"))

    async def finish(self):
        self._over.set()
        await self._task
        await self.context.close()

    def windows(self, end):
        """``(first step seen, result seen)`` of every run (``end`` for a run without a result)."""
        return [(r["stepping"], r.get("ended", end)) for r in self.runs if "stepping" in r]

    def report(self, began, ended):
        """What the training did, and for how much of the workshop window [began, ended] it took steps."""
        overlap = sum(max(0.0, min(stop, ended) - max(start, began)) for start, stop in self.windows(ended))
        runs = []
        for r in self.runs:
            row = {k: r[k] for k in ("steps", "seconds", "stopped_early") if k in r}
            row["stopped_by_loadtest"] = r.get("stopped_by_loadtest", False)
            if "stepping" in r:
                row["pressed_to_first_step_s"] = round(r["stepping"] - r["pressed"], 1)
            if "ended" in r:
                row["pressed_to_result_s"] = round(r["ended"] - r["pressed"], 1)
            runs.append(row)
        first = runs[0] if runs else {}
        return {"patch_size": self.patch_size, "budget": self.budget, "short_runs_steps": self.short_runs,
                "finished": "steps" in first and not first["stopped_by_loadtest"], "error": self.error,
                "first_run": first, "runs": runs,
                "runs_meaning": "Train is pressed again whenever a run ends before the workshop does; the run "
                                "in progress when the workshop ends is stopped (Stop) by the load test. "
                                "stopped_early is what the page says: it also says so when the budget ended",
                "stepping_during_workshop_s": round(overlap, 1), "workshop_s": round(ended - began, 1)}


async def train_and_leave(browser, url, k, records, errors):
    """A participant opens the Train page, trains, tries their model on a test digit, closes the tab."""
    arrived = time.monotonic()
    context, page = await open_train_page(browser, url)
    record = {"participant": k}
    try:
        record["short_runs_steps"] = short_run_steps(await page_text(page))
        pressed = time.monotonic()
        await page.locator(".st-key-tr_train button").first.click()
        await wait_for_text(page, RESULT_RE, TRAIN_FAILED_RE, timeout_s=TRAIN_TIMEOUT_S)
        done = time.monotonic()
        result = parse_result_line(await page_text(page))
        if result is None:
            raise AssertionError("the result is shown but its line (steps, seconds) was not found")
        record.update(steps=result[1], seconds=result[2], pressed_to_result_s=round(done - pressed, 1))
        await settle(page)
        await page.locator(".st-key-tr_source").get_by_text("Test digit gallery").click()
        await page.get_by_text(f"Your model (p = {result[0]})").first.wait_for(timeout=TIMEOUT_MS)
        await settle(page)
        await no_exception(page, "train")
    except Exception as err:  # noqa: BLE001 - every failure is reported, none hidden
        errors.append(f"participant {k}, train: {type(err).__name__}: {str(err)[:300]}")
        await page.screenshot(path=str(ROOT / "tests" / "artifacts" / f"load-train-{k}.png"))
    finally:
        await context.close()  # the participant closes the tab
        record.update(arrived=arrived, left=time.monotonic())
        records.append(record)


async def everyone_trains(url, sessions):
    """Every participant trains and leaves (arriving 0.5 s apart); returns (records, errors)."""
    from playwright.async_api import async_playwright

    records, errors = [], []
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        await asyncio.gather(*(staggered(k, train_and_leave(browser, url, k, records, errors))
                               for k in range(sessions)))
        await browser.close()
    return sorted(records, key=lambda r: r["participant"]), errors


async def visit_train_page(url):
    """The warm-up participant also opens the Train page (loading it, training nothing)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context, page = await open_train_page(browser, url)
        await no_exception(page, "train")
        await context.close()
        await browser.close()


def cpu_seconds(pid, children=False):
    """User + system CPU seconds of a process (and of the children it has reaped)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def browsers_cpu_seconds():
    """CPU seconds of every Chromium process now running, with the renderers they have reaped."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if Path(CHROMIUM).name not in (entry / "cmdline").read_text():
                continue
            total += cpu_seconds(entry.name, children=True)
        except OSError:
            continue
    return total


def percentile(values, q):
    """The ``q``-th percentile of ``values`` (nearest rank on the sorted values; nan when empty)."""
    values = sorted(values)
    if not values:
        return float("nan")
    idx = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return values[idx]


def _summary(values):
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50_s": round(statistics.median(values), 2),
            "p95_s": round(percentile(values, 95), 2), "max_s": round(max(values), 2)}


def within(values, times, windows):
    """The ``values`` whose matching ``times`` lie in one of the ``(start, end)`` windows."""
    return [v for v, t in zip(values, times) if any(start <= t <= end for start, end in windows)]


def rss_at(timeline, when):
    """RSS (MB) of the first ``(time, rss)`` sample at or after ``when``; the last one if none is."""
    for t, rss in timeline:
        if t >= when:
            return rss
    return timeline[-1][1] if timeline else None


def _row(name, r):
    if not r.get("n"):
        return f"  {name:<22}{0:>6}{'-':>9}{'-':>9}{'-':>9}"
    return f"  {name:<22}{r['n']:>6}{r['p50_s']:>9.2f}{r['p95_s']:>9.2f}{r['max_s']:>9.2f}"


HEADER = f"  {'action':<22}{'done':>6}{'p50 s':>9}{'p95 s':>9}{'max s':>9}"
#: The issue's targets with one training running hold for this many participants; more are reported.
TARGET_SESSIONS = 10


def parse_args(argv=None):
    from patchlab.classification.live import BUDGETS

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "loadtest.json")
    parser.add_argument("--max-growth-mb", type=float, default=500.0)
    parser.add_argument("--max-p95-fill-s", type=float, default=5.0)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--training", action="store_true",
                      help="one more participant trains on the Train page during the workshop")
    mode.add_argument("--train-all", action="store_true",
                      help="every participant trains a short run and leaves; RSS before, at peak and after")
    parser.add_argument("--url", help="drive this running server (e.g. a proxy) instead of starting one")
    parser.add_argument("--pid", type=int, help="with --url: the server's process, for its memory and CPU")
    parser.add_argument("--train-patch", type=int, default=18, help="--training: the patch size (default 18)")
    parser.add_argument("--train-budget", choices=tuple(BUDGETS), default="2 min",
                        help="--training: the time budget chosen on the page (default 2 min)")
    parser.add_argument("--train-steps", type=int, default=None,
                        help="PATCHLAB_TRAIN_STEPS for the server this starts: every run takes this many steps "
                             "(default: 20 with --train-all, the real budget with --training)")
    parser.add_argument("--linger-s", type=float, default=150.0,
                        help="--train-all: seconds to watch RSS after the last tab closed (default 150: the "
                             "janitor frees jobs 30-40 s after, Streamlit drops a closed session's state after 120 s)")
    parser.add_argument("--max-p95-classify-s", type=float, default=2.0,
                        help="--training: classification round-trip target (default 2 s)")
    parser.add_argument("--max-return-mb", type=float, default=200.0,
                        help="--train-all: RSS after everyone left must be within this of the start (default 200)")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 50:
        parser.error("--sessions must be between 1 and 50")
    if args.pid is not None and not args.url:
        parser.error("--pid goes with --url (without --url the load test starts its own server)")
    if args.train_steps is not None and args.train_steps < 1:
        parser.error("--train-steps must be a positive number of steps")
    if args.train_steps is not None and args.url:
        parser.error("--train-steps sets the server's PATCHLAB_TRAIN_STEPS: start that server with it instead")
    if args.url and not re.match(r"^https?://[^/\s]+", args.url):
        parser.error("--url must look like http://host:port")
    if args.train_all and args.train_steps is None and not args.url:
        args.train_steps = 20
    return args


def server_env(args):
    """Environment for the server the load test starts (the default mode sets nothing)."""
    if args.train_all or args.training:
        # empty = unset for the app: a PATCHLAB_TRAIN_STEPS in the caller's shell does not leak in
        return {"PATCHLAB_TRAIN_STEPS": str(args.train_steps) if args.train_steps else ""}
    return {}


def main(argv=None):
    args = parse_args(argv)
    (ROOT / "tests" / "artifacts").mkdir(parents=True, exist_ok=True)
    mode = "train-all" if args.train_all else "training" if args.training else "workshop"
    load_start = load_average()
    env = server_env(args)
    if args.url:
        proc, url, pid = None, args.url.rstrip("/"), args.pid
    else:
        proc, url = start_app(env=env)
        pid = proc.pid
    # The browsers stand in for the participants' own laptops. On this one machine they
    # would compete with the server for the same cores, which they never do in a room, so
    # they (and this driver) run as idle-priority processes (SCHED_IDLE, inherited by every
    # browser process): they get every cycle the server does not need. The server keeps
    # normal priority (it was started above).
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    report = {
        "mode": mode,
        "sessions": args.sessions,
        "settings": {
            "sessions": args.sessions, "mode": mode, "url": url if args.url else "started here (127.0.0.1)",
            "server_pid_known": pid is not None, "cores": os.cpu_count(),
            "server_env": {k: v for k, v in {**os.environ, **env}.items() if k.startswith("PATCHLAB_")}
            if not args.url else "the running server's own",
            "train_patch": args.train_patch if args.training else None,
            "train_budget": args.train_budget if args.training else None,
            "train_steps": args.train_steps, "linger_s": args.linger_s if args.train_all else None,
            "arrival_gap_s": 0.5,
        },
        "load_average": {"before_server": load_start},
    }
    try:
        print(f"server {url}" + (f", pid {pid}, RSS at start {rss_mb(pid):.0f} MB" if pid else ", pid unknown"))
        with MemoryWatch(pid) as single:
            warm = asyncio.run(workshop(url, 1))
        solo = {"on_page_s": warm["results"].get("inpainting_fill", []),
                "round_trip_s": ROUND_TRIPS.get("inpainting_fill", [])}
        if pid:
            print(f"one participant: peak RSS {single.peak:.0f} MB")
        clear_measurements()
        if args.train_all:
            failures = run_train_all(args, url, pid, report, warm["errors"])
        else:
            failures = run_workshop(args, url, pid, report, warm["errors"], single, solo)
    finally:
        if proc is not None:
            stop_app(proc)

    report["load_average"]["end"] = load_average()
    report["passed"] = not failures
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    la = report["load_average"]
    print(f"\nload average (1/5/15 min): before the server {la['before_server']}, highest 1-min during the run "
          f"{la.get('run_max_1min')}, at the end {la['end']}")
    print("PASSED" if not failures else "FAILED: " + "; ".join(failures))
    return 0 if not failures else 1


def run_workshop(args, url, pid, report, warm_errors, single, solo):
    """The workshop (default and ``--training``); fills ``report``, returns the failures."""
    training = {"patch_size": args.train_patch, "budget": args.train_budget} if args.training else None
    report["load_average"]["before_run"] = load_average()
    cpu_before = cpu_seconds(pid) if pid else None
    with MemoryWatch(pid) as many:
        run = asyncio.run(workshop(url, args.sessions, training=training))
    server_cpu = cpu_seconds(pid) - cpu_before if pid else None
    rss_after = rss_mb(pid) if pid else None
    report["load_average"]["run_max_1min"] = round(many.load_max, 2)
    results, errors, wall = run["results"], run["errors"], run["wall"]
    growth = many.peak - single.peak if pid else None
    report.update({
        "wall_s": round(wall, 1),
        "rss_mb": {"one_session_peak": round(single.peak), "n_sessions_peak": round(many.peak),
                   "after": round(rss_after), "growth": round(growth)} if pid else None,
        "server_round_trip": {name: _summary(v) for name, v in ROUND_TRIPS.items() if v},
        "round_trip": "at each participant's browser: from the browser sending the action's rerun request "
                      "to it receiving the server's end of that run (WebSocket frames, stamped by the "
                      "browser's network stack)",
        "on_page": {name: _summary(v) for name, v in results.items() if v},
        "on_page_meaning": "from the participant's input event (click, key, end of stroke) to the result "
                           "in the page (images loaded), both read from the page's clock; the pages are "
                           "drawn by all the browsers together on the server's two cores",
        "one_participant_fill": {k: [round(x, 2) for x in v] for k, v in solo.items()},
        "seen_by_driver": {name: _summary(v) for name, v in DRIVER_SEEN.items() if v},
        "cpu_s": {"server": round(server_cpu, 1) if pid else None, "browsers": round(run["cpu"], 1),
                  "available": round(wall * (os.cpu_count() or 1), 1)},
        "errors": warm_errors + errors,
        "media_missing_404": dict(MEDIA_MISSING),
        "media_missing_meaning": "per action: picture requests the server answered 404 (its media file was "
                                 "already gone)",
        "browsers": "SCHED_IDLE (they stand in for the participants' laptops)",
    })
    if pid and many.timeline:
        report["rss_timeline"] = [[round(t - many.timeline[0][0]), round(rss)] for t, rss in many.timeline[::5]]
        report["rss_timeline_meaning"] = ("[seconds since the run began (the trainer's page opening, when there "
                                          "is one), RSS MB], every 5 s")
    server = list(SERVER_TIMES)  # the N-participant run's Fills
    if server:
        work, queued = [w for w, _ in server], [q for _, q in server]
        report["fill_on_server"] = {
            "n": len(server),
            "work_p50_s": round(statistics.median(work), 2), "work_p95_s": round(percentile(work, 95), 2),
            "queue_p50_s": round(statistics.median(queued), 2), "queue_p95_s": round(percentile(queued, 95), 2),
        }
    report["action_times"] = {name: [[round(t - run["began"], 1), round(v, 2)] for v, t in zip(vals, ACTION_AT[name])]
                              for name, vals in ROUND_TRIPS.items() if vals}
    report["action_times_meaning"] = "[seconds after the first participant arrived, round trip s] per action"
    train = run.get("training")
    if train is not None:
        windows = run["training_windows"]
        report["training"] = train
        report["training"]["windows_s"] = [[round(a - run["began"], 1), round(b - run["began"], 1)]
                                           for a, b in windows]
        report["server_round_trip_while_training"] = {
            name: _summary(within(v, ACTION_AT.get(name, []), windows)) for name, v in ROUND_TRIPS.items() if v}
        report["while_training_meaning"] = ("the actions that began while a training was taking steps "
                                            "(from its first step to its result on the trainer's page)")

    print(f"\n{args.sessions} participants at once, {wall:.0f} s wall time"
          + (", one more participant training" if train is not None else ""))
    print("\nServer round trip, at each participant's browser (request sent -> end of the run received):")
    print(HEADER)
    for name, r in report["server_round_trip"].items():
        print(_row(name, r))
    if "fill_on_server" in report:
        f = report["fill_on_server"]
        print(f"  of which the Fill itself (as the page reports it): work p50 {f['work_p50_s']:.2f} s, "
              f"p95 {f['work_p95_s']:.2f} s; queue p50 {f['queue_p50_s']:.2f} s, p95 {f['queue_p95_s']:.2f} s")
    if train is not None:
        print("  of those, the actions that began while the training was taking steps:")
        for name, r in report["server_round_trip_while_training"].items():
            print(_row(name, r))
    print("\nOn the page (input event -> result shown, page clock), every browser on this machine's cores:")
    print(HEADER)
    for name, r in report["on_page"].items():
        print(_row(name, r))
    if solo["on_page_s"] and solo["round_trip_s"]:
        print(f"  one participant alone (browser and server to themselves): Fill on the page "
              f"{solo['on_page_s'][0]:.2f} s, round trip {solo['round_trip_s'][0]:.2f} s")
    c = report["cpu_s"]
    if pid:
        print(f"\nCPU seconds in the {args.sessions}-participant run: server {c['server']:.0f}, browsers "
              f"{c['browsers']:.0f} (the machine had {c['available']:.0f}): a room of laptops would do the "
              f"browsers' share.")
        print(f"\nserver RSS: one participant peak {single.peak:.0f} MB, {args.sessions} participants peak "
              f"{many.peak:.0f} MB (growth {growth:.0f} MB, target < {args.max_growth_mb:.0f}), "
              f"after {rss_after:.0f} MB")
    else:
        print("\nserver CPU and RSS: not measured (no --pid for the server at --url)")
    if train is not None:
        print(f"\ntraining (p = {train['patch_size']}, {train['budget']}"
              + (f", short runs of {train['short_runs_steps']} steps" if train["short_runs_steps"] else "")
              + f"): taking steps for {train['stepping_during_workshop_s']:.0f} s of the workshop's "
              f"{train['workshop_s']:.0f} s" + (f"; ERROR {train['error']}" if train["error"] else ""))
        for i, r in enumerate(train["runs"], 1):
            print(f"  run {i}: " + (f"{r['steps']} steps in {r['seconds']:.0f} s" if "steps" in r else "no result")
                  + (" (stopped by the load test: the workshop was over)" if r["stopped_by_loadtest"] else "")
                  + (f"; first step {r['pressed_to_first_step_s']:.0f} s after Train was pressed"
                     if "pressed_to_first_step_s" in r else ""))
    for e in report["errors"]:
        print("ERROR", e)

    failures = list(report["errors"])
    for name in ACTIONS:
        if len(results.get(name, [])) != args.sessions:
            failures.append(f"{name}: only {len(results.get(name, []))}/{args.sessions} sessions completed")
    targets = {"inpainting_fill": args.max_p95_fill_s}
    if train is not None:
        targets["classification_draw"] = args.max_p95_classify_s
        if train["error"]:
            failures.append(f"the trainer: {train['error']}")
        elif not train["finished"]:
            failures.append(f"the first training did not end with its budget: {train['error'] or train['first_run']}")
    applies = train is None or args.sessions <= TARGET_SESSIONS
    report["targets"] = {}
    for name, limit in targets.items():
        r = report["server_round_trip"].get(name)
        met = bool(r and r.get("n") and r["p95_s"] <= limit)
        report["targets"][name] = {"p95_round_trip_at_most_s": limit, "p95_s": r and r.get("p95_s"),
                                   "met": met, "applies": applies}
        if not r or not r.get("n"):
            failures.append(f"no {name} round trip was measured")
        elif not met:
            message = f"p95 {name} round trip {r['p95_s']} s > {limit} s"
            if applies:
                failures.append(message)
            else:
                print(f"target missed, reported only (the target is for {TARGET_SESSIONS} participants "
                      f"with a training running): {message}")
    if pid and growth >= args.max_growth_mb:
        message = f"RSS growth {growth:.0f} MB >= {args.max_growth_mb:.0f} MB"
        if train is None:
            failures.append(message)
        else:  # the target is the workshop's; a training's own memory comes on top (see rss_timeline)
            print(f"{message}: reported only, the peak includes the training")
    return failures


def run_train_all(args, url, pid, report, warm_errors):
    """Every participant trains and leaves; RSS before, at peak, after the janitor. Returns the failures."""
    asyncio.run(visit_train_page(url))  # the first participant has now loaded every page
    time.sleep(5)  # let that run end
    rss_start = rss_mb(pid) if pid else None
    report["load_average"]["before_run"] = load_average()
    cpu_before = cpu_seconds(pid) if pid else None
    if pid:
        print(f"RSS at start (the first participant has loaded Inpainting with a Fill, Classification, "
              f"Patches and the Train page; nobody has trained): {rss_start:.0f} MB")
    with MemoryWatch(pid) as watch:
        t0 = time.monotonic()
        records, errors = asyncio.run(everyone_trains(url, args.sessions))
        last_left = max(r["left"] for r in records)
        rss_left = rss_mb(pid) if pid else None
        print(f"every participant has left {last_left - t0:.0f} s after the first arrived; watching the "
              f"server for {args.linger_s:.0f} s")
        while time.monotonic() < last_left + args.linger_s:
            time.sleep(1.0)
    server_cpu = cpu_seconds(pid) - cpu_before if pid else None
    report["load_average"]["run_max_1min"] = round(watch.load_max, 2)
    done = [r for r in records if "steps" in r]
    waits = [r["pressed_to_result_s"] for r in done]
    short = {r.get("short_runs_steps") for r in records}
    out = {
        "participants": args.sessions, "trained": len(done),
        "steps_per_run": sorted({r["steps"] for r in done}),
        "short_runs_steps_on_page": sorted(s for s in short if s is not None) or None,
        "train_pressed_to_result_s": _summary(waits),
        "train_pressed_to_result_meaning": "from pressing Train to the result on the page: the wait in the "
                                           "server's queue (one training at a time) plus the run",
        "all_left_after_s": round(last_left - t0, 1),
        "per_participant": [{k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items()
                             if k not in ("arrived", "left")} for r in records],
        "cpu_s": {"server": round(server_cpu, 1) if pid else None},  # the closed tabs' CPU is not countable
    }
    failures = list(warm_errors) + list(errors)
    if len(done) != args.sessions:
        failures.append(f"only {len(done)}/{args.sessions} participants got a trained model")
    if pid:
        tl = watch.timeline
        after_window = [rss for t, rss in tl if t >= last_left + args.linger_s - 10]
        rss_after = statistics.mean(after_window) if after_window else rss_mb(pid)
        out["rss_mb"] = {
            "start": round(rss_start), "peak": round(watch.peak), "when_all_left": round(rss_left),
            "45_s_after_all_left": round(rss_at(tl, last_left + 45) or 0),
            "after": round(rss_after), "after_minus_start": round(rss_after - rss_start),
            "start_meaning": "after the first participant loaded Inpainting (with a Fill), Classification, "
                             "Patches and the Train page, before anybody trained",
            "after_meaning": f"mean of the last 10 s of the {args.linger_s:.0f} s watched after the last tab closed",
        }
        out["rss_timeline"] = [[round(t - last_left), round(rss)] for t, rss in tl[::5]]
        out["rss_timeline_meaning"] = "[seconds after the last tab closed, RSS MB], every 5 s"
        back = rss_after - rss_start
        out["target"] = {"after_minus_start_at_most_mb": args.max_return_mb, "met": back <= args.max_return_mb}
        if back > args.max_return_mb:
            failures.append(f"RSS after everyone left is {back:.0f} MB above the start (> {args.max_return_mb:.0f})")
    report["train_all"] = out
    report["errors"] = list(warm_errors) + list(errors)

    print(f"\n{args.sessions} participants trained and left"
          + (f" (short runs: {out['steps_per_run']} steps each)" if out["steps_per_run"] else ""))
    print(f"  trained: {len(done)}/{args.sessions}; Train pressed -> result (queue + run): "
          + (f"p50 {out['train_pressed_to_result_s']['p50_s']:.1f} s, max {out['train_pressed_to_result_s']['max_s']:.1f} s"
             if waits else "-"))
    if pid:
        m = out["rss_mb"]
        print(f"  server RSS: start {m['start']} MB, peak {m['peak']} MB, when all had left {m['when_all_left']} MB, "
              f"45 s later {m['45_s_after_all_left']} MB, after {args.linger_s:.0f} s {m['after']} MB "
              f"({m['after_minus_start']:+d} MB, target <= {args.max_return_mb:.0f})")
    else:
        print("  server RSS: not measured (no --pid for the server at --url)")
    for e in report["errors"]:
        print("ERROR", e)
    return failures


if __name__ == "__main__":
    sys.exit(main())
