"""What a storyboard scene claims, checked against what its page computes.

A scene's talking point often states a fact about the screen ("a
checkerboard appears", "the patches disagree and fusion settles it"). The
scene carries that fact as claims a test can check::

    claims = ["checkerboard strength > 0.1"]

A claim is a *measure* of the page, an operator and a number. The measures
are computed here from the scene's settings with the same functions the page
calls, so a claim holds exactly when the page, opened on that scene, shows
it. :data:`MEASURES` lists each page's measures; :func:`parse_claim` checks a
claim's form (the storyboard does, when it is read) and :func:`measure`
computes a measure (a test does, for every scene of every storyboard).

Examples
--------
>>> parse_claim("checkerboard strength > 0.1", "upsampling")
Claim(measure='checkerboard strength', op='>', value=0.1)
>>> holds(Claim("patches", ">=", 4), 900)
True
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from typing import Mapping

__all__ = ["MEASURES", "Claim", "ClaimError", "parse_claim", "holds", "measure"]

#: Each page's measures: name -> what it counts (for messages and the docs).
MEASURES = {
    "patches": {
        "patches": "patches in the grid",
        "most patches on a pixel": "the largest coverage of any pixel",
        "fewest patches on a pixel": "the smallest coverage of any pixel",
    },
    "upsampling": {
        "checkerboard strength": "the kernel's checkerboard strength, (max − min) / max of its response to a "
                                 "constant image",
        "most stamps on a pixel": "the largest number of stamps overlapping an interior output pixel",
        "fewest stamps on a pixel": "the smallest number of stamps overlapping an interior output pixel",
    },
    "classification": {
        "patches": "patches the digit is cut into",
        "patch answers": "different digits the patches answer",
        "wrong patches": "patches whose own answer is not the true label",
        "fused answer right": "1 when the fused answer is the true label, else 0",
    },
}
_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "=": operator.eq,
        "==": operator.eq}
_FORM = re.compile(r"^\s*(?P<measure>[a-z][a-z ]*?)\s*(?P<op>>=|<=|==|=|>|<)\s*(?P<value>[-+]?[0-9]*\.?[0-9]+)\s*$")


class ClaimError(ValueError):
    """A claim that cannot be read: wrong form, or a measure the page does not have."""


@dataclass(frozen=True)
class Claim:
    """``measure op value``, e.g. ``checkerboard strength > 0.1``."""

    measure: str
    op: str
    value: float

    def __str__(self):
        return f"{self.measure} {self.op} {self.value:g}"


def parse_claim(text: str, page: str) -> Claim:
    """Read one claim of a scene on ``page``.

    Raises
    ------
    ClaimError
        When ``text`` is not ``<measure> <op> <number>`` or the page has no such measure.
    """
    if not isinstance(text, str):
        raise ClaimError(f"a claim must be text like 'patches > 100', not {type(text).__name__}")
    match = _FORM.match(text)
    if not match:
        raise ClaimError(f"{text!r} is not a claim like 'patches > 100' (a measure, one of > >= < <= =, a number)")
    measures = MEASURES.get(page)
    if not measures:
        raise ClaimError(f"the page {page!r} has no measures to claim anything about")
    name = match["measure"].strip()
    if name not in measures:
        raise ClaimError(f"{page} has no measure {name!r} (it has: {', '.join(measures)})")
    return Claim(name, match["op"], float(match["value"]))


def holds(claim: Claim, value: float) -> bool:
    """Whether a measured ``value`` satisfies ``claim``."""
    return bool(_OPS[claim.op](value, claim.value))


def measure(page: str, settings: Mapping, names) -> dict:
    """The measures ``names`` of ``page`` opened with a scene's ``settings`` (its link's parameters).

    The settings are read by the page's own link reader, so a setting the
    page would ignore is ignored here too; a scene's settings should all be
    usable (its test checks that).

    Returns
    -------
    dict
        measure name -> value.
    """
    params = {k: (list(v) if isinstance(v, (list, tuple)) else [str(v)]) for k, v in settings.items()}
    return {"patches": _patches, "upsampling": _upsampling, "classification": _classification}[page](
        params, set(names))


def _patches(params, names):
    from patchlab import patches as engine
    from patchlab.images import SAMPLES, load_sample
    from patchlab.patches.demo import MAX_SIDE, Settings, clamp_settings, grid_size, read_link

    fields, _ = read_link(params, SAMPLES)
    settings = Settings(**fields)
    shape = load_sample(settings.image, max_side=MAX_SIDE).shape
    square = settings.patch[0] == settings.patch[1] and settings.stride[0] == settings.stride[1]
    settings, _ = clamp_settings(settings, shape, square=square)
    nh, nw = grid_size(settings, shape)
    cover = engine.coverage(shape[:2], settings.patch, settings.stride, edge=settings.edge)
    values = {"patches": nh * nw, "most patches on a pixel": int(cover.max()),
              "fewest patches on a pixel": int(cover.min())}
    return {k: values[k] for k in names}


def _upsampling(params, names):
    from patchlab.images import sample_names
    from patchlab.upsampling.demo import COUNT_SIDE, QUERY_NAMES, Settings, read_link, widget_defaults
    from patchlab.upsampling.kernels import kernel_checkerboard_strength, make_kernel
    from patchlab.upsampling.stamps import interior, overlap_count

    values, _ = read_link(params, sample_names())
    state, q = {**widget_defaults(), **values}, QUERY_NAMES
    settings = Settings(factor=state[q["factor"]], init=state[q["init"]],
                        custom_size=None if state[q["use_recommended"]] else state[q["custom_size"]])
    size, factor = settings.size, settings.factor
    inner = interior(overlap_count((COUNT_SIDE, COUNT_SIDE), size, factor), size + factor)
    found = {"checkerboard strength": kernel_checkerboard_strength(make_kernel(settings.init, factor, size), factor),
             "most stamps on a pixel": int(inner.max()), "fewest stamps on a pixel": int(inner.min())}
    return {k: found[k] for k in names}


def _classification(params, names):
    from patchlab.classification.data import gallery_digits
    from patchlab.classification.demo import QUERY_KEYS, Settings, analyse_digit, read_link

    gallery = gallery_digits()
    values, _ = read_link(params, len(gallery[0]))
    settings = Settings(**{QUERY_KEYS[k]: v for k, v in values.items()})
    view = analyse_digit(settings, gallery=gallery)
    if view.prediction is None:
        raise ClaimError(view.error or view.input.hint or "the scene shows no prediction")
    pred, truth = view.prediction, view.input.truth
    labels = [int(v) for v in pred.patch_labels]
    found = {"patches": len(labels), "patch answers": len(set(labels)),
             "wrong patches": sum(v != truth for v in labels) if truth is not None else 0,
             "fused answer right": int(truth is not None and pred.label == truth)}
    return {k: found[k] for k in names}
