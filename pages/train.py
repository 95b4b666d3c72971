"""Train a classifier: train the four-patch classifier live, sweep the patch size, add your own digits."""

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from patchlab.i18n import N_, _

from patchlab.classification import DigitClassifier, ModelUnavailable, preprocess_canvas
from patchlab.classification import demo as classification_demo
from patchlab.classification import live
from patchlab.classification.config import default_model_path
from patchlab.classification.data import gallery_digits
from patchlab.classification.fusion import RULE_NAMES, RULES
from patchlab.classification.train import train_classifier
from patchlab.jobs import JobRefused, JobRunner, interactive
from patchlab.runtime import read_card
from patchlab.ui.canvas import drawing
from patchlab.ui.classroom import record
from patchlab.ui.code import show_code
from patchlab.ui.jobs import finished, participant, poll, runner
from patchlab.notebooks import classifier_training_notebook
from patchlab.ui.link import PageLink, arrive, publish, show_notice
from patchlab.ui.notebook import download_notebook
from patchlab.ui.room import details, key_figure, presenter_toggle, share_bar, sidebar_note
from patchlab.ui.router import ensure_router
from patchlab.ui.server import read_only

DEMO, SWEEP = classification_demo.TRAINING_DEMO, "classification-sweep"  # the Classification page reads DEMO's model
KEYS = live.QUERY  # each setting's widget key is its parameter in the link: tp, trule, tbudget, taug
DEFAULT = live.PanelSettings()
DEFAULTS = {KEYS[k]: getattr(DEFAULT, k) for k in KEYS}
LINK = PageLink("train", live.read_link, DEFAULTS, tuple(KEYS.values()), live.settings_to_query(DEFAULT))
OWN = "tr_own_digits"  # the participant's own digits: [(x28, label)], this session only
MESSAGE = "tr_message"  # a message from the last button, shown once
CLASSIFICATION_PAGE = "pages/classification.py"
SOURCES = (N_("Draw"), N_("Test digit gallery"))  # the radio's options (kept in English, shown translated)


@st.cache_resource(show_spinner=False)
def _shipped_classifier(patch_size):
    return DigitClassifier.load(patch_size)


def shipped_classifier(patch_size):
    """The shipped classifier, loaded once per server (a spinner in the participant's language meanwhile)."""
    with st.spinner(_("Loading the shipped classifier…")):
        return _shipped_classifier(patch_size)


@st.cache_resource(show_spinner=False)
def test_digits():
    return read_only(gallery_digits())


def read_settings():
    """The sidebar's widgets (in the link, and kept when you leave the page and come back)."""
    st.sidebar.header(_("Training"))
    patch_size = st.sidebar.slider(_("Patch size"), 8, 28, key=KEYS["patch_size"], persist_state="session",
                                   help=_("Side of the four corner patches (stride 28 − p); 28 = the whole image."))
    rule = st.sidebar.radio(_("Fusion rule"), RULES, key=KEYS["rule"], persist_state="session",
                            captions=[_(RULE_NAMES[r]) for r in RULES],
                            help=_("How the four patches' answers are combined (every rule is scored)."))
    budget = st.sidebar.radio(_("Time budget"), tuple(live.BUDGETS), key=KEYS["budget"], horizontal=True,
                              persist_state="session")
    augment = st.sidebar.toggle(_("Augmentation"), key=KEYS["augment"], persist_state="session",
                                help=_("Random rotation, slant, zoom, shift and stroke width, and 80 % of the "
                                     "digits redrawn like mouse drawings (the one-minute recipe)."))
    return live.PanelSettings(patch_size, rule, budget, augment)


def current_request():
    """The request the widgets hold now (callbacks run before the script: read the session state)."""
    settings = live.PanelSettings(*(st.session_state.get(KEYS[k], DEFAULTS[KEYS[k]]) for k in KEYS))
    own = st.session_state.get(OWN, []) if st.session_state.get("tr_use_own", True) else []
    return live.request_from_env(settings.request(own))


def say(kind, text):
    st.session_state[MESSAGE] = (kind, text)


def start_training(jobs: JobRunner, me: str):
    request, _note = current_request()
    try:
        jobs.submit(me, request.name, live.training_job(request), demo=DEMO, meta={"request": request})
    except JobRefused as exc:
        say("warning", str(exc))


def stop(jobs: JobRunner, me: str, demo: str):
    job = jobs.latest(me, demo)
    if job is None or job.finished:
        say("info", _("Nothing is training now: there is nothing to stop."))
    elif not job.stop():
        say("info", _("Already stopping: the model keeps what it has learnt so far."))


