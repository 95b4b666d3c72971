"""What a participant can send the room, and the checks every write goes through.

Each kind of event has its fields, their types and their ranges; anything
else is refused with a sentence (:class:`RoomRefused`), never stored "as far
as it goes". The checks return the event's data as the room keeps it: plain
Python numbers, strings and lists (JSON as it is), the text cleaned, numbers
rounded well below what a page shows (accuracies and fractions to 6
decimals, dB to 4, seconds to 3): a full room parses faster, nothing seen
changes.

==================  =========================================================================
kind                fields
==================  =========================================================================
``classifier_run``  ``patch_size`` int 8..28, ``rule`` (a fusion rule), ``budget_s`` (0, 3600],
                    ``steps`` int ≥ 0, ``accuracy`` (fused test accuracy) 0..1,
                    ``per_patch`` 1..16 accuracies 0..1, ``n_test`` (test digits) int ≥ 1
``inpainter_run``   ``domain`` text ≤ 40, ``arch`` ``unet`` | ``seed``, ``budget_s`` (0, 7200],
                    ``gain_domain_db`` and ``gain_standard_db``: ``{"square": dB, "brush": dB}``
                    each within ±60 dB; optional ``domain_views``, ``standard_views`` int ≥ 1
``fill``            ``psnr``: ``{method: masked PSNR dB}`` (1..12 known methods, each 0..100),
                    ``masked_fraction`` (0, 1], ``photo`` ``sample`` | ``upload`` (never the photo)
``share``           ``picture`` (PNG or JPEG bytes, see :mod:`patchlab.room.picture`), optional
                    ``method`` (a known method)
``guess``           ``question`` id ≤ 80 characters ``[A-Za-z0-9_.:/=-]``, ``answer`` text ≤ 40
``spot``            ``method`` (a known method), ``fooled`` bool
==================  =========================================================================

The known methods are the Inpainting page's: ``unet`` and
:data:`patchlab.inpainting.demo.METHODS` (:func:`method_keys`).
"""

from __future__ import annotations

import math
import numbers
import re
from functools import lru_cache

from patchlab.room.text import ANSWER_MAX, DOMAIN_MAX, clean_text

__all__ = ["RoomRefused", "KINDS", "ARCHS", "FAMILIES", "PHOTO_KINDS", "QUESTION_MAX", "method_keys", "rules",
           "check_event", "check_question", "check_answer"]


class RoomRefused(ValueError):
    """A write the room does not take; the message is a sentence for the participant."""


KINDS = ("classifier_run", "inpainter_run", "fill", "share", "guess", "spot")
#: What *Train an inpainter* can train (``patchlab.inpainting.live.ARCHS``; a test keeps them equal).
ARCHS = ("unet", "seed")
#: The mask families an inpainter run reports a gain for.
FAMILIES = ("square", "brush")
PHOTO_KINDS = ("sample", "upload")
QUESTION_MAX = 80
_QUESTION = re.compile(r"[A-Za-z0-9_.:/=-]{1,%d}" % QUESTION_MAX)
PATCH_MIN, PATCH_MAX = 8, 28
MAX_GAIN_DB = 60.0
MAX_PSNR_DB = 100.0


@lru_cache(maxsize=1)
def method_keys() -> tuple[str, ...]:
    """The fill methods a result may name: ``unet`` and the Inpainting page's other methods."""
    from patchlab.inpainting.demo import METHODS

    return ("unet", *METHODS)


@lru_cache(maxsize=1)
def rules() -> tuple[str, ...]:
    """The fusion rules (``patchlab.classification.fusion.RULES``)."""
    from patchlab.classification.fusion import RULES

    return tuple(RULES)


# ---------------------------------------------------------------- field checks


def _number(data: dict, field: str, low: float, high: float, *, low_open: bool = False) -> float:
    value = data.get(field)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise RoomRefused(f"'{field}' must be a finite number, not {_show(value)}.")
    value = float(value)
    if value < low or value > high or (low_open and value == low):
        raise RoomRefused(f"'{field}' must be {'above' if low_open else 'at least'} {low:g} and at most "
                          f"{high:g}; {value:g} is out of range.")
    return value


def _integer(data: dict, field: str, low: int, high: int) -> int:
    value = data.get(field)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise RoomRefused(f"'{field}' must be a whole number, not {_show(value)}.")
    value = int(value)
    if not low <= value <= high:
        raise RoomRefused(f"'{field}' must be between {low} and {high}; {value} is out of range.")
    return value


def _choice(data: dict, field: str, choices: tuple) -> str:
    value = data.get(field)
    if not isinstance(value, str) or value not in choices:
        raise RoomRefused(f"'{field}' must be one of {', '.join(choices)}, not {_show(value)}.")
    return value


def _fields(kind: str, data, required: tuple, optional: tuple = ()) -> dict:
    if not isinstance(data, dict):
        raise RoomRefused(f"A {kind} must come as named fields, not {type(data).__name__}.")
    extra = sorted(str(k) for k in data if k not in required + optional)
    if extra:
        raise RoomRefused(f"A {kind} has no field {', '.join(repr(e) for e in extra[:3])}; its fields are "
                          f"{', '.join(required + optional)}.")
    missing = [f for f in required if f not in data]
    if missing:
        raise RoomRefused(f"A {kind} needs the field(s) {', '.join(missing)}.")
    return data


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 30 else text[:27] + "..."


def _gains(data: dict, field: str) -> dict:
    value = data.get(field)
    if not isinstance(value, dict) or set(value) != set(FAMILIES):
        raise RoomRefused(f"'{field}' must give a gain in dB for each of {', '.join(FAMILIES)}.")
    return {f: round(_number(value, f, -MAX_GAIN_DB, MAX_GAIN_DB), 4) for f in FAMILIES}


