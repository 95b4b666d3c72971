"""Train an inpainter: teach the inpainter one domain of photos, live, and see what specialising costs."""

import hashlib

import pandas as pd
import streamlit as st
from streamlit.errors import StreamlitPageNotFoundError

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


@st.cache_resource(show_spinner="Loading the shipped inpainting model…")
def shipped_inpainter():
    return Inpainter.load()


@st.cache_resource(show_spinner=False)
def demo_photos(key):
    return read_only(demo_photo_set(key))


def read_settings():
    st.sidebar.header("Training")
    keep = {"persist_state": "session"}
    source = st.sidebar.radio("Photos", SOURCES, key=KEYS["source"], **keep)
    demo = st.sidebar.selectbox("Demo domain", tuple(DEMO_DOMAINS), key=KEYS["demo"],
                                format_func=lambda k: DEMO_DOMAINS[k].title, disabled=source != SOURCES[0], **keep)
    arch = st.sidebar.radio("What to train", tuple(live.ARCHS), format_func=live.ARCHS.get, key=KEYS["arch"],
                            help="Fine-tuning starts from the shipped U-Net (trained on some 70 varied photos); "
                                 "the tutorial's autoencoder starts from random weights.", **keep)
    budget = st.sidebar.radio("Time budget", tuple(live.BUDGETS), key=KEYS["budget"], horizontal=True, **keep)
    publish(LINK, {KEYS["source"]: source, KEYS["demo"]: demo if source == SOURCES[0] else None,
                   KEYS["arch"]: arch, KEYS["budget"]: budget})
    return source, demo, arch, budget


def uploaded_photos():
    """The participant's upload as a PhotoSet (decoded once per upload), or None; says what is wrong."""
    files = st.file_uploader(f"Your photos: 2–{MAX_PHOTOS} photos of one kind of scene (JPG, PNG, …), or one .zip "
                             "of them", type=UPLOAD_TYPES, accept_multiple_files=True, key="ti_upload")
    if not files:
        st.session_state.pop(PHOTOS, None)
        st.info("Choose photos of one kind of scene (mountains, your street, a forest, faces…): 5 to 200 work "
                "best. They stay in this server's memory for your session only and are never saved.")
        return None
    ids = hashlib.sha256("|".join(f"{f.file_id}:{f.name}:{f.size}" for f in files).encode()).hexdigest()
    kept = st.session_state.get(PHOTOS)
    if kept is None or kept[0] != ids:
        with st.spinner("Reading your photos…"):
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
    title = "Your photos" if photos.source == "upload" else photos.name
    st.markdown(f"**{title}**: {photos.summary()}")
    for note in photos.notes:
        st.caption(note)
    if photos.skipped:
        st.warning(f"{len(photos.skipped)} file{'s were' if len(photos.skipped) != 1 else ' was'} not used: "
                   + "; ".join(f"“{name}” ({why})" for name, why in photos.skipped[:12])
                   + (" …" if len(photos.skipped) > 12 else "") + ".")
    if photos.duplicates:
        st.warning(f"{len(photos.duplicates)} duplicate{'s were' if len(photos.duplicates) != 1 else ' was'} "
                   "dropped: " + "; ".join(f"“{name}” repeats “{first}”" for name, first in photos.duplicates[:12])
                   + ".")
    shown = [(p.image, f"train · {p.name}") for p in photos.train[:4]] + \
            [(p.image, f"held out · {p.name}") for p in photos.held_out[:2]]
    st.image([img for img, _ in shown], caption=[c for _, c in shown], width=110,
             alt=[f"{c.split(' · ')[0]} photo {c.split(' · ')[1]}" for _, c in shown])


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
        say("warning", "Choose your photos first (or pick a demo domain in the sidebar), then press Train.")
        return
    request, _ = live.request_from_env(live.DomainRequest(photos, arch, float(live.BUDGETS[budget])))
    shipped = shipped_inpainter()  # here, in the page's run: a cached loader called from the job's thread
    try:                           # has no page to report to (Streamlit logs "missing ScriptRunContext")
        jobs.submit(me, request.name, live.training_job(request, lambda: shipped), demo=DEMO,
                    meta={"request": request.slim()})  # the job's closure holds the photos until it ends
    except JobRefused as exc:
        say("warning", str(exc))


