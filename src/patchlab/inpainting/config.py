"""What one inpainting training run does: :class:`TrainConfig`, checked in one place.

A config is what ``python -m patchlab.inpainting.train`` parses its options
into, what :mod:`patchlab.inpainting.recipe` lists as the stages of a
shipped model, and what :func:`patchlab.inpainting.train.train_inpainter`
runs. :meth:`TrainConfig.command` writes it back as the command line that
runs it, so a recipe, the model card and the docs name the same command.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, fields
from pathlib import Path

from patchlab.inpainting.prefill import PREFILLS

__all__ = ["TrainConfig", "TRAIN_SIZE", "TILE_SIZE", "LOSSES", "LOSS_AVERAGES", "TRAIN_MODULE"]

#: Crop size the networks train on (the U-Net's tile size at inference).
TRAIN_SIZE = {"unet": 256, "seed": 228}
#: Tile size at inference: a 512x512 photo is exactly 2x2 overlapping 288-px tiles
#: (64 px overlap). The network is fully convolutional, so tiles may exceed the crops.
TILE_SIZE = {"unet": 288, "seed": 228}
LOSSES = ("l1", "l1+l2")
LOSS_AVERAGES = ("pixel", "image")
#: The module whose command line runs one config.
TRAIN_MODULE = "patchlab.inpainting.train"

#: Config field -> command-line option, where the two are not spelt alike.
_OPTION = {"data_dir": "--data", "evaluate": "--no-eval", "progress_bar": None}
#: Options written out even at their defaults, so a command says what it trains and where it goes.
_ALWAYS = ("arch", "steps", "batch", "out")


@dataclass(frozen=True)
class TrainConfig:
    """One training run of an inpainting network, checked when it is made.

    Parameters
    ----------
    arch : {'unet', 'seed'}
        The U-Net (:func:`~patchlab.inpainting.model.build_unet`) or the
        tutorial's autoencoder (:func:`~patchlab.inpainting.model.build_seed`).
    steps : int
        Length of the learning-rate schedule (cosine decay after a warm-up of
        ``min(100, steps // 10)`` steps, at least one).
    batch : int
        Crops per step.
    lr : float
        Peak learning rate (Adam).
    seed : int
        Seeds NumPy, Python and TensorFlow: the same config trains the same model.
    out : str
        Where the ``.keras`` file goes; its JSON model card goes beside it.
    data_dir : str, optional
        Train on this folder of photos instead of the bundled ones (then
        nothing is held out and nothing evaluated).
    checkpoint_every : int
        Save the model and its card every this many steps.
    threads : int
        TensorFlow intra-op threads.
    evaluate : bool
        Score the finished model on the held-out photos into its card.
    progress_bar : bool
        Show a progress bar on the terminal.
    size : int, optional
        Crop size; default 256 for ``unet``, 228 for ``seed`` (a seed size
        must be ``8 k + 4``).
    loss : {'l1', 'l1+l2'}
        Hole-weighted L1, or that plus 5x the hole-weighted squared error
        (which PSNR measures). The seed always uses the tutorial's MSE.
    init : str, optional
        Continue from this saved model's weights (layers matched by name).
    stop_at : int, optional
        Stop after this many steps, keeping the schedule of ``steps`` (how an
        interrupted run is reproduced). Default ``steps``.
    prefill : str
        The U-Net's first guess of the hole, a key of
        :data:`patchlab.inpainting.prefill.PREFILLS`.
    opencv_photos, debian_photos : bool
        Add the photos of :mod:`~patchlab.inpainting.opencv_photos` /
        :mod:`~patchlab.inpainting.debian_photos` (downloaded once) to the
        bundled ones.
    loss_average : {'pixel', 'image'}
        Every pixel of a batch counts equally, or every image does.
    context_blocks : int
        Dilated residual blocks at the U-Net's bottleneck.
    fourier_blocks : int
        Fast Fourier convolution residual blocks at the U-Net's bottleneck,
        after the dilated ones (:mod:`patchlab.inpainting.fourier`).
    square_share : float, optional
        Chance of a tutorial square among the U-Net's mixed training masks
        (default: one in four).
    bfloat16 : bool
        Compute in Keras's ``mixed_bfloat16`` policy; the model is saved in float32.
    seconds : float, optional
        Wall-clock budget: stop (and save) after the first step that ends past it.
    wide_masks : float
        Share of the U-Net's training holes drawn wide and large
        (:func:`patchlab.inpainting.train.wide_mask`: big boxes, thick
        strokes) instead of from the mixed generator; 0 draws none.
    set_aside_validation : bool
        Keep :data:`patchlab.inpainting.data.VALIDATION` out of the bundled
        training photos, to choose between runs on them.

    Raises
    ------
    ValueError
        Naming the option, for any value out of range.
    """

    arch: str = "unet"
    steps: int = 3000
    batch: int = 4
    lr: float = 1e-3
    seed: int = 0
    out: str = "models/inpainting.keras"
    data_dir: str | None = None
    checkpoint_every: int = 250
    threads: int = 2
    evaluate: bool = True
    progress_bar: bool = True
    size: int | None = None
    loss: str = "l1"
    init: str | None = None
    stop_at: int | None = None
    prefill: str = "harmonic"
    opencv_photos: bool = False
    loss_average: str = "pixel"
    context_blocks: int = 0
    square_share: float | None = None
    debian_photos: bool = False
    bfloat16: bool = False
    seconds: float | None = None
    fourier_blocks: int = 0
    wide_masks: float = 0.0
    set_aside_validation: bool = False

    def __post_init__(self):
        for name in ("out", "data_dir", "init"):  # paths are kept as text: a config prints as it was given
            value = getattr(self, name)
            if isinstance(value, Path):
                object.__setattr__(self, name, str(value))
        if self.arch not in TRAIN_SIZE:
            raise ValueError(f"`arch` must be one of {', '.join(TRAIN_SIZE)}; got {self.arch!r}.")
        for name in ("steps", "batch", "checkpoint_every", "threads"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"`{name}` must be at least 1, got {getattr(self, name)}.")
        if self.stop_at is not None and not 1 <= int(self.stop_at) <= int(self.steps):
            raise ValueError(f"`stop_at` must be between 1 and `steps` ({self.steps}), got {self.stop_at}.")
        if not float(self.lr) > 0:
            raise ValueError(f"`lr` must be positive, got {self.lr}.")
        if not str(self.out).endswith(".keras"):
            raise ValueError(f"`out` must end in .keras, got {str(self.out)!r}.")
        if self.size is not None:
            if self.arch == "seed" and int(self.size) % 8 != 4:
                raise ValueError(f"`size` of the seed network must be 8 k + 4 (228 is the tutorial's), "
                                 f"got {self.size}.")
            if int(self.size) < 16:
                raise ValueError(f"`size` must be at least 16, got {self.size}.")
        if self.loss not in LOSSES:
            raise ValueError(f"`loss` must be 'l1' or 'l1+l2', got {self.loss!r}.")
        if self.loss_average not in LOSS_AVERAGES:
            raise ValueError(f"`loss_average` must be 'pixel' or 'image', got {self.loss_average!r}.")
        if self.prefill not in PREFILLS:
            raise ValueError(f"`prefill` must be one of {', '.join(PREFILLS)}; got {self.prefill!r}.")
        if int(self.context_blocks) < 0:
            raise ValueError(f"`context_blocks` must be 0 or more, got {self.context_blocks}.")
        if int(self.context_blocks) and self.arch != "unet":
            raise ValueError("`context_blocks` is a U-Net option; the seed is the tutorial's network.")
        if int(self.fourier_blocks) < 0:
            raise ValueError(f"`fourier_blocks` must be 0 or more, got {self.fourier_blocks}.")
        if int(self.fourier_blocks) and self.arch != "unet":
            raise ValueError("`fourier_blocks` is a U-Net option; the seed is the tutorial's network.")
        if not 0 <= float(self.wide_masks) <= 1:
            raise ValueError(f"`wide_masks` must be between 0 and 1, got {self.wide_masks}.")
        if float(self.wide_masks) and self.arch != "unet":
            raise ValueError("`wide_masks` is a U-Net option; the seed learns on the tutorial's squares.")
        if self.set_aside_validation and self.data_dir:
            raise ValueError("`set_aside_validation` sets aside bundled photos; it does not go with `data_dir`.")
        if self.square_share is not None and not 0 <= float(self.square_share) <= 1:
            raise ValueError(f"`square_share` must be between 0 and 1, got {self.square_share}.")
        if self.seconds is not None and not float(self.seconds) > 0:
            raise ValueError(f"`seconds` must be positive, got {self.seconds}.")

    # ---------------------------------------------------------------- derived
    @property
    def crop_size(self) -> int:
        """The crop size used: ``size``, or the architecture's default."""
        return int(self.size or TRAIN_SIZE[self.arch])

    @property
    def last_step(self) -> int:
        """The step training ends at (``stop_at``, else ``steps``), unless ``seconds`` runs out first."""
        return int(self.steps if self.stop_at is None else self.stop_at)

    @property
    def warmup_steps(self) -> int:
        """Steps of linear learning-rate warm-up before the cosine decay."""
        return min(100, max(1, int(self.steps) // 10))

    # ------------------------------------------------------------ as a command
    def argv(self) -> list[str]:
        """The command-line options that give this config (defaults left out)."""
        args = []
        for field in sorted(fields(self), key=lambda f: f.name == "out"):  # --out last, as it reads best
            value, default = getattr(self, field.name), field.default
            option = _OPTION.get(field.name, "--" + field.name.replace("_", "-"))
            if option is None or (value == default and field.name not in _ALWAYS):
                continue
            if isinstance(default, bool):
                args.append(option)  # a flag that flips the default
            else:
                args += [option, _number(value)]
        return args

    def command(self, python: str = "python") -> str:
        """The shell command that runs this config: ``python -m patchlab.inpainting.train ...``."""
        return " ".join([python, "-m", TRAIN_MODULE, *map(shlex.quote, self.argv())])


def _number(value) -> str:
    """A value as an option takes it (``2e-4`` rather than ``0.0002``)."""
    if isinstance(value, float):
        if value and abs(value) < 0.01:
            mantissa, exponent = f"{value:e}".split("e")
            return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
        return f"{value:g}"
    return str(value)
