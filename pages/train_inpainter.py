"""Train an inpainter: teach the inpainter one domain of photos, live, and see what specialising costs."""

import hashlib

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

from patchlab.i18n import _, ngettext
from patchlab.inpainting import Inpainter, live
from patchlab.inpainting.domain import (DEMO_DOMAINS, MAX_PHOTOS, PhotoSetError, demo_photo_set, read_photo_set)
from patchlab.inpainting.train import train_inpainter
from patchlab.jobs import JobRefused, JobRunner
from patchlab.ui.classroom import record
from patchlab.ui.code import show_code
from patchlab.ui.jobs import finished, participant, poll, runner
from patchlab.notebooks import inpainter_training_notebook
from patchlab.ui.link import PageLink, arrive, publish, show_notice
from patchlab.ui.notebook import download_notebook
from patchlab.ui.room import details, key_figure, presenter_toggle, share_bar
from patchlab.ui.router import ensure_router
from patchlab.ui.server import read_only

DEMO = live.DEMO
SOURCES = live.SOURCES
KEYS = {"source": "ti_source", "demo": "ti_demo", "arch": "ti_arch", "budget": "ti_budget"}
DEFAULTS = live.DEFAULTS
LINK = PageLink("train_inpainter", live.read_link, DEFAULTS, tuple(DEFAULTS), DEFAULTS)
PHOTOS = "ti_photos"  # (upload ids, PhotoSet or the message why not): this session's upload, decoded once
MESSAGE = "ti_message"  # a message from the last button, shown once
UPLOAD_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff", "zip"]


@st.cache_resource(show_spinner=False)
def _shipped_inpainter():
    return Inpainter.load()


def shipped_inpainter():
    """The shipped U-Net, loaded once per server (a spinner in the participant's language meanwhile)."""
    with st.spinner(_("Loading the shipped inpainting model…")):
        return _shipped_inpainter()


@st.cache_resource(show_spinner=False)
def demo_photos(key):
    return read_only(demo_photo_set(key))


def read_settings():
    st.sidebar.header(_("Training"))
    keep = {"persist_state": "session"}
    source = st.sidebar.radio(_("Photos"), SOURCES, key=KEYS["source"], format_func=_, **keep)
    demo = st.sidebar.selectbox(_("Demo domain"), tuple(DEMO_DOMAINS), key=KEYS["demo"],
                                format_func=lambda k: _(DEMO_DOMAINS[k].title), disabled=source != SOURCES[0], **keep)
    arch = st.sidebar.radio(_("What to train"), tuple(live.ARCHS), format_func=lambda k: _(live.ARCHS[k]), key=KEYS["arch"],
                            help=_("Fine-tuning starts from the shipped U-Net (trained on some 70 varied photos); "
                                 "the tutorial's autoencoder starts from random weights."), **keep)
    budget = st.sidebar.radio(_("Time budget"), tuple(live.BUDGETS), key=KEYS["budget"], horizontal=True, **keep)
    publish(LINK, {KEYS["source"]: source, KEYS["demo"]: demo if source == SOURCES[0] else None,
                   KEYS["arch"]: arch, KEYS["budget"]: budget})
    return source, demo, arch, budget


def uploaded_photos():
    """The participant's upload as a PhotoSet (decoded once per upload), or None; says what is wrong."""
    files = st.file_uploader(_("Your photos: 2–{max_photos} photos of one kind of scene (JPG, PNG, …), or one .zip "
                             "of them").format(max_photos=MAX_PHOTOS), type=UPLOAD_TYPES, accept_multiple_files=True, key="ti_upload")
    if not files:
        st.session_state.pop(PHOTOS, None)
        st.info(_("Choose photos of one kind of scene (mountains, your street, a forest, faces…): 5 to 200 work "
                "best. They stay in this server's memory for your session only and are never saved."))
        return None
    ids = hashlib.sha256("|".join(f"{f.file_id}:{f.name}:{f.size}" for f in files).encode()).hexdigest()
    kept = st.session_state.get(PHOTOS)
    if kept is None or kept[0] != ids:
        with st.spinner(_("Reading your photos…")):
            try:
                kept = (ids, read_photo_set(files))
            except PhotoSetError as exc:
                kept = (ids, str(exc))
        st.session_state[PHOTOS] = kept
    if isinstance(kept[1], str):
        st.error(kept[1])
        return None
    return kept[1]


