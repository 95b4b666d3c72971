"""Room: the instructor's live view of the whole room: who is here, their trainings, fills and guesses."""

import time

import pandas as pd
import streamlit as st

from patchlab.classification.report import EVAL_PATH, read_classification_report
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
    st.subheader("Who is here")
    a, b = st.columns(2)
    a.metric("Here now", f"{who.now}", help="Seen in the last 30 seconds")
    b.metric("Since the start", f"{who.since_start}")
    if who.pages:
        st.caption("Pages open now: " + ", ".join(f"{page} {n}" for page, n in who.pages.items()))
    people = pd.DataFrame([{"name": p.name, "page": p.page or "", "here": "yes" if p.here else "no",
                            "last seen (s ago)": None if p.seen_s_ago is None else round(p.seen_s_ago)}
                           for p in who.people])
    if len(people):
        st.dataframe(people, hide_index=True, width="stretch", height=min(400, 36 * (len(people) + 1) + 4))


def training(sweep, inpainters, mtime):
    st.subheader("The room's training")
    if not sweep.points:
        st.caption("No *Train a classifier* run has finished yet.")
    else:
        rows, spec = sweep_chart(sweep, shipped_rows(mtime))
        st.vega_lite_chart(pd.DataFrame(rows), spec, width="stretch")
        st.caption(f"{len(sweep.points)} runs by {sweep.participants} participants, each scored on its own "
                   "held-out test digits (the number is in each point's tooltip). Thick line: the room's median "
                   "per patch size; dashed: the shipped models on the evaluation's test digits.")
    if inpainters:
        st.markdown("**Train an inpainter**: each run's gain over the shipped model (masked PSNR, dB)")
        st.dataframe(pd.DataFrame([{
            "who": r["name"], "domain": r["domain"], "trained": r["arch"], "budget (s)": round(r["budget_s"]),
            "own photos, squares": round(r["gain_domain_db"]["square"], 2),
            "own photos, brush": round(r["gain_domain_db"]["brush"], 2),
            "standard photos, squares": round(r["gain_standard_db"]["square"], 2),
            "standard photos, brush": round(r["gain_standard_db"]["brush"], 2)} for r in inpainters]),
            hide_index=True, width="stretch")


def fills(wins, n_fills, gallery):
    st.subheader("The room's fills")
    if not n_fills:
        st.caption("No Fill yet.")
    else:
        rows, spec = wins_chart(wins, method_labels())
        st.vega_lite_chart(pd.DataFrame(rows), spec, width="stretch")
        st.caption(f"Which method won in this room: the highest masked PSNR of the methods each Fill ran, "
                   f"over {n_fills} fills (a tie counts for each). Median PSNR in the tooltips.")
    if gallery:
        try:
            pictures = room().pictures([g.picture for g in gallery])
        except RoomUnavailable:
            pictures = {}
        shown = [(pictures[g.picture], g.name) for g in gallery if g.picture in pictures]
        if shown:
            st.markdown(f"**Shared fills** ({len(shown)}, newest first)")
            st.image([p for p, _ in shown], caption=[n for _, n in shown], width=220,
                     alt=[f"A fill shared by {n}" for _, n in shown])


def guesses(tallies):
    st.subheader("Predict with the room")
    if not tallies:
        st.caption("No guesses yet. Switch on *Presenter mode* and *Predict, then reveal*: participants guess on "
                   "their own devices before you reveal.")
        return
    for tally in reversed(tallies[-3:]):  # the latest questions first
        verdict = ("not revealed yet" if tally.revealed is None
                   else f"the answer: {tally.revealed}, given by {tally.right} of {tally.answers}")
        st.markdown(f"**{tally.question}** · {tally.answers} guesses · {verdict}")
        rows, spec = guess_chart(tally)
        st.vega_lite_chart(pd.DataFrame(rows), spec, width="stretch")


def spot(rates):
    if not rates:
        return
    st.subheader("Spot the fill")
    rows, spec = spot_chart(rates, method_labels())
    st.vega_lite_chart(pd.DataFrame(rows), spec, width="stretch")
    st.caption("How often each fill was taken for the real photo, with 95 % Wilson intervals; rounds in the "
               "tooltips.")


@fragment(run_every=REFRESH_S)
def live_panels():
    """Every panel, read from the room at once and drawn again every two seconds (no page reload)."""
    try:
        snapshot = room().snapshot()
    except RoomUnavailable:
        st.warning("The room's data is unavailable right now (its store does not answer); the pages work as "
                   "before, and this page shows the room again as soon as it answers.", icon=":material/cloud_off:")
        return
    p = panels.room_panels(snapshot)
    mtime = EVAL_PATH.stat().st_mtime if EVAL_PATH.exists() else 0
    who_is_here(p.who)
    training(p.sweep, p.inpainters, mtime)
    fills(p.fills, p.n_fills, p.gallery)
    guesses(p.guesses)
    spot(p.spot)
    st.caption(f"Updated {time.strftime('%H:%M:%S')} · every {REFRESH_S:g} s")


def clear_room():
    try:
        room().clear()
        st.session_state["room_message"] = "The room is empty now."
    except RoomUnavailable:
        st.session_state["room_message"] = "The room's data is unavailable right now: nothing was cleared."
    st.session_state[CONFIRM] = False


def instructor_tools():
    st.sidebar.header("The room")
    try:
        data = room().export_csv()
    except RoomUnavailable:
        data = None
    if data is not None:
        st.sidebar.download_button("Download the room's numbers (CSV)", data, "patchlab-room.csv", mime="text/csv",
                                   icon=":material/download:", on_click="ignore", width="stretch")
    if st.sidebar.toggle("Clear the room…", key=CONFIRM):
        st.sidebar.button("Delete everything the room holds", type="primary", on_click=clear_room,
                          icon=":material/delete_forever:", width="stretch")
    message = st.session_state.pop("room_message", None)
    if message:
        st.sidebar.info(message)


def main():
    ensure_router()
    st.title("Room")
    if not let_in():
        st.info("This page is for the instructor. Open it with the instructor's link that `make run` or "
                "`make room` printed when the app started.")
        return
    st.markdown("What the whole room is doing, live: who is here and on which page, the trainings that finished, "
                "which fills won, and the room's guesses.")
    instructor_tools()
    live_panels()


main()
