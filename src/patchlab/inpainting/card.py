"""The model card of an inpainting training run, built in one place from its config and its run.

The card is the JSON file beside each ``.keras`` model
(:func:`patchlab.runtime.card_path`): what was trained, on which photos,
how, how long, and with which result. :func:`model_card` writes every
card, the checkpoints' included; what differs between the two networks is
said once, in :func:`network_fields`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from patchlab.inpainting.config import TILE_SIZE, TrainConfig
from patchlab.inpainting.recipe import recipe_of

__all__ = ["TrainingRun", "model_card", "network_fields", "previous_card", "HOLE_WEIGHT", "TILE_OVERLAP",
           "AUGMENTATION"]

#: How much more a pixel in the hole counts in the U-Net's loss.
HOLE_WEIGHT = 6.0
#: Overlap of the tiles at inference (pixels).
TILE_OVERLAP = 64
AUGMENTATION = ("random square crops at scales from 1/4 of the short side to the whole photo, resized; "
                "horizontal (p=0.5) and vertical (p=0.1) flips; "
                "brightness/contrast/saturation/white-balance jitter of +-10%")
_PREVIOUS_KEYS = ("command", "device", "steps_done", "wall_time_s", "loss", "prefill", "batch", "train_size",
                  "initialised_from")


@dataclass
class TrainingRun:
    """What a run found and did, as far as it has got.

    ``photos``, ``held_out`` and ``validation`` (set aside) are lists of
    :class:`~patchlab.inpainting.data.Photo`; ``initialised_from`` is
    :func:`previous_card`'s summary of the model it continued from; ``device``
    what trained (:func:`patchlab.inpainting.train.training_device`);
    ``trained_at`` and ``file_bytes`` are set once the run has ended.
    """

    parameters: int
    photos: list
    held_out: list
    versions: dict
    validation: list = field(default_factory=list)
    device: str | None = None
    initialised_from: dict | None = None
    new_layers: list = field(default_factory=list)
    status: str = "started"
    steps_done: int = 0
    loss_history: list = field(default_factory=list)
    wall_time_s: float = 0.0
    trained_at: str | None = None
    file_bytes: int | None = None
    evaluation: dict | None = None


def network_fields(config: TrainConfig) -> dict:
    """The card's description of the network, its masks and its loss, for ``config.arch``."""
    if config.arch == "seed":
        return {
            "description": "The tutorial's convolutional autoencoder with skip connections (valid convolutions)",
            "tile_size": config.crop_size,
            "prefill": None,
            "loss": "MSE",
            "context_blocks": None,
            "fourier_blocks": None,
            "square_share": None,
            "wide_masks": None,
            "masks": "tutorial squares (side 50/228 of the image), zeroed",
        }
    blocks = int(config.context_blocks)
    fourier = int(config.fourier_blocks)
    loss = f"L1, hole weighted x{HOLE_WEIGHT:g}"
    if config.loss == "l1+l2":
        loss += " + 5 x MSE, same weights"
    if config.loss_average == "image":
        loss += ", averaged per image"
    masks = ("mixed: tutorial squares, brush strokes (1-5 strokes, 4-12 vertices, 8-40 px at 256), "
             "rectangles; 5-50% masked")
    if config.square_share is not None:
        masks += f"; squares drawn with probability {config.square_share:g}"
    if float(config.wide_masks):
        masks += (f"; {config.wide_masks:g} of the holes drawn wide instead: a square of side 25-45%, "
                  f"1-3 boxes of sides 20-50%, or strokes thickened to 16-80 px; 10-50% masked")
    return {
        "description": (f"U-Net inpainter: mask as 4th input channel, {config.prefill} first guess, "
                        + (f"{blocks} dilated residual blocks at the bottleneck, " if blocks else "")
                        + (f"{fourier} fast Fourier convolution residual blocks at the bottleneck, "
                           if fourier else "")
                        + "bilinear-initialised transposed-convolution upsampling, output composited"),
        "tile_size": TILE_SIZE["unet"],
        "prefill": config.prefill,
        "loss": loss,
        "context_blocks": blocks,
        "fourier_blocks": fourier,
        "square_share": config.square_share,
        "wide_masks": float(config.wide_masks),
        "masks": masks,
    }


def _photo_list(photos):
    return [{"name": p.name, "source": p.source, "size": list(p.image.shape[:2])} for p in photos]


def previous_card(card: dict, path) -> dict:
    """What a card records of the model a run continued from (``path``, with its ``card``)."""
    return {**{k: card.get(k) for k in _PREVIOUS_KEYS}, "path": str(path)}


def model_card(config: TrainConfig, run: TrainingRun) -> dict:
    """The model card of ``run``, trained with ``config``.

    Returns
    -------
    card : dict
        JSON-ready: the network and how it was trained (from ``config``),
        the photos, steps, loss history, wall time and status (from ``run``),
        and ``reproduce``, the recipe command, when ``config`` is the last
        stage of a shipped recipe.
    """
    network = network_fields(config)
    card = {
        "model": Path(config.out).name,
        "arch": config.arch,
        "description": network["description"],
        "train_size": config.crop_size,
        "tile_size": network["tile_size"],
        "tile_overlap": TILE_OVERLAP,
        "prefill": network["prefill"],
        "loss": network["loss"],
        "context_blocks": network["context_blocks"],
        "square_share": network["square_share"],
        "fourier_blocks": network["fourier_blocks"],
        "wide_masks": network["wide_masks"],
        "new_layers_at_init": run.new_layers or None,
        "masks": network["masks"],
        "augmentation": AUGMENTATION,
        "optimizer": f"Adam, cosine decay from {config.lr:g} with {config.warmup_steps} warm-up steps",
        "precision": ("mixed bfloat16 (float32 weights, bfloat16 arithmetic); saved as float32"
                      if config.bfloat16 else "float32"),
        "steps": int(config.steps),
        "batch": int(config.batch),
        "seed": int(config.seed),
        "parameters": int(run.parameters),
        "command": config.command(),
        "training_photos": _photo_list(run.photos),
        "held_out_photos": _photo_list(run.held_out),
        "validation_photos": _photo_list(run.validation) if run.validation else None,
        "data_dir": str(config.data_dir) if config.data_dir else None,
        "initialised_from": run.initialised_from,
        "versions": run.versions,
        "status": run.status,
        "steps_done": run.steps_done,
        "loss_history": run.loss_history,
        "wall_time_s": round(run.wall_time_s, 1),
    }
    for key in ("device", "trained_at", "file_bytes", "evaluation"):
        if getattr(run, key) is not None:
            card[key] = getattr(run, key)
    recipe = recipe_of(config)
    if recipe is not None:
        card["reproduce"] = f"{recipe.command()}: {recipe.about}"
    return card