def show_photo_set(photos):
    title = _("Your photos") if photos.source == "upload" else _(photos.name)
    st.markdown(f"**{title}**: {photos.summary()}")
    for note in photos.notes:
        st.caption(_(note))
    if photos.skipped:
        listed = _("; ").join(_("“{name}” ({why})").format(name=name, why=why) for name, why in photos.skipped[:12])
        st.warning(ngettext("{n} file was not used: {files}.", "{n} files were not used: {files}.",
                            len(photos.skipped)).format(n=len(photos.skipped),
                                                        files=listed + (" …" if len(photos.skipped) > 12 else "")))
    if photos.duplicates:
        listed = _("; ").join(_("“{name}” repeats “{first}”").format(name=name, first=first)
                              for name, first in photos.duplicates[:12])
        st.warning(ngettext("{n} duplicate was dropped: {files}.", "{n} duplicates were dropped: {files}.",
                            len(photos.duplicates)).format(n=len(photos.duplicates), files=listed))
    shown = [(p.image, _("train · {name}").format(name=p.name), _("Training photo {name}").format(name=p.name))
             for p in photos.train[:4]]
    shown += [(p.image, _("held out · {name}").format(name=p.name), _("Held-out photo {name}").format(name=p.name))
              for p in photos.held_out[:2]]
    st.image([img for img, _c, _a in shown], caption=[c for _i, c, _a in shown], width=110,
             alt=[a for _i, _c, a in shown])


def current_photos(source, demo):
    if source == SOURCES[0]:
        return demo_photos(demo)
    return uploaded_photos()


def say(kind, text):
    st.session_state[MESSAGE] = (kind, text)


def show_message():
    message = st.session_state.pop(MESSAGE, None)
    if message:
        getattr(st, message[0])(message[1])


def start_training(jobs: JobRunner, me: str, photos, arch, budget):
    if photos is None:
        say("warning", _("Choose your photos first (or pick a demo domain in the sidebar), then press Train."))
        return
    request, _note = live.request_from_env(live.DomainRequest(photos, arch, float(live.BUDGETS[budget])))
    shipped = shipped_inpainter()  # here, in the page's run: a cached loader called from the job's thread
    try:                           # has no page to report to (Streamlit logs "missing ScriptRunContext")
        jobs.submit(me, request.name, live.training_job(request, lambda: shipped), demo=DEMO,
                    meta={"request": request.slim()})  # the job's closure holds the photos until it ends
    except JobRefused as exc:
        say("warning", str(exc))


def stop(jobs: JobRunner, me: str):
    job = jobs.latest(me, DEMO)
    if job is None or job.finished:
        say("info", _("Nothing is training now: there is nothing to stop."))
    elif not job.stop():
        say("info", _("Already stopping: the model keeps what it has learnt so far."))


def live_panel(jobs: JobRunner, me: str):
    """Polled every second while a training is queued or running."""
    job = jobs.latest(me, DEMO)
    if job is None:
        st.caption(_("Press **Train** to start. The training runs on the server in the background: you can "
                   "change page and come back."))
        return
    request = job.meta["request"]
    events = job.events()
    status = live.live_status(job.status, job.place, events, request)
    if job.status == "queued":
        st.info(status.headline)
        return
    if job.status == "running":
        st.progress(status.fraction, text=status.headline)
    elif job.status == "failed":
        st.error(job.error)
    elif job.status == "stopped" and job.result is not None:
        st.success(_("Stopped: the model keeps what it learnt in {steps} steps.").format(steps=job.result.steps))
    cols = st.columns(3)
    if status.loss is not None:
        key_figure(_("Training loss"), f"{status.loss:.4f}", container=cols[0])
    if status.mine and job.result is None:  # once the model is scored, its table below holds the figures
        for col, family in zip(cols[1:], ("square", "brush")):
            key_figure(_("Your model, {masks} (quick check)").format(masks=_(live.FAMILY_NAMES[family])),
                       f"{status.mine[family]:.2f} dB", container=col,
                       delta=_("{change} dB vs shipped").format(
                           change=f"{status.mine[family] - status.shipped[family]:+.2f}"))
        st.caption(live.check_caption(events))
    curves = live.live_curves(events)
    x_max = None if request.steps else request.seconds
    charts = st.columns(3)
    if curves["loss"]:
        charts[0].vega_lite_chart(pd.DataFrame(curves["loss"]), live.curve_spec("loss", x_max), width="stretch")
    if curves["psnr"]:
        for chart, family in zip(charts[1:], ("square", "brush")):
            chart.vega_lite_chart(pd.DataFrame(curves["psnr"]), live.curve_spec("psnr", x_max, family),
                                  width="stretch")
    pictures = live.strip(events)
    if pictures:
        st.markdown(_("**One held-out photo, filled by your model as it learns**"))
        st.image([img for _c, img in pictures], caption=[c for c, _img in pictures], width=150,
                 alt=[_("A held-out photo with its hole painted magenta") if i == 0 and c == _("the hole") else
                      _("The held-out photo filled by your model at {c}").format(c=c)
                      for i, (c, _img) in enumerate(pictures)])
    if job.finished:
        finished("train_inpainter", job.id)  # redraw the whole page once: the result


