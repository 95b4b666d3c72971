"""Scoring a classifier on a set of digits: every patch's probabilities, and accuracies.

Training (validation after every epoch), the evaluation report and the
model card all score models with these two functions.
"""

from __future__ import annotations

import numpy as np

from patchlab.classification.corners import extract_patches, n_patches
from patchlab.classification.fusion import RULES, fused_label


def to_batch(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) uint8 or float -> (N, 28, 28, 1) float32 in [0, 1]."""
    x = np.asarray(images, dtype=np.float32)
    if np.asarray(images).dtype == np.uint8:
        x = x / 255.0
    return x[..., None]


def batch_patch_probabilities(model, images: np.ndarray, patch_size: int, batch_size: int = 250) -> np.ndarray:
    """Every patch's probabilities for a set of digits.

    Parameters
    ----------
    model : keras.Model
        A patch classifier: ``(None, p, p, 1)`` -> ``(None, 10)``.
    images : ndarray, shape (N, 28, 28)
        uint8 in [0, 255] or float in [0, 1].
    patch_size : int
    batch_size : int
        Digits per call of the model.

    Returns
    -------
    probs : ndarray of float32, shape (N, n_patches, 10)
    """
    n = n_patches(patch_size)
    out = []
    for start in range(0, len(images), batch_size):
        patches = extract_patches(to_batch(images[start:start + batch_size]), patch_size)
        out.append(np.asarray(model(patches, training=False)))
    probs = np.concatenate(out) if out else np.zeros((0, 10), np.float32)
    return probs.reshape(-1, n, probs.shape[-1])


def accuracies(probs: np.ndarray, labels: np.ndarray) -> dict:
    """Accuracy of each single patch and of each fusion rule.

    Parameters
    ----------
    probs : ndarray, shape (N, n_patches, 10)
    labels : ndarray, shape (N,)

    Returns
    -------
    dict
        ``{"single_patch": [n_patches floats], "fused": {rule: float}}``.
    """
    labels = np.asarray(labels)
    single = [float(np.mean(probs[:, i].argmax(-1) == labels)) for i in range(probs.shape[1])]
    fused = {rule: float(np.mean(fused_label(probs, rule) == labels)) for rule in RULES}
    return {"single_patch": single, "fused": fused}


def wilson_interval(correct: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of an accuracy measured as ``correct`` out of ``n`` (95 % for z = 1.96).

    Parameters
    ----------
    correct : int, 0 <= correct <= n
    n : int, number of cases (> 0)
    z : float, the normal quantile (1.96: a 95 % interval)

    Returns
    -------
    (low, high) : floats in [0, 1]

    Examples
    --------
    >>> [round(v, 4) for v in wilson_interval(993, 1000)]
    [0.9856, 0.9966]
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    if isinstance(correct, bool) or not isinstance(correct, (int, np.integer)) or not 0 <= correct <= n:
        raise ValueError(f"correct must be an int in [0, n], got {correct!r}")
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, float(centre - half)), min(1.0, float(centre + half))


def accuracy_intervals(accuracy: dict, n: int) -> dict:
    """Wilson 95 % intervals for every figure of :func:`accuracies` measured on ``n`` digits.

    Returns ``{"single_patch": [[low, high], ...], "fused": {rule: [low, high]}}``.
    """
    def interval(a: float) -> list[float]:
        return [round(v, 5) for v in wilson_interval(int(round(a * n)), n)]

    return {"single_patch": [interval(a) for a in accuracy["single_patch"]],
            "fused": {rule: interval(a) for rule, a in accuracy["fused"].items()}}