# ---------------------------------------------------------------- each kind


def _classifier_run(data) -> dict:
    _fields("classifier_run", data, ("patch_size", "rule", "budget_s", "steps", "accuracy", "per_patch", "n_test"))
    per_patch = data["per_patch"]
    if not isinstance(per_patch, (list, tuple)) or not 1 <= len(per_patch) <= 16:
        raise RoomRefused("'per_patch' must be a list of 1 to 16 accuracies (one per patch).")
    return {
        "patch_size": _integer(data, "patch_size", PATCH_MIN, PATCH_MAX),
        "rule": _choice(data, "rule", rules()),
        "budget_s": round(_number(data, "budget_s", 0, 3600, low_open=True), 3),
        "steps": _integer(data, "steps", 0, 10_000_000),
        "accuracy": round(_number(data, "accuracy", 0, 1), 6),
        "per_patch": [round(_number({"per_patch": a}, "per_patch", 0, 1), 6) for a in per_patch],
        "n_test": _integer(data, "n_test", 1, 10_000_000),
    }


def _inpainter_run(data) -> dict:
    _fields("inpainter_run", data, ("domain", "arch", "budget_s", "gain_domain_db", "gain_standard_db"),
            ("domain_views", "standard_views"))
    try:
        domain = clean_text(data["domain"], "domain name", DOMAIN_MAX)
    except ValueError as exc:
        raise RoomRefused(str(exc)) from None
    out = {
        "domain": domain,
        "arch": _choice(data, "arch", ARCHS),
        "budget_s": round(_number(data, "budget_s", 0, 7200, low_open=True), 3),
        "gain_domain_db": _gains(data, "gain_domain_db"),
        "gain_standard_db": _gains(data, "gain_standard_db"),
    }
    for field in ("domain_views", "standard_views"):
        if field in data:
            out[field] = _integer(data, field, 1, 100_000)
    return out


def _fill(data) -> dict:
    _fields("fill", data, ("psnr", "masked_fraction", "photo"))
    psnr = data["psnr"]
    known = method_keys()
    if not isinstance(psnr, dict) or not 1 <= len(psnr) <= 12:
        raise RoomRefused("'psnr' must give each method's masked PSNR (1 to 12 methods).")
    unknown = [k for k in psnr if k not in known]
    if unknown:
        raise RoomRefused(f"'psnr' names an unknown method {_show(unknown[0])}; known: {', '.join(known)}.")
    return {
        "psnr": {k: round(_number(psnr, k, 0, MAX_PSNR_DB), 4) for k in psnr},
        "masked_fraction": round(_number(data, "masked_fraction", 0, 1, low_open=True), 6),
        "photo": _choice(data, "photo", PHOTO_KINDS),
    }


def _share(data) -> dict:
    from patchlab.room.picture import check_picture

    _fields("share", data, ("picture",), ("method",))
    try:
        picture, info = check_picture(data["picture"])
    except ValueError as exc:
        raise RoomRefused(str(exc)) from None
    out = {**info, "picture": picture}
    if "method" in data:
        out["method"] = _choice(data, "method", method_keys())
    return out


def check_question(question) -> str:
    """A question id (``[A-Za-z0-9_.:/=-]``, at most 80 characters), or :class:`RoomRefused`."""
    if not isinstance(question, str) or not _QUESTION.fullmatch(question):
        raise RoomRefused(f"A question id is 1 to {QUESTION_MAX} letters, digits or _ . : / = -, "
                          f"not {_show(question)}.")
    return question


def check_answer(answer) -> str:
    """A guess: plain text, at most 40 characters once cleaned, or :class:`RoomRefused`."""
    if isinstance(answer, (int, float)) and not isinstance(answer, bool) and math.isfinite(answer):
        answer = f"{answer:g}"
    try:
        return clean_text(answer, "answer", ANSWER_MAX)
    except ValueError as exc:
        raise RoomRefused(str(exc)) from None


def _guess(data) -> dict:
    _fields("guess", data, ("question", "answer"))
    return {"question": check_question(data["question"]), "answer": check_answer(data["answer"])}


def _spot(data) -> dict:
    _fields("spot", data, ("method", "fooled"))
    if not isinstance(data["fooled"], bool):
        raise RoomRefused(f"'fooled' must be true or false, not {_show(data['fooled'])}.")
    return {"method": _choice(data, "method", method_keys()), "fooled": data["fooled"]}


_CHECKS = {"classifier_run": _classifier_run, "inpainter_run": _inpainter_run, "fill": _fill, "share": _share,
           "guess": _guess, "spot": _spot}


def check_event(kind, data) -> dict:
    """Check one event; return its data as the room keeps it.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    data : dict
        The event's fields (see the module's table).

    Returns
    -------
    dict
        The fields, cleaned: plain floats and ints, cleaned text; for a
        ``share``, the picture encoded again (``picture``) with its
        ``format``, ``width``, ``height`` and ``bytes``.

    Raises
    ------
    RoomRefused
        An unknown kind, a missing or extra field, a wrong type, a number
        out of range, a text too long, a picture that is not one.

    Examples
    --------
    >>> check_event("spot", {"method": "telea", "fooled": True})
    {'method': 'telea', 'fooled': True}
    >>> check_event("spot", {"method": "telea", "fooled": 1})
    Traceback (most recent call last):
    ...
    patchlab.room.events.RoomRefused: 'fooled' must be true or false, not 1.
    """
    if kind not in _CHECKS:
        raise RoomRefused(f"The room takes no event of kind {_show(kind)}; it takes {', '.join(KINDS)}.")
    return _CHECKS[kind](data)
