"""What the Room page's panels show, computed from one :class:`~patchlab.room.store.RoomSnapshot`.

Pure functions, no Streamlit: the page reads a snapshot every ~2 s, calls
:func:`room_panels`, and draws what comes back. Each summary carries the
number of cases it rests on, so the page can say it ("median of 7 runs").

- :func:`who_is_here`: participants now and since the start, and the page of each;
- :func:`classifier_sweep`: the room's *Train a classifier* runs as points
  (patch size, fused test accuracy, rule, budget) and the median per patch size;
- :func:`inpainter_runs`: the room's *Train an inpainter* runs (domain, gains);
- :func:`fill_wins`: "which method won in this room": per method, the fills it
  won (highest masked PSNR among the methods that fill ran), and its median;
- :func:`gallery`: the shared fills, newest first, capped;
- :func:`guess_tallies`: each question's answers counted, beside the revealed answer;
- :func:`spot_rates`: *Spot the fill*: how often each method fooled the room,
  with a 95 % Wilson interval and the number of rounds.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from patchlab.i18n import N_, _
from patchlab.room.store import PRESENT_S, Participant, RoomSnapshot

__all__ = ["Presence", "WhoIsHere", "who_is_here", "SweepPoint", "Sweep", "classifier_sweep", "inpainter_runs",
           "MethodWins", "fill_wins", "GalleryItem", "gallery", "GuessTally", "guess_tallies", "SpotRate",
           "spot_rates", "wilson_interval", "RoomPanels", "room_panels", "GALLERY_SIZE", "LEFT"]

#: Pictures the gallery shows.
GALLERY_SIZE = 12
#: How a participant who left (but whose result is still being read) is named.
LEFT = N_("someone who left")


def _names(snapshot: RoomSnapshot) -> dict[str, str]:
    return {p.pid: p.display_name for p in snapshot.participants}


# ---------------------------------------------------------------- who is here


@dataclass(frozen=True)
class Presence:
    name: str
    number: int
    page: str | None
    here: bool  # seen in the last PRESENT_S seconds
    seen_s_ago: float | None


@dataclass(frozen=True)
class WhoIsHere:
    now: int  # here now
    since_start: int  # everyone in the room
    pages: dict  # page -> participants here now on it, most first
    people: tuple  # of Presence: here now first, then by number


def who_is_here(snapshot: RoomSnapshot, within: float = PRESENT_S) -> WhoIsHere:
    """Who is here now (seen within ``within`` s), who was since the start, and on which page.

    Examples
    --------
    >>> from patchlab.room.local import LocalRoom
    >>> room = LocalRoom()
    >>> room.seen("ana", "inpainting", now=100.0); room.seen("bo", "train", now=10.0)
    >>> w = who_is_here(room.snapshot(now=105.0))
    >>> w.now, w.since_start, w.pages
    (1, 2, {'inpainting': 1})
    """
    def presence(p: Participant) -> Presence:
        ago = None if p.last_seen is None else max(0.0, snapshot.now - p.last_seen)
        return Presence(p.display_name, p.number, p.page, p.present(snapshot.now, within), ago)

    people = sorted((presence(p) for p in snapshot.participants), key=lambda x: (not x.here, x.number))
    here = [p for p in people if p.here]
    pages = Counter(p.page for p in here if p.page)
    return WhoIsHere(len(here), len(people), dict(pages.most_common()), tuple(people))


# ---------------------------------------------------------------- the room's training


class SweepPoint(NamedTuple):  # a named tuple: a room makes thousands at every refresh
    patch_size: int
    accuracy: float  # fused test accuracy with ``rule``
    rule: str
    budget_s: float
    steps: int
    n_test: int  # test digits it was scored on
    name: str


@dataclass(frozen=True)
class Sweep:
    points: tuple  # of SweepPoint, in order of arrival
    medians: dict  # patch size -> (median accuracy, runs), by patch size
    participants: int  # how many trained


def classifier_sweep(snapshot: RoomSnapshot) -> Sweep:
    """Every finished *Train a classifier* run as a point, and the median accuracy per patch size.

    Examples
    --------
    >>> from patchlab.room.local import LocalRoom
    >>> room = LocalRoom()
    >>> run = {"rule": "mean", "budget_s": 30, "steps": 200, "per_patch": [0.8] * 4, "n_test": 500}
    >>> for pid, acc in (("a", 0.90), ("b", 0.94), ("c", 0.95)):
    ...     _ = room.record(pid, "classifier_run", {**run, "patch_size": 18, "accuracy": acc}, now=1.0)
    >>> classifier_sweep(room.snapshot(now=2.0)).medians
    {18: (0.94, 3)}
    """
    names = _names(snapshot)
    points = tuple(SweepPoint(e.data["patch_size"], e.data["accuracy"], e.data["rule"], e.data["budget_s"],
                              e.data["steps"], e.data["n_test"], names.get(e.pid, _(LEFT)))
                   for e in snapshot.events if e.kind == "classifier_run")
    by_size = defaultdict(list)
    for p in points:
        by_size[p.patch_size].append(p.accuracy)
    medians = {size: (statistics.median(v), len(v)) for size, v in sorted(by_size.items())}
    who = {e.pid for e in snapshot.events if e.kind == "classifier_run"}
    return Sweep(points, medians, len(who))


def inpainter_runs(snapshot: RoomSnapshot) -> list[dict]:
    """Every *Train an inpainter* run, newest first: who, domain, arch, budget and the four gains (dB).

    Each row: ``name``, ``domain``, ``arch``, ``budget_s``, ``gain_domain_db``
    and ``gain_standard_db`` (``{"square": dB, "brush": dB}``), and the view
    counts when the run gave them.
    """
    names = _names(snapshot)
    rows = [{"name": names.get(e.pid, _(LEFT)), **e.data} for e in snapshot.events if e.kind == "inpainter_run"]
    return rows[::-1]


# ---------------------------------------------------------------- the room's fills


@dataclass(frozen=True)
class MethodWins:
    method: str
    wins: int  # fills where it had the highest masked PSNR of the methods run
    fills: int  # fills it took part in
    median_psnr: float  # dB, over those fills


def fill_wins(snapshot: RoomSnapshot) -> tuple[list[MethodWins], int]:
    """"Which method won in this room": per method, its wins and median masked PSNR; and the number of fills.

    A method wins a fill when its masked PSNR is the highest of the
    methods that fill ran (a tie is a win for each). Methods come most
    wins first, then highest median.

    Examples
    --------
    >>> from patchlab.room.local import LocalRoom
    >>> room = LocalRoom()
    >>> fill = {"masked_fraction": 0.05, "photo": "sample"}
    >>> _ = room.record("a", "fill", {**fill, "psnr": {"unet": 30.0, "telea": 28.0}}, now=1.0)
    >>> _ = room.record("b", "fill", {**fill, "psnr": {"unet": 25.0, "telea": 27.0, "ns": 26.0}}, now=2.0)
    >>> rows, n = fill_wins(room.snapshot(now=3.0))
    >>> n, [(r.method, r.wins, r.fills, r.median_psnr) for r in rows]
    (2, [('telea', 1, 2, 27.5), ('unet', 1, 2, 27.5), ('ns', 0, 1, 26.0)])
    """
    wins: Counter = Counter()
    psnr = defaultdict(list)
    fills = [e.data["psnr"] for e in snapshot.events if e.kind == "fill"]
    for scores in fills:
        best = max(scores.values())
        for method, value in scores.items():
            psnr[method].append(value)
            wins[method] += value == best
    rows = [MethodWins(m, wins[m], len(v), statistics.median(v)) for m, v in psnr.items()]
    rows.sort(key=lambda r: (-r.wins, -r.median_psnr, r.method))
    return rows, len(fills)


@dataclass(frozen=True)
class GalleryItem:
    picture: str  # the id for RoomStore.pictures
    name: str
    method: str | None
    width: int
    height: int
    t: float


def gallery(snapshot: RoomSnapshot, limit: int = GALLERY_SIZE) -> list[GalleryItem]:
    """The shared fills, newest first, at most ``limit`` (fetch their bytes with ``RoomStore.pictures``)."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise ValueError(f"limit must be an int >= 0, got {limit!r}")
    names = _names(snapshot)
    shares = [e for e in snapshot.events if e.kind == "share"][::-1][:limit]
    return [GalleryItem(e.data["picture"], names.get(e.pid, _(LEFT)), e.data.get("method"), e.data["width"],
                        e.data["height"], e.t) for e in shares]


