"""Where a shipped classifier fails: its answers on MNIST's official test set, the confusion matrix, the misread digits.

``python -m patchlab.classification.evaluate`` runs every shipped model once
over the 10,000 official test digits and saves what each patch and each
fusion rule answered in ``models/classification_test_answers.npz`` (small:
labels and confidences as uint8). The page reads that file, which takes
milliseconds, and needs neither TensorFlow nor the models:

>>> answers = read_test_answers(18)                      # doctest: +SKIP
>>> confusion_matrix(answers, "mean")[7, 2]              # sevens read as twos  # doctest: +SKIP
>>> misread = misread_digits(answers, "mean")            # doctest: +SKIP
>>> misread[0].index, misread[0].patch_labels            # doctest: +SKIP

A misread digit's ``index`` is its number in MNIST's test set, which is also
its number in the page's gallery (:func:`patchlab.classification.data.gallery_digits`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from patchlab import MODELS_DIR
from patchlab.classification.fusion import RULES, fuse, fused_label
from patchlab.i18n import _

__all__ = ["ANSWERS_PATH", "Answers", "Misread", "answers_from_probabilities", "write_test_answers", "read_test_answers",
           "confusion_matrix", "misread_digits", "confusion_rows", "confusion_spec", "misread_caption"]

ANSWERS_PATH = MODELS_DIR / "classification_test_answers.npz"


@dataclass(frozen=True)
class Answers:
    """What one classifier answered for every test digit.

    patch_size : int
    labels : ndarray of uint8, shape (N,) -- the true digits
    patch_labels : ndarray of uint8, shape (N, n_patches) -- each patch's answer
    patch_confidence : ndarray of uint8, shape (N, n_patches) -- its probability, percent
    fused_labels : ndarray of uint8, shape (len(RULES), N) -- each rule's answer, rules in :data:`RULES` order
    fused_confidence : ndarray of uint8, shape (len(RULES), N) -- its fused probability, percent
    """

    patch_size: int
    labels: np.ndarray
    patch_labels: np.ndarray
    patch_confidence: np.ndarray
    fused_labels: np.ndarray
    fused_confidence: np.ndarray

    def fused(self, rule: str) -> np.ndarray:
        """The answers of fusion rule ``rule``, shape (N,)."""
        return self.fused_labels[_rule_index(rule)]


@dataclass(frozen=True)
class Misread:
    """One test digit the fused classifier gets wrong.

    index : its number in MNIST's test set (and in the page's gallery)
    truth, answer : the true digit and the fused answer
    confidence : the fused answer's probability, percent
    patch_labels, patch_confidence : each patch's answer and its probability (percent), reading order
    """

    index: int
    truth: int
    answer: int
    confidence: int
    patch_labels: tuple
    patch_confidence: tuple

    @property
    def patches_right(self) -> int:
        """How many patches answered the true digit."""
        return sum(label == self.truth for label in self.patch_labels)


def _rule_index(rule: str) -> int:
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    return RULES.index(rule)


def _percent(p: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(100 * np.asarray(p, np.float64)), 0, 100).astype(np.uint8)


def answers_from_probabilities(probs: np.ndarray, labels: np.ndarray, patch_size: int) -> Answers:
    """Condense every patch's probabilities into the answers the page shows.

    Parameters
    ----------
    probs : ndarray, shape (N, n_patches, 10)
        Every patch's probabilities (:func:`~patchlab.classification.accuracy.batch_patch_probabilities`).
    labels : ndarray, shape (N,)
        The true digits.
    patch_size : int

    Returns
    -------
    Answers

    Examples
    --------
    >>> probs = np.full((1, 4, 10), 0.01); probs[0, :, 3] = 0.91
    >>> answers_from_probabilities(probs, np.array([3]), 18).fused("mean")
    array([3], dtype=uint8)
    """
    probs, labels = np.asarray(probs), np.asarray(labels)
    if probs.ndim != 3 or probs.shape[-1] != 10:
        raise ValueError(f"probs must have shape (N, n_patches, 10), got {probs.shape}")
    if labels.shape != (len(probs),):
        raise ValueError(f"labels must have shape ({len(probs)},), got {labels.shape}")
    fused = [fused_label(probs, rule) for rule in RULES]
    confidence = [np.take_along_axis(fuse(probs, rule), answer[:, None], -1)[:, 0] for rule, answer in
                  zip(RULES, fused)]
    return Answers(
        patch_size=int(patch_size),
        labels=labels.astype(np.uint8),
        patch_labels=probs.argmax(-1).astype(np.uint8),
        patch_confidence=_percent(probs.max(-1)),
        fused_labels=np.stack(fused).astype(np.uint8),
        fused_confidence=_percent(np.stack(confidence)),
    )


def write_test_answers(answers: list[Answers], path: Path | str = ANSWERS_PATH,
                       sources: dict | None = None) -> Path:
    """Save the answers of several classifiers in one compressed file (arrays ``p{P}_...``).

    ``sources``: optional ``{patch_size: text}`` saved beside (e.g. the model file's SHA-256).
    """
    from patchlab.runtime import write_atomically

    arrays = {"rules": np.asarray(RULES)}
    for a in answers:
        key = f"p{a.patch_size}"
        arrays.update({f"{key}_labels": a.labels, f"{key}_patch_labels": a.patch_labels,
                       f"{key}_patch_confidence": a.patch_confidence, f"{key}_fused_labels": a.fused_labels,
                       f"{key}_fused_confidence": a.fused_confidence})
        if sources and a.patch_size in sources:
            arrays[f"{key}_source"] = np.asarray(str(sources[a.patch_size]))
    path = Path(path)
    partial = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(partial, **arrays)
    write_atomically(path, partial.read_bytes())
    partial.unlink()
    _read_all.cache_clear()
    return path


@lru_cache(maxsize=4)
def _read_all(path: str, mtime: float) -> dict:
    with np.load(path) as f:
        return {name: f[name] for name in f.files}


def read_test_answers(patch_size: int, path: Path | str = ANSWERS_PATH) -> Answers | None:
    """The saved answers of the shipped classifier for ``patch_size``; None if not evaluated (or unreadable).

    Read once per file version (cached by modification time): milliseconds.
    """
    path = Path(path)
    try:
        arrays = _read_all(str(path), path.stat().st_mtime)
    except (OSError, ValueError, EOFError):
        return None
    key = f"p{int(patch_size)}"
    if f"{key}_labels" not in arrays or tuple(str(r) for r in arrays["rules"]) != tuple(RULES):
        return None
    return Answers(int(patch_size), arrays[f"{key}_labels"], arrays[f"{key}_patch_labels"],
                       arrays[f"{key}_patch_confidence"], arrays[f"{key}_fused_labels"],
                       arrays[f"{key}_fused_confidence"])


def confusion_matrix(answers: Answers, rule: str = "mean") -> np.ndarray:
    """Counts of (true digit, fused answer) over the test set.

    Returns
    -------
    ndarray of int64, shape (10, 10)
        Row = the true digit, column = what rule ``rule`` answered; the
        diagonal holds the digits read right, and the whole sums to N.

    Examples
    --------
    >>> probs = np.full((2, 4, 10), 0.01); probs[0, :, 3] = 0.91; probs[1, :, 5] = 0.91
    >>> int(confusion_matrix(answers_from_probabilities(probs, np.array([3, 8]), 18))[8, 5])
    1
    """
    return np.bincount(answers.labels.astype(np.int64) * 10 + answers.fused(rule), minlength=100).reshape(10, 10)


def misread_digits(answers: Answers, rule: str = "mean", order: str = "index") -> list[Misread]:
    """The test digits the fused classifier (rule ``rule``) gets wrong, with each patch's answer.

    Parameters
    ----------
    answers : Answers
    rule : one of :data:`~patchlab.classification.fusion.RULES`
    order : ``"index"`` (test-set order) or ``"confidence"`` (most confidently wrong first)

    Returns
    -------
    list of Misread
    """
    if order not in ("index", "confidence"):
        raise ValueError(f"order must be 'index' or 'confidence', got {order!r}")
    r = _rule_index(rule)
    wrong = np.flatnonzero(answers.fused_labels[r] != answers.labels)
    if order == "confidence":
        wrong = wrong[np.argsort(-answers.fused_confidence[r][wrong].astype(int), kind="stable")]
    return [Misread(int(i), int(answers.labels[i]), int(answers.fused_labels[r, i]),
                    int(answers.fused_confidence[r, i]), tuple(int(v) for v in answers.patch_labels[i]),
                    tuple(int(v) for v in answers.patch_confidence[i])) for i in wrong]


def confusion_rows(matrix: np.ndarray) -> list[dict]:
    """The confusion matrix as chart rows ``{"true digit", "answer", "digits", "right"}``, one per cell."""
    matrix = np.asarray(matrix)
    if matrix.shape != (10, 10):
        raise ValueError(f"matrix must have shape (10, 10), got {matrix.shape}")
    return [{"true digit": t, "answer": a, "digits": int(matrix[t, a]), "right": t == a}
            for t in range(10) for a in range(10)]


def confusion_spec(title: str) -> dict:
    """A Vega-Lite heat map for :func:`confusion_rows`: counts written in the cells, large enough for a projector."""
    axis = {"labelFontSize": 16, "titleFontSize": 16, "labelAngle": 0}
    return {
        "title": {"text": title, "fontSize": 18}, "width": "container", "height": 420,
        "encoding": {"x": {"field": "answer", "type": "ordinal", "title": _("the classifier's answer"), "axis": axis},
                     "y": {"field": "true digit", "type": "ordinal", "title": _("true digit"), "axis": axis}},
        "layer": [
            {"mark": "rect",
             "encoding": {"color": {"condition": {"test": "datum.right", "value": "#e8e8e8"},
                                    "field": "digits", "type": "quantitative", "scale": {"type": "symlog",
                                                                                          "scheme": "oranges"},
                                    "title": _("digits")}}},
            {"mark": {"type": "text", "fontSize": 14},
             "encoding": {"text": {"field": "digits", "type": "quantitative"},
                          "color": {"value": "black"}}},
        ],
    }


def misread_caption(m: Misread, patch_names=("top-left", "top-right", "bottom-left", "bottom-right")) -> str:
    """One line for a misread digit: its number, truth, fused answer, and what each patch said.

    >>> misread_caption(Misread(18, 3, 8, 61, (8, 3, 8, 8), (70, 55, 90, 40)))
    '#18: a 3 read as 8 (61 %); patches: top-left 8 (70 %), top-right 3 (55 %), bottom-left 8 (90 %), bottom-right 8 (40 %)'
    """
    names = patch_names if len(m.patch_labels) == len(patch_names) else (_("whole image"),) * len(m.patch_labels)
    patches = _(", ").join(f"{n} {label} ({c} %)" for n, label, c in zip(names, m.patch_labels, m.patch_confidence))
    return _("#{index}: a {truth} read as {answer} ({confidence} %); patches: {patches}").format(
        index=m.index, truth=m.truth, answer=m.answer, confidence=m.confidence, patches=patches)
