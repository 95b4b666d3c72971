"""Classifying one digit: patches -> shared CNN -> fused probabilities."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from patchlab import MODELS_DIR
from patchlab.classification.corners import check_patch_size, corner_origins, extract_patches
from patchlab.classification.fusion import RULES, fuse, fused_label
from patchlab.i18n import _
from patchlab.runtime import ModelUnavailable, load_model, short_path


@dataclass
class Prediction:
    """The classifier's answer for one digit.

    patch_probs : (n_patches, 10) probabilities of each patch (4, or 1 for p = 28)
    fused : (10,) fused probabilities under ``rule``
    label : the predicted digit
    confidence : ``fused[label]``
    patch_labels : (n_patches,) each patch's own prediction
    """

    patch_probs: np.ndarray
    fused: np.ndarray
    label: int
    confidence: float
    patch_labels: np.ndarray
    rule: str

    @property
    def patches_agree(self) -> bool:
        """True when every patch predicts the same digit."""
        return bool(np.all(self.patch_labels == self.patch_labels[0]))


class DigitClassifier:
    """A trained patch classifier for one patch size.

    >>> clf = DigitClassifier.load(patch_size=18)          # doctest: +SKIP
    >>> clf.predict(x28, rule="mean").label                # doctest: +SKIP
    7
    """

    def __init__(self, model, patch_size: int, card: dict | None = None):
        self.model = model
        self.patch_size = check_patch_size(patch_size)
        self.card = card or {}

    @classmethod
    def load(cls, patch_size: int = 18, path: Path | str | None = None,
             allow_outside_models: bool = False) -> "DigitClassifier":
        """Load ``models/classifier_p{patch_size}.keras`` (``safe_mode=True``) and its card.

        A ``path`` outside ``models/`` is refused unless
        ``allow_outside_models`` is True (training and evaluation tools).

        Raises
        ------
        ValueError
            For a ``path`` outside ``models/``.
        ModelUnavailable
            If the file is missing or corrupt, or was trained for another
            patch size; the message names the command that retrains it.
        """
        # Imported here, not at the top: the package imports this module, and
        # ``python -m patchlab.classification.recipe`` must find the recipe not yet imported.
        from patchlab.classification.recipe import retrain_advice

        patch_size = check_patch_size(patch_size)
        if path is None:  # the shipped file, named here
            path, allow_outside_models = MODELS_DIR / f"classifier_p{patch_size}.keras", True
        retrain = retrain_advice(patch_size)
        model, card = load_model(path, what=_("classifier for patch size {p}").format(p=patch_size), retrain=retrain,
                                 allow_outside_models=allow_outside_models)
        expected = (None, patch_size, patch_size, 1)
        if tuple(model.input_shape) != expected:
            raise ModelUnavailable(
                f"{short_path(path)} expects inputs {model.input_shape}, not {expected}. "
                f"Retrain it with:\n\n    {retrain}"
            )
        return cls(model, patch_size, card)

    def patch_probabilities(self, x28: np.ndarray) -> np.ndarray:
        """Each patch's class probabilities for one 28x28 digit, shape (n_patches, 10)."""
        x = np.asarray(x28, dtype=np.float32)
        if x.shape != (28, 28):
            raise ValueError(f"x28 must have shape (28, 28), got {x.shape}")
        patches = extract_patches(x[None, :, :, None], self.patch_size)
        return np.asarray(self.model(patches, training=False), dtype=np.float64)

    def predict(self, x28: np.ndarray, rule: str = "mean") -> Prediction:
        """Classify one digit (float 28x28 in [0, 1], white on black)."""
        if rule not in RULES:
            raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
        probs = self.patch_probabilities(x28)
        fused = fuse(probs, rule)
        label = fused_label(probs, rule)
        return Prediction(
            patch_probs=probs,
            fused=fused,
            label=int(label),
            confidence=float(fused[label]),
            patch_labels=probs.argmax(axis=-1),
            rule=rule,
        )

    @property
    def origins(self) -> list[tuple[int, int]]:
        """(row, col) of each patch's top-left pixel (:func:`corner_origins`)."""
        return corner_origins(self.patch_size)