def stop(jobs: JobRunner, me: str):
    job = jobs.latest(me, DEMO)
    if job is None or job.finished:
        say("info", "Nothing is training now: there is nothing to stop.")
    elif not job.stop():
        say("info", "Already stopping: the model keeps what it has learnt so far.")


def live_panel(jobs: JobRunner, me: str):
    """Polled every second while a training is queued or running."""
    job = jobs.latest(me, DEMO)
    if job is None:
        st.caption("Press **Train** to start. The training runs on the server in the background: you can "
                   "change page and come back.")
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
        st.success(f"Stopped: the model keeps what it learnt in {job.result.steps} steps.")
    cols = st.columns(3)
    if status.loss is not None:
        key_figure("Training loss", f"{status.loss:.4f}", container=cols[0])
    if status.mine and job.result is None:  # once the model is scored, its table below holds the figures
        for col, family in zip(cols[1:], ("square", "brush")):
            key_figure(f"Your model, {live.FAMILY_NAMES[family]} (quick check)", f"{status.mine[family]:.2f} dB",
                       container=col, delta=f"{status.mine[family] - status.shipped[family]:+.2f} dB vs shipped")
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
        st.markdown("**One held-out photo, filled by your model as it learns**")
        st.image([img for _, img in pictures], caption=[c for c, _ in pictures], width=150,
                 alt=["A held-out photo with its hole painted magenta" if c == "the hole" else
                      f"The held-out photo filled by your model at {c}" for c, _ in pictures])
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
    st.subheader("Your domain model against the shipped one")
    what = f"{model.steps} steps in {model.seconds:.0f} s" + (" (stopped early)" if model.stopped_early else "")
    arch = "the shipped U-Net fine-tuned" if model.request.arch == "unet" else "the tutorial's autoencoder trained"
    st.markdown(f"**{model.request.photos.name}**: {arch} for {what}.")
    st.dataframe(pd.DataFrame(model.rows), hide_index=True, width="stretch")
    st.caption(live.table_caption(model))
    st.caption("A model taught one domain usually fills that domain better and pays for it elsewhere: compare the "
               "two halves of the table. Each photo is scored at 256 px or less, with the same seeded holes for "
               "both models.")
    files = model.files()
    left, right = st.columns(2)
    left.download_button("Download the model (.keras)", files["keras"], f"{files['stem']}.keras",
                         mime="application/octet-stream", on_click="ignore", icon=":material/download:")
    right.download_button("Download its card (.json)", files["json"], f"{files['stem']}.json",
                          mime="application/json", on_click="ignore", icon=":material/description:")
    try:
        st.page_link("pages/inpainting.py", label="Fill with it on the Inpainting page", icon=":material/healing:")
    except StreamlitPageNotFoundError:  # no router (AppTest runs the page on its own)
        st.markdown("[Fill with it on the Inpainting page](inpainting)")
    with details("How it was trained"):
        st.code(model.card.get("command", ""), language="bash")
        st.caption("The same loop as the command line (`patchlab.inpainting.train.train_inpainter`, here on your "
                   "photos held in memory); `--data DIR --seconds S --out PATH` does the same on a folder.")


def main():
    ensure_router()
    arrive(LINK)
    presenter_toggle()
    st.title("Train an inpainter")
    st.markdown("The tutorial trained its autoencoder on one kind of photo, mountains: *a wider set of images "
                "would make the model perform worse*. Try it: give the inpainter photos of one domain, press "
                "**Train**, and watch it learn to fill that domain's held-out photos better than the shipped "
                "model — then see what it costs on other photos. The photos, what to train and the time budget "
                "are in the sidebar (the » at the top left on a phone).")
    notice_box = st.container()
    source, demo, arch, budget = read_settings()
    show_notice(LINK, notice_box)
    share_bar(DEFAULTS)
    jobs, me = runner(), participant()
    photos = current_photos(source, demo)
    if photos is not None:
        show_photo_set(photos)
    _, note = live.request_from_env(live.DomainRequest(photos, arch)) if photos is not None else (None, None)
    if note:
        st.caption(note)

    left, right, _ = st.columns([1, 1, 3])
    left.button("Train", type="primary", icon=":material/play_arrow:", key="ti_train", width="stretch",
                on_click=start_training, args=(jobs, me, photos, arch, budget))
    right.button("Stop", icon=":material/stop:", key="ti_stop", width="stretch", on_click=stop, args=(jobs, me),
                 help="Ends the training; the model keeps what it learnt so far.")
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
