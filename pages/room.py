"""Room: the instructor's live view of the whole room: who is here, their trainings, fills and guesses."""

import time

import pandas as pd
import streamlit as st

from patchlab.classification.report import EVAL_PATH, read_classification_report
from patchlab.i18n import _
from patchlab.inpainting.evaluate import LABELS
from patchlab.room import RoomUnavailable, panels
from patchlab.room.charts import guess_chart, shipped_reference, spot_chart, sweep_chart, wins_chart
from patchlab.ui.classroom import admit_instructor, is_instructor, room
from patchlab.ui.language import fragment
from patchlab.ui.router import ensure_router

REFRESH_S = 2.0
CONFIRM = "room_clear_confirm"


@st.cache_data(show_spinner=False)
def shipped_rows(mtime):
    """The shipped classifiers' reference line, read once per evaluation file."""
    return shipped_reference(read_classification_report(EVAL_PATH))


def method_labels():
    from patchlab.inpainting.demo import method_label

    return {k: method_label(k) for k in LABELS}


def let_in():
    """Check the key once; it leaves the address bar at once (a projector shows it to the room)."""
    key = st.query_params.get("key")
    if key is not None:
        admit_instructor(key)
        del st.query_params["key"]
    return is_instructor()


def who_is_here(who):
    st.subheader(_("Who is here"))
    a, b = st.columns(2)
    a.metric(_("Here now"), f"{who.now}", help=_("Seen in the last 30 seconds"))
    b.metric(_("Since the start"), f"{who.since_start}")
    if who.pages:
        st.caption(_("Pages open now: ") + ", ".join(f"{page} {n}" for page, n in who.pages.items()))
    people = pd.DataFrame([{_("name"): p.name, _("page"): p.page or "", _("here"): _("yes") if p.here else _("no"),
                            _("last seen (s ago)"): None if p.seen_s_ago is None else round(p.seen_s_ago)}
                           for p in who.people])
    if len(people):
        st.dataframe(people, hide_index=True, width="stretch", height=min(400, 36 * (len(people) + 1) + 4))


def training(sweep, inpainters, mtime):
    st.subheader(_("The room's training"))
    if not sweep.points:
        st.caption(_("No *Train a classifier* run has finished yet."))
    else:
        rows, spec = sweep_chart(sweep, shipped_rows(mtime))
        st.vega_lite_chart(pd.DataFrame(rows), spec, width="stretch")
        st.caption(_("{runs} runs by {participants} participants, each scored on its own held-out test digits (the "
                     "number is in each point's tooltip). Thick line: the room's median per patch size; dashed: the "
                     "shipped models on the evaluation's test digits.").format(runs=len(sweep.points),
                                                                               participants=sweep.participants))
    if inpainters:
        st.markdown(_("**Train an inpainter**: each run's gain over the shipped model (masked PSNR, dB)"))
        st.dataframe(pd.DataFrame([{
            _("who"): r["name"], _("domain"): _(r["domain"]), _("trained"): r["arch"],
            _("budget (s)"): round(r["budget_s"]),
            _("own photos, squares"): round(r["gain_domain_db"]["square"], 2),
            _("own photos, brush"): round(r["gain_domain_db"]["brush"], 2),
            _("standard photos, squares"): round(r["gain_standard_db"]["square"], 2),
            _("standard photos, brush"): round(r["gain_standard_db"]["brush"], 2)} for r in inpainters]),
            hide_index=True, width="stretch")