# ---------------------------------------------------------------- predict with the room


@dataclass(frozen=True)
class GuessTally:
    question: str
    counts: tuple  # of (answer, participants), most first
    answers: int  # participants who answered
    revealed: str | None  # the true answer once revealed
    right: int | None  # participants who gave it (None before the reveal)


def guess_tallies(snapshot: RoomSnapshot) -> list[GuessTally]:
    """Each question's answers counted (case and surrounding spaces ignored), beside the revealed answer."""
    out = []
    for question in sorted(snapshot.guesses):
        answers = snapshot.guesses[question]
        shown: dict[str, str] = {}
        counts: Counter = Counter()
        for answer in answers.values():
            key = answer.strip().casefold()
            shown.setdefault(key, answer.strip())
            counts[key] += 1
        truth = snapshot.revealed.get(question)
        right = None if truth is None else counts.get(truth.strip().casefold(), 0)
        tally = tuple((shown[k], n) for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        out.append(GuessTally(question, tally, len(answers), truth, right))
    return out


# ---------------------------------------------------------------- spot the fill


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``k / n`` (95 % for ``z = 1.96``); (0, 1) when ``n = 0``.

    Examples
    --------
    >>> [round(x, 3) for x in wilson_interval(5, 10)]
    [0.237, 0.763]
    """
    if n <= 0:
        return 0.0, 1.0
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class SpotRate:
    method: str
    fooled: int
    rounds: int
    rate: float
    low: float  # 95 % Wilson interval
    high: float


def spot_rates(snapshot: RoomSnapshot) -> list[SpotRate]:
    """*Spot the fill*: per method, the share of rounds where the room took its fill for the real photo."""
    fooled: Counter = Counter()
    rounds: Counter = Counter()
    for e in snapshot.events:
        if e.kind == "spot":
            rounds[e.data["method"]] += 1
            fooled[e.data["method"]] += e.data["fooled"]
    rows = [SpotRate(m, fooled[m], n, fooled[m] / n, *wilson_interval(fooled[m], n)) for m, n in rounds.items()]
    return sorted(rows, key=lambda r: (-r.rate, r.method))


# ---------------------------------------------------------------- all at once


@dataclass(frozen=True)
class RoomPanels:
    who: WhoIsHere
    sweep: Sweep
    inpainters: list
    fills: list  # of MethodWins
    n_fills: int
    gallery: list  # of GalleryItem
    guesses: list  # of GuessTally
    spot: list  # of SpotRate
    scene: object  # the presenter's Scene or None


def room_panels(snapshot: RoomSnapshot, gallery_size: int = GALLERY_SIZE) -> RoomPanels:
    """Every panel of the Room page from one snapshot."""
    fills, n_fills = fill_wins(snapshot)
    return RoomPanels(who_is_here(snapshot), classifier_sweep(snapshot), inpainter_runs(snapshot), fills, n_fills,
                      gallery(snapshot, gallery_size), guess_tallies(snapshot), spot_rates(snapshot), snapshot.scene)