def my_model(jobs: JobRunner, me: str):
    """The participant's latest domain model (a finished job with a result), and notices about dropped ones."""
    notices = [j.notice for j in jobs.jobs(me, DEMO) if j.notice]
    for job in reversed(jobs.jobs(me, DEMO)):
        if job.result is not None:
            return job, notices
    return None, notices


def show_result(model):
    st.subheader(_("Your domain model against the shipped one"))
    what = _("{steps} steps in {seconds} s").format(steps=model.steps, seconds=f"{model.seconds:.0f}") + (
        _(" (stopped early)") if model.stopped_early else "")
    arch = _("the shipped U-Net fine-tuned") if model.request.arch == "unet" else _("the tutorial's autoencoder trained")
    st.markdown(_("**{name}**: {arch} for {what}.").format(name=_(model.request.photos.name), arch=arch, what=what))
    st.dataframe(pd.DataFrame(live.rows_in_words(model.rows)), hide_index=True, width="stretch")
    st.caption(live.table_caption(model))
    st.caption(_("A model taught one domain usually fills that domain better and pays for it elsewhere: compare the "
               "two halves of the table. Each photo is scored at 256 px or less, with the same seeded holes for "
               "both models."))
    files = model.files()
    left, right = st.columns(2)
    left.download_button(_("Download the model (.keras)"), files["keras"], f"{files['stem']}.keras",
                         mime="application/octet-stream", on_click="ignore", icon=":material/download:")
    right.download_button(_("Download its card (.json)"), files["json"], f"{files['stem']}.json",
                          mime="application/json", on_click="ignore", icon=":material/description:")
    try:
        st.page_link("pages/inpainting.py", label=_("Fill with it on the Inpainting page"), icon=":material/healing:")
    except StreamlitPageNotFoundError:  # no router (AppTest runs the page on its own)
        st.markdown(_("[Fill with it on the Inpainting page](inpainting)"))
    with details(_("How it was trained")):
        st.code(model.card.get("command", ""), language="bash")
        st.caption(_("The same loop as the command line (`patchlab.inpainting.train.train_inpainter`, here on your "
                   "photos held in memory); `--data DIR --seconds S --out PATH` does the same on a folder."))


def main():
    ensure_router()
    arrive(LINK)
    presenter_toggle()
    st.title(_("Train an inpainter"))
    st.markdown(_("The tutorial trained its autoencoder on one kind of photo, mountains: *a wider set of images "
                "would make the model perform worse*. Try it: give the inpainter photos of one domain, press "
                "**Train**, and watch it learn to fill that domain's held-out photos better than the shipped "
                "model — then see what it costs on other photos. The photos, what to train and the time budget "
                "are in the sidebar (the » at the top left on a phone)."))
    notice_box = st.container()
    source, demo, arch, budget = read_settings()
    show_notice(LINK, notice_box)
    share_bar(DEFAULTS)
    jobs, me = runner(), participant()
    photos = current_photos(source, demo)
    if photos is not None:
        show_photo_set(photos)
    note = live.request_from_env(live.DomainRequest(photos, arch))[1] if photos is not None else None
    if note:
        st.caption(note)

    left, right, _rest = st.columns([1, 1, 3])
    left.button(_("Train"), type="primary", icon=":material/play_arrow:", key="ti_train", width="stretch",
                on_click=start_training, args=(jobs, me, photos, arch, budget))
    right.button(_("Stop"), icon=":material/stop:", key="ti_stop", width="stretch", on_click=stop, args=(jobs, me),
                 help=_("Ends the training; the model keeps what it learnt so far."))
    show_message()
    job = jobs.latest(me, DEMO)
    poll(job is not None and not job.finished, lambda: live_panel(jobs, me))

    found, notices = my_model(jobs, me)
    for text in notices:
        st.warning(text)
    if found is not None:
        record("inpainter_run", live.room_run(found.result), once=f"inpainter-{found.id}")  # the room's domains
        show_result(found.result)
    if found is not None:
        download_notebook(lambda: inpainter_training_notebook(found.result, photos), "train_inpainter",
                          fingerprint=found.id)
    show_code(train_inpainter, live.training_job, live.evaluation_cases)


main()
