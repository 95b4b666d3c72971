"""Spot the fill: two crops of the same place, one real and one filled; pick the real one."""

import secrets

import streamlit as st

from patchlab.i18n import _, ngettext
from patchlab.inpainting import sharp, spot, synthesis
from patchlab.inpainting.spot import CROP, METHODS, PHOTOS, VIEW, ZOOM, Score, play_round
from patchlab.ui import classroom
from patchlab.ui.code import show_code
from patchlab.ui.link import PageLink, arrive, publish, show_notice
from patchlab.ui.room import details, key_figure, presenter_toggle, share_bar
from patchlab.ui.router import ensure_router

GAME = "sp_game"  # this session's game: the seed every round is drawn from (None: draw one)
ROUND = "sp_round"  # the round shown, from 0
GUESS = "sp_guess"  # the side picked in this round; None until the player picks
SCORE = "sp_score"  # a spot.Score; None until the first guess
#: Reset starts a new game: another game number, round 1, nothing guessed, no score.
DEFAULTS = {GAME: None, ROUND: 0, GUESS: None, SCORE: None}
PICTURE_WIDTH = 860  # px: the pair and its buttons fit under the title on a 1080-px-high projector


def link_values(params):
    """A link's game (``?game=N``) as this page's state: that game from its first round."""
    fields, ignored = spot.read_link(params)
    if "game" not in fields:
        return {}, ignored
    return {GAME: fields["game"], ROUND: 0, GUESS: None, SCORE: None}, ignored


#: The one way in: a shared link, a storyboard scene and the presenter a participant follows all name a game.
LINK = PageLink("spot_the_fill", link_values, DEFAULTS, ("game",))


@st.cache_data(max_entries=32, show_spinner=False)  # ~1.4 MB a round
def _cached_round(game, index):
    return play_round(game, index)


def cached_round(game, index):
    """The round's two crops, computed once per server and shared by every player of the same game."""
    with st.spinner(_("Filling the hole (once per round for everybody)…")):  # in the player's language
        return _cached_round(game, index)


def record_guess(method, fooled):
    """Hand one guess to the room: the Room page tallies how often each method fooled the room.

    The one point where the game talks to the room. The room checks what it is
    sent (a method it does not know is refused) and may be unavailable; either
    way the game goes on, so the answer is not the page's business.
    """
    classroom.record("spot", {"method": method, "fooled": bool(fooled)})


def game_seed():
    """This session's game (a link's, else one drawn now), kept in the address so that the link shares it."""
    state = st.session_state
    if state.get(GAME) is None:
        state[GAME] = secrets.randbelow(spot.MAX_GAME + 1)
    publish(LINK, {"game": state[GAME]})
    return state[GAME]


def pick(side, round_):
    """The player's guess: scored once per round, and handed to the room."""
    state = st.session_state
    if state.get(GUESS) is not None:
        return
    state[GUESS] = side
    score = state.get(SCORE) or Score()
    fooled = score.record(round_, side)
    state[SCORE] = score
    record_guess(round_.method, fooled)


def next_round():
    st.session_state[ROUND] = st.session_state.get(ROUND, 0) + 1
    st.session_state[GUESS] = None


def show_round(round_, pictures, guess):
    # the picture fills a box narrow enough for the buttons to stay on a projector's screen, and the two
    # buttons split the same box, so each sits under its crop (on a phone the box is the screen's width)
    box = st.container(width=PICTURE_WIDTH)
    box.image(pictures.pair, width="stretch",
              alt=_("Two crops side by side, A and B, enlarged {zoom} times: one is the photo, the other a filled "
                    "copy").format(zoom=ZOOM))
    left, right = box.columns(2)
    for column, side in ((left, "A"), (right, "B")):
        column.button(_("{side} is the photo").format(side=side), key=f"sp_pick_{side.lower()}", type="primary", width="stretch",
                      disabled=guess is not None, on_click=pick, args=(side, round_))
    if guess is None:
        st.caption(_("Tap the one you think is the real photo (with your finger or the mouse)."))
        return
    fake = "B" if round_.real == "A" else "A"
    if guess == round_.real:
        st.success(_("Right: {real} is the photo. {fake} was filled by {method}.").format(
            real=round_.real, fake=fake, method=_(METHODS[round_.method])),
                   icon=":material/check_circle:")
    else:
        st.error(_("Fooled: {real} is the photo. {fake} was filled by {method}.").format(
            real=round_.real, fake=fake, method=_(METHODS[round_.method])),
                 icon=":material/visibility_off:")
    st.image(pictures.outline, width=min(CROP * ZOOM, 480),
             caption=_("{fake} again, with the hole outlined ({share} of the crop was filled)").format(
                 fake=fake, share=f"{pictures.hole_share:.0%}"),
             alt=_("The filled crop with the outline of the hole drawn in magenta"))
    st.button(_("Next round"), key="sp_next", icon=":material/arrow_forward:", on_click=next_round)


def show_score(score):
    if score is None or not score.played:
        return
    st.subheader(_("Your score"))
    key_figure(_("Real photo found"), _("{right} of {played}").format(right=score.right, played=score.played),
               help=_("Rounds where you picked the photo. Guessing alone finds it half the time."))
    rows = [{_("method"): _(METHODS[m]), _("rounds"): n, _("fooled you"): k, _("fooling rate"): f"{rate:.0%}",
             _("95 % interval"): f"{lo:.0%}–{hi:.0%}"} for m, n, k, rate, lo, hi in score.fooling_rates()]
    st.dataframe(rows, hide_index=True, width="stretch")
    st.caption(ngettext(
        "Your {played} round of this game; crops from the sample photos {photos}, which no model was trained on. "
        "A method that cannot be told from the photo fools people half the time; intervals: Wilson, 95 %.",
        "Your {played} rounds of this game; crops from the sample photos {photos}, which no model was trained on. "
        "A method that cannot be told from the photo fools people half the time; intervals: Wilson, 95 %.",
        score.played).format(played=score.played, photos=", ".join(PHOTOS)))


def main():
    ensure_router()
    arrive(LINK)
    presenter_toggle()
    st.title(_("Spot the fill"))
    st.markdown(_("Two crops of the same place in a photo. One is the photo; in the other, a hole was cut "
                  "and filled by one of the methods of the Inpainting page. **Which one is the photo?**"))
    show_notice(LINK)
    game = game_seed()
    share_bar(DEFAULTS)
    state = st.session_state
    index = state.setdefault(ROUND, 0)
    round_, pictures = cached_round(game, index)
    st.subheader(_("Round {number}").format(number=index + 1))
    show_round(round_, pictures, state.get(GUESS))
    show_score(state.get(SCORE))
    with details(_("How a round is made")):
        st.caption(_("Each round takes a {view}×{view} square of a sample photo at its own resolution, cuts a "
                     "square or brush-stroke hole where the photo has fine detail, fills it with one method drawn "
                     "at random (the sharp fill, the U-Net alone, OpenCV Telea or exemplar copying) and shows the "
                     "{crop}×{crop} square around the hole, enlarged {zoom} times pixel for pixel. Rounds are seeded "
                     "by the game number in the link (game {game}): whoever opens the link plays the same "
                     "rounds.").format(view=VIEW, crop=CROP, zoom=ZOOM, game=game))
    show_code(spot.draw_round, spot.round_pictures, Score, sharp.sharp_fill, synthesis.texture_transfer)


main()