def start_sweep(jobs: JobRunner, me: str):
    request, _note = current_request()
    requests = live.sweep_requests(augment=request.augment, steps=request.steps, rule=request.rule)
    try:
        jobs.submit(me, _("patch-size sweep ({n_requests} runs)").format(n_requests=len(requests)), live.sweep_job(requests), demo=SWEEP,
                    keeps_model=False)
    except JobRefused as exc:
        say("warning", str(exc))


def show_message():
    message = st.session_state.pop(MESSAGE, None)
    if message:
        getattr(st, message[0])(message[1])


def my_model(jobs: JobRunner, me: str):
    """The participant's latest finished model (and any notice about a dropped one)."""
    notices = [j.notice for j in jobs.jobs(me, DEMO) if j.notice]
    for job in reversed(jobs.jobs(me, DEMO)):
        if job.result is not None:
            return job, notices
    return None, notices


def live_panel(jobs: JobRunner, me: str):
    """Polled every second while a training is queued or running."""
    job = jobs.latest(me, DEMO)
    if job is None:
        st.caption(_("Press **Train** to start. The training runs on the server in the background: you can "
                   "change page and come back."))
        return
    request = job_request(job)
    events = job.events()
    status = live.live_status(job.status, job.place, job.elapsed(), events, request)
    if job.status == "queued":
        st.info(status.headline)
        return
    if job.status == "running":
        st.progress(status.fraction, text=status.headline)
        st.caption(_("Every tab of this browser shows this same training; it goes on if you change page."))
    elif job.status == "failed":
        st.error(job.error)
    elif job.status == "stopped" and job.result is not None:
        st.success(_("Stopped: the model keeps what it learnt in {steps} steps.").format(steps=job.result.steps))
    cols = st.columns(3)
    if status.loss is not None:
        key_figure(_("Training loss"), f"{status.loss:.3f}", container=cols[0])
    if status.fused is not None:
        key_figure(_("Validation, fused ({rule})").format(rule=request.rule), f"{status.fused:.1f} %", container=cols[1])
        key_figure(_("Validation, best single patch"), f"{status.best_single:.1f} %", container=cols[2])
    curves = live.live_curves(events, request.rule, request.patch_size)
    x_max = None if request.steps else request.seconds
    left, right = st.columns(2)
    if curves["loss"]:
        left.vega_lite_chart(pd.DataFrame(curves["loss"]), live.curve_spec("loss", x_max), width="stretch")
    if curves["accuracy"]:
        right.vega_lite_chart(pd.DataFrame(curves["accuracy"]), live.curve_spec("accuracy", x_max), width="stretch")
    if job.finished:
        finished("train", job.id)  # redraw the whole page once: the result, the test area


def job_request(job):
    return job.meta.get("request") or live.TrainRequest()


def show_result(model, settings):
    st.subheader(_("Your model against the shipped one"))
    p = model.patch_size
    shipped_path = default_model_path(p)
    card = read_card(shipped_path) if shipped_path.is_file() else None
    what = _("{steps} steps in {seconds} s").format(steps=model.steps, seconds=f"{model.seconds:.0f}") + (_(" (stopped early)") if model.stopped_early else "")
    st.markdown(_("**Patch size {p}**, {what}; accuracy on the {n_test} held-out test digits.").format(p=p, what=what, n_test=f"{model.n_test:,}"))
    if card is None:
        st.caption(_("No shipped model for p = {p} (shipped: 14, 18, 22, 28): only yours is scored.").format(p=p))
    table = pd.DataFrame(live.comparison_table(model.test, card, p))
    # a static table: its text wraps, so a phone shows every column (a data grid cut off the numbers)
    st.table(table.style.hide(axis="index").format("{:.1f}", subset=table.columns[1:], na_rep="—"))
    try:
        st.page_link(CLASSIFICATION_PAGE, label=_("Your model now answers on the Classification page too "
                     "(with a switch back to the shipped one)"), icon=":material/draw:")
    except StreamlitPageNotFoundError:  # no router (AppTest runs the page on its own)
        st.markdown(_("Your model now answers on the [Classification](classification) page too."))
    files = model.files()
    left, right = st.columns(2)
    left.download_button(_("Download the model (.keras)"), files["keras"], f"{files['stem']}.keras",
                         mime="application/octet-stream", on_click="ignore", icon=":material/download:")
    right.download_button(_("Download its card (.json)"), files["json"], f"{files['stem']}.json",
                          mime="application/json", on_click="ignore", icon=":material/description:")
    with details(_("How it was trained")):
        st.code(model.card["training"]["command"], language="bash")
        st.caption(_("The same loop as the command line (`patchlab.classification.train.train_classifier`); the "
                   "page adds a time budget and a quick check every few seconds for the curves."))