def fills(wins, n_fills, gallery):
    st.subheader(_("The room's fills"))
    if not n_fills:
        st.caption(_("No Fill yet."))
    else:
        rows, spec = wins_chart(wins, method_labels())
        st.vega_lite_chart(pd.DataFrame(rows), spec, width="stretch")
        st.caption(_("Which method won in this room: the highest masked PSNR of the methods each Fill ran, "
                   "over {n_fills} fills (a tie counts for each). Median PSNR in the tooltips.").format(n_fills=n_fills))
    if gallery:
        try:
            pictures = room().pictures([g.picture for g in gallery])
        except RoomUnavailable:
            pictures = {}
        shown = [(pictures[g.picture], g.name) for g in gallery if g.picture in pictures]
        if shown:
            st.markdown(_("**Shared fills** ({n_shown}, newest first)").format(n_shown=len(shown)))
            st.image([p for p, _n in shown], caption=[n for _p, n in shown], width=220,
                     alt=[_("A fill shared by {n}").format(n=n) for _p, n in shown])


def guesses(tallies):
    st.subheader(_("Predict with the room"))
    if not tallies:
        st.caption(_("No guesses yet. Switch on *Presenter mode* and *Predict, then reveal*: participants guess on "
                   "their own devices before you reveal."))
        return
    for tally in reversed(tallies[-3:]):  # the latest questions first
        verdict = (_("not revealed yet") if tally.revealed is None
                   else _("the answer: {revealed}, given by {right} of {answers}").format(
                       revealed=tally.revealed, right=tally.right, answers=tally.answers))
        st.markdown(_("**{question}** · {answers} guesses · {verdict}").format(
            question=_(tally.question), answers=tally.answers, verdict=verdict))
        rows, spec = guess_chart(tally)
        st.vega_lite_chart(pd.DataFrame(rows), spec, width="stretch")


def spot(rates):
    if not rates:
        return
    st.subheader(_("Spot the fill"))
    rows, spec = spot_chart(rates, method_labels())
    st.vega_lite_chart(pd.DataFrame(rows), spec, width="stretch")
    st.caption(_("How often each fill was taken for the real photo, with 95 % Wilson intervals; rounds in the "
               "tooltips."))


@fragment(run_every=REFRESH_S)
def live_panels():
    """Every panel, read from the room at once and drawn again every two seconds (no page reload)."""
    try:
        snapshot = room().snapshot()
    except RoomUnavailable:
        st.warning(_("The room's data is unavailable right now (its store does not answer); the pages work as "
                   "before, and this page shows the room again as soon as it answers."), icon=":material/cloud_off:")
        return
    p = panels.room_panels(snapshot)
    mtime = EVAL_PATH.stat().st_mtime if EVAL_PATH.exists() else 0
    who_is_here(p.who)
    training(p.sweep, p.inpainters, mtime)
    fills(p.fills, p.n_fills, p.gallery)
    guesses(p.guesses)
    spot(p.spot)
    st.caption(_("Updated {time} · every {every} s").format(time=time.strftime("%H:%M:%S"), every=f"{REFRESH_S:g}"))


def clear_room():
    try:
        room().clear()
        st.session_state["room_message"] = _("The room is empty now.")
    except RoomUnavailable:
        st.session_state["room_message"] = _("The room's data is unavailable right now: nothing was cleared.")
    st.session_state[CONFIRM] = False


def instructor_tools():
    st.sidebar.header(_("The room"))
    try:
        data = room().export_csv()
    except RoomUnavailable:
        data = None
    if data is not None:
        st.sidebar.download_button(_("Download the room's numbers (CSV)"), data, "patchlab-room.csv", mime="text/csv",
                                   icon=":material/download:", on_click="ignore", width="stretch")
    if st.sidebar.toggle(_("Clear the room…"), key=CONFIRM):
        st.sidebar.button(_("Delete everything the room holds"), type="primary", on_click=clear_room,
                          icon=":material/delete_forever:", width="stretch")
    message = st.session_state.pop("room_message", None)
    if message:
        st.sidebar.info(message)


def main():
    ensure_router()
    st.title(_("Room"))
    if not let_in():
        st.info(_("This page is for the instructor. Open it with the instructor's link that `make run` or "
                "`make room` printed when the app started."))
        return
    st.markdown(_("What the whole room is doing, live: who is here and on which page, the trainings that finished, "
                "which fills won, and the room's guesses."))
    instructor_tools()
    live_panels()


main()
