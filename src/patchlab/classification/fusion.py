"""Fusing the probability vectors of the patches into one answer.

Every rule takes the patches' class probabilities, shape ``(..., n, 10)``,
and returns fused probabilities ``(..., 10)`` that sum to 1.

* ``mean``: the average of the probability vectors (the source material's rule).
* ``product``: the normalised product, i.e. the geometric mean, computed in log
  space with a floor of ``EPS`` so one patch saying "0" cannot veto a class on
  its own.
* ``max``: for each class the most confident patch's probability, renormalised.
* ``vote``: each patch votes for its argmax; fused = share of the votes.
  **Tie-break**: among classes with the same number of votes, the one with the
  highest mean probability wins (then the smallest digit).

For ``mean``, ``product`` and ``max`` the label is the argmax of the fused
probabilities (an exact tie goes to the smallest digit, like ``np.argmax``).
"""

from __future__ import annotations

import numpy as np

from patchlab.i18n import N_

RULES = ("mean", "product", "max", "vote")
RULE_NAMES = {  # English, marked for the catalogue: a page shows _(RULE_NAMES[rule])
    "mean": N_("mean of probabilities"),
    "product": N_("normalised product (geometric mean)"),
    "max": N_("max per class"),
    "vote": N_("majority vote"),
}
EPS = 1e-6


def _check(patch_probs, rule: str) -> np.ndarray:
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    probs = np.asarray(patch_probs, dtype=np.float64)
    if probs.ndim < 2 or probs.shape[-2] < 1:
        raise ValueError(f"patch_probs must have shape (..., n_patches, n_classes), got {probs.shape}")
    if np.any(probs < 0) or not np.all(np.isfinite(probs)):
        raise ValueError("patch_probs must be finite and non-negative")
    return probs


def fuse(patch_probs, rule: str = "mean") -> np.ndarray:
    """Fused class probabilities.

    Parameters
    ----------
    patch_probs : array_like, shape (..., n_patches, n_classes)
        Each patch's probabilities (rows sum to 1).
    rule : {"mean", "product", "max", "vote"}

    Returns
    -------
    fused : ndarray of float64, shape (..., n_classes), sums to 1.

    Examples
    --------
    >>> fuse([[0.6, 0.4], [0.2, 0.8]], "mean")
    array([0.4, 0.6])
    """
    probs = _check(patch_probs, rule)
    if rule == "mean":
        fused = probs.mean(axis=-2)
    elif rule == "product":
        log_mean = np.log(np.maximum(probs, EPS)).mean(axis=-2)
        fused = np.exp(log_mean - log_mean.max(axis=-1, keepdims=True))
    elif rule == "max":
        fused = probs.max(axis=-2)
    else:  # vote
        votes = probs.argmax(axis=-1)  # (..., n)
        fused = (votes[..., None] == np.arange(probs.shape[-1])).sum(axis=-2).astype(np.float64)
    return fused / fused.sum(axis=-1, keepdims=True)


def fused_label(patch_probs, rule: str = "mean") -> np.ndarray | int:
    """The predicted class under ``rule`` (vote ties broken by mean probability).

    Returns an int for one digit, ``(...)`` ints for a batch.

    >>> fused_label([[0.9, 0.1, 0.0], [0.0, 0.2, 0.8]], "vote")   # 1 vote each for 0 and 2
    0
    """
    probs = _check(patch_probs, rule)
    fused = fuse(probs, rule)
    if rule == "vote":
        top = fused >= fused.max(axis=-1, keepdims=True) - 1e-12
        mean = probs.mean(axis=-2)
        # Only tied winners compete; among them the highest mean probability.
        fused = np.where(top, mean, -1.0)
    label = fused.argmax(axis=-1)
    return int(label) if label.ndim == 0 else label