def test_area(model, rule):
    st.subheader(_("Try it"))
    use_mine = st.toggle(_("Use my model"), value=True, key="tr_use_mine",
                         help=_("Off: only the shipped model answers.")) if model is not None else False
    source = st.radio(_("Digit"), SOURCES, horizontal=True, key="tr_source", format_func=_)
    x28, truth = None, None
    if source == "Draw":
        canvas = drawing(key="tr_test", width=280, height=280, background_color="#000000",
                         stroke_color="#ffffff", stroke_width=26, drawing_mode="freedraw")
        st.caption(_("Draw one digit, large, with your finger or the mouse."))
        if canvas.rgba is not None:
            try:
                x28 = preprocess_canvas(canvas.rgba)
            except ValueError as exc:
                st.info(str(exc))
    else:
        images, labels = test_digits()
        index = st.number_input(_("Test digit number"), 0, len(images) - 1, key="tr_digit")
        x28, truth = images[index].astype("float32") / 255.0, int(labels[index])
        st.image(images[index], width=140, caption=_("test digit #{index}, a {truth}").format(index=index, truth=truth),
                 alt=_("Held-out test digit #{index}, a handwritten {truth}").format(index=index, truth=truth))
    if x28 is None:
        return
    p = model[1].patch_size if model is not None else 18
    shipped_p = live.shipped_patch_size(p)
    cols = st.columns(2)
    with interactive():  # a background training waits while this runs
        if use_mine:
            model_job, mine = model
            mine_pred = mine.classifier.predict(x28, rule)
            model_job.touch()
            key_figure(_("Your model (p = {p})").format(p=p), str(mine_pred.label), container=cols[0],
                       delta=f"{mine_pred.confidence:.0%} sure")
        try:
            shipped = shipped_classifier(shipped_p).predict(x28, rule)
            key_figure(_("Shipped model (p = {shipped_p})").format(shipped_p=shipped_p), str(shipped.label), container=cols[1],
                       delta=f"{shipped.confidence:.0%} sure")
        except ModelUnavailable as exc:
            cols[1].error(str(exc))
    if truth is not None:
        st.caption(_("The true label is {truth}.").format(truth=truth))


def own_digits(model, rule):
    st.subheader(_("Your own digits"))
    st.markdown(_("Draw a few examples of a digit, say which digit each is, and add them: the next training "
                "includes them (kept in this session only)."))
    own = st.session_state.setdefault(OWN, [])
    left, right = st.columns(2)
    with left:
        canvas = drawing(key="tr_own_canvas", width=200, height=200, background_color="#000000",
                         stroke_color="#ffffff", stroke_width=20, drawing_mode="freedraw", controls=True)
    with right:
        label = st.selectbox(_("This digit is a…"), list(range(10)), index=None, key="tr_own_label",
                             placeholder=_("choose 0–9"))
        if st.button(_("Add this example"), icon=":material/add:", key="tr_own_add"):
            x28, problem = live.own_digit(canvas.rgba, label)
            if problem:
                st.warning(problem)
            elif len(own) >= live.MAX_OWN_DIGITS:
                st.warning(_("You have {n} examples already: that is the most a session keeps.").format(n=live.MAX_OWN_DIGITS))
            else:
                own.append((x28, int(label)))
                st.success(_("Added a {label} ({n_own} example(s)). Clear the canvas and draw the next one.").format(label=label, n_own=len(own)))
        if own and st.button(_("Remove all my examples"), key="tr_own_clear"):
            own.clear()
            st.rerun()
    if own:
        st.image(live.thumbnails(own), caption=[str(label) for _, label in own], width=56,
                 alt=[_("Your drawing number {number}, labelled {label}").format(number=i + 1, label=label)
                      for i, (_x28, label) in enumerate(own)])
        st.toggle(_("Include my digits in the next training"), value=True, key="tr_use_own")
    if model is not None and model[1].request.own:
        shipped = shipped_or_none(model[1].patch_size)
        with interactive():  # a background training waits while these are classified
            result = live.before_after(model[1].request.own, shipped, model[1].classifier, rule)
        st.markdown(_("**Before and after**: the shipped model reads {shipped} of {n} of your digits right, your "
                      "model {mine}. (Your model was trained on these very drawings: this shows it learnt them; "
                      "try new ones above.)").format(shipped=result["shipped_right"], n=result["n"],
                                                     mine=result["mine_right"]))
        st.dataframe(pd.DataFrame(result["rows"]), hide_index=True)


def shipped_or_none(patch_size):
    try:
        return shipped_classifier(live.shipped_patch_size(patch_size))
    except ModelUnavailable:
        return None


def sweep_panel(jobs: JobRunner, me: str, settings, steps):
    job = jobs.latest(me, SWEEP)
    if job is None:
        return
    events = job.events()
    rows = live.sweep_rows(events, settings.rule)
    done = sum(1 for e in events if e.get("kind") == "sweep")
    if job.status == "queued":
        st.info(live.live_status("queued", job.place, 0, [], live.TrainRequest()).headline)
    elif job.status == "running":
        phases = [e for e in events if e.get("kind") == "phase"]
        st.progress(done / len(live.SWEEP_SIZES), text=_("{done} of {n} runs done").format(done=done, n=len(live.SWEEP_SIZES))
                    + (f" · {phases[-1]['text']}" if phases else ""))
    elif job.status == "failed":
        st.error(job.error)
    if rows:
        st.vega_lite_chart(pd.DataFrame(rows), live.sweep_spec(), width="stretch")
    if job.finished:
        finished("sweep", job.id)


def main():
    ensure_router()
    arrive(LINK)
    presenter_toggle()
    st.title(_("Train a classifier"))
    st.markdown(_("Choose a patch size, press **Train** and watch the four-patch classifier learn: the loss falls, "
                "each patch's accuracy and the fused answer's climb. Then test it on your own drawing, compare it "
                "with the shipped model, and find out which patch sizes work."))
    sidebar_note(_("The patch size, the fusion rule, the time budget and augmentation"))
    notice_box = st.container()
    settings = read_settings()
    publish(LINK, live.settings_to_query(settings))
    show_notice(LINK, notice_box)
    share_bar(DEFAULTS)
    jobs, me = runner(), participant()
    request, note = current_request()
    if note:
        st.caption(note)

    left, right, _rest = st.columns([1, 1, 3])
    left.button(_("Train"), type="primary", icon=":material/play_arrow:", key="tr_train", width="stretch",
                on_click=start_training, args=(jobs, me))
    right.button(_("Stop"), icon=":material/stop:", key="tr_stop", width="stretch", on_click=stop,
                 args=(jobs, me, DEMO), help=_("Ends the training; the model keeps what it learnt so far."))
    show_message()
    job = jobs.latest(me, DEMO)
    poll(job is not None and not job.finished, lambda: live_panel(jobs, me))

    found, notices = my_model(jobs, me)
    for text in notices:
        st.warning(text)
    model = (found, found.result) if found is not None else None
    if model is not None:
        record("classifier_run", live.room_run(found.result), once=f"classifier-{found.id}")  # the room's sweep
        show_result(model[1], settings)
    test_area(model, settings.rule)
    own_digits(model, settings.rule)

    st.subheader(_("Which patch size works?"))
    each = (_("{seconds} s each, {steps} steps in this test setup").format(seconds=live.SWEEP_SECONDS,
                                                                             steps=request.steps)
            if request.steps else _("{seconds} s each").format(seconds=live.SWEEP_SECONDS))
    st.markdown(_("One click queues a short run ({each}) for each of p = {sizes}, and draws test accuracy against "
                  "patch size as the runs finish: single patches and the fused answer.").format(
        each=each, sizes=", ".join(map(str, live.SWEEP_SIZES))))
    b1, b2, _rest = st.columns([1, 1, 3])
    b1.button(_("Run the sweep"), icon=":material/stacked_line_chart:", key="tr_sweep", width="stretch",
              on_click=start_sweep, args=(jobs, me))
    b2.button(_("Stop the sweep"), icon=":material/stop:", key="tr_sweep_stop", width="stretch", on_click=stop,
              args=(jobs, me, SWEEP))
    sweep_job = jobs.latest(me, SWEEP)
    poll(sweep_job is not None and not sweep_job.finished,
         lambda: sweep_panel(jobs, me, settings, request.steps))
    if found is not None:
        download_notebook(lambda: classifier_training_notebook(found.result), "train", fingerprint=found.id)
    show_code(train_classifier, JobRunner.submit, live.training_job)


main()
