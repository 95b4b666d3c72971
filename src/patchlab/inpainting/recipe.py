"""The recipes of the shipped inpainting models: every training stage, in order.

    python -m patchlab.inpainting.recipe inpainting          # retrain models/inpainting.keras
    python -m patchlab.inpainting.recipe inpainting --print  # just print the commands
    python -m patchlab.inpainting.recipe inpainting_seed     # the tutorial's network

Each stage is a :class:`~patchlab.inpainting.config.TrainConfig`; a recipe
runs them one after the other, each as its own ``python -m
patchlab.inpainting.train`` process (exactly as typing the printed commands
would), then removes the intermediate models. ``make train``, the model
cards, ``docs/inpainting.md`` and every "retrain it with" message in the app
read the recipes from here.

The shipped U-Net is the ninth stage of a chain grown over five sessions
(``docs/inpainting.md`` tells why each stage is there). The shipped tutorial
network is the step-75 checkpoint of a 200-step schedule, which
``--stop-at 75`` reproduces.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

from patchlab import ROOT
from patchlab.i18n import N_
from patchlab.inpainting.config import TRAIN_MODULE, TrainConfig
from patchlab.runtime import read_card

__all__ = ["Recipe", "RECIPES", "SHIPPED", "retrain_command", "retrain_advice", "recorded_seconds",
           "recipe_of", "format_duration", "run", "main"]

RECIPE_MODULE = "patchlab.inpainting.recipe"


@dataclass(frozen=True)
class Recipe:
    """Training stages that make one model.

    Attributes
    ----------
    name : str
        What ``python -m patchlab.inpainting.recipe NAME`` runs.
    model : str
        The model file the last stage writes (relative to the repository).
    stages : tuple of TrainConfig
        Run in order; each stage after the first continues from an earlier
        stage's ``out`` (``init``).
    about : str
        One line: what the recipe is and what it gives.
    """

    name: str
    model: str
    stages: tuple[TrainConfig, ...]
    about: str

    def __post_init__(self):
        if not self.stages:
            raise ValueError(f"recipe {self.name!r} has no stages.")
        if self.stages[-1].out != self.model:
            raise ValueError(f"recipe {self.name!r}: the last stage writes {self.stages[-1].out!r}, "
                             f"not the model {self.model!r}.")
        written = set()
        for stage in self.stages:
            if stage.init is not None and stage.init not in written:
                raise ValueError(f"recipe {self.name!r}: a stage starts from {stage.init!r}, "
                                 f"which no earlier stage writes.")
            written.add(stage.out)

    def command(self) -> str:
        """The one shell command that runs the whole recipe."""
        return f"python -m {RECIPE_MODULE} {self.name}"

    @property
    def intermediates(self) -> tuple[str, ...]:
        """The models the stages write on the way, removed (with their cards) at the end."""
        return tuple(dict.fromkeys(s.out for s in self.stages if s.out != self.model))

    def commands(self, python: str = "python") -> list[str]:
        """The shell commands that run the recipe, clean-up included."""
        lines = [stage.command(python) for stage in self.stages]
        if self.intermediates:
            lines.append("rm -f " + " ".join(str(Path(p).with_suffix("")) + ".*" for p in self.intermediates))
        return lines


def _stage(n, **options):
    """Stage ``n`` of the shipped U-Net: a U-Net with the L1 + MSE loss, not evaluated on the way."""
    out = "models/inpainting.keras" if n == 9 else f"models/inpainting_stage{n}.keras"
    init = None if n == 1 else f"models/inpainting_stage{n - 1}.keras"
    return TrainConfig(arch="unet", loss="l1+l2", init=init, out=out, evaluate=(n == 9), **options)


_PULL_PUSH = {"prefill": "pull-push"}  # the first guess stages 1-5 were trained with
_WIDER = {"context_blocks": 2, "square_share": 0.4, "loss_average": "image"}

#: The nine stages that made ``models/inpainting.keras``, exactly as they ran.
UNET_STAGES = (
    _stage(1, size=192, batch=8, steps=2000, **_PULL_PUSH),
    _stage(2, size=256, batch=6, steps=2000, lr=5e-4, **_PULL_PUSH),
    _stage(3, size=256, batch=6, steps=1200, lr=3e-4, **_PULL_PUSH),
    _stage(4, size=256, batch=8, steps=4500, stop_at=250, lr=2e-4, **_PULL_PUSH),
    _stage(5, size=256, batch=8, steps=2800, lr=2e-4, **_PULL_PUSH),
    _stage(6, size=256, batch=8, steps=4000, stop_at=1000, lr=3e-4, opencv_photos=True),
    _stage(7, size=256, batch=8, steps=2800, lr=2e-4, opencv_photos=True, loss_average="image"),
    _stage(8, size=256, batch=8, steps=5000, lr=2e-4, opencv_photos=True, **_WIDER),
    _stage(9, size=256, batch=8, steps=9000, lr=2e-4, opencv_photos=True, debian_photos=True,
           bfloat16=True, **_WIDER),
)


def _fourier_stage(out, **options):
    """Stage 10: the shipped U-Net with two fast Fourier convolution blocks added at its bottleneck.

    The blocks start as the identity (:func:`patchlab.inpainting.fourier.fourier_block`),
    so the stage starts from the shipped model's quality; the six validation
    photos (:data:`patchlab.inpainting.data.VALIDATION`) are kept out, to
    choose between runs on them.
    """
    return TrainConfig(arch="unet", loss="l1+l2", init="models/inpainting_stage9.keras", out=out, evaluate=True,
                       size=256, batch=8, steps=2000, lr=2e-4, opencv_photos=True, debian_photos=True,
                       bfloat16=True, set_aside_validation=True, fourier_blocks=2, **_WIDER, **options)


#: The shipped chain with its last stage writing an intermediate, for recipes that go on from it.
_TO_STAGE9 = (*UNET_STAGES[:8], replace(UNET_STAGES[8], out="models/inpainting_stage9.keras", evaluate=False))
#: What a recipe that goes on from the shipped U-Net says about where it runs.
_DEVICES = ("stage 10 runs unchanged on a GPU (set --batch and --steps to the machine); the model card "
            "records the device and the wall time")

RECIPES = {
    recipe.name: recipe
    for recipe in (
        Recipe(
            "inpainting", "models/inpainting.keras", UNET_STAGES,
            N_("the shipped U-Net's nine seeded stages (stages 6-9 download OpenCV's sample photos once, "
               "stage 9 also four Debian wallpaper packages; stage 9's bfloat16 arithmetic is fast only "
               "on a CPU with bfloat16 instructions, and gives the same network on any CPU)"),
        ),
        Recipe(
            "inpainting_seed", "models/inpainting_seed.keras",
            (TrainConfig(arch="seed", steps=200, batch=4, stop_at=75, out="models/inpainting_seed.keras"),),
            "the tutorial's autoencoder as shipped: the first 75 steps of a 200-step schedule "
            "(the shipped file is that run's step-75 checkpoint; without --stop-at 75 the run goes "
            "on to step 200)",
        ),
        Recipe(
            "inpainting_fourier", "models/inpainting_fourier.keras",
            (*_TO_STAGE9, _fourier_stage("models/inpainting_fourier.keras")),
            "the shipped U-Net's nine stages, then a tenth adding two fast Fourier convolution blocks "
            "(LaMa) at the bottleneck, 2000 steps on the same photos less six set aside for validation; "
            + _DEVICES,
        ),
        Recipe(
            "inpainting_fourier_wide", "models/inpainting_fourier_wide.keras",
            (*_TO_STAGE9, _fourier_stage("models/inpainting_fourier_wide.keras", wide_masks=0.5)),
            "as inpainting_fourier, with half of stage 10's holes drawn wide and large (LaMa's masks: "
            "squares of side 25-45%, boxes, thick strokes); " + _DEVICES,
        ),
        Recipe(
            "inpainting_quick", "models/inpainting.keras",
            (replace(UNET_STAGES[0], out="models/inpainting.keras", evaluate=True),),
            N_("the shipped chain's first stage alone, giving a weaker U-Net (its figures beside the "
               "shipped model's, on the same photos, are in docs/inpainting.md)"),
        ),
    )
}
#: The recipe of each shipped model file.
SHIPPED = {"models/inpainting.keras": "inpainting", "models/inpainting_seed.keras": "inpainting_seed"}


def _recipe(name) -> Recipe:
    if name not in RECIPES:
        raise ValueError(f"`name` must be one of {', '.join(RECIPES)}; got {name!r}.")
    return RECIPES[name]


def retrain_command(name: str = "inpainting") -> str:
    """The one shell command that reproduces the model of recipe ``name``."""
    return _recipe(name).command()


def recipe_of(config: TrainConfig) -> Recipe | None:
    """The recipe whose last stage is ``config`` (threads, checkpoints and progress bar aside), or None."""
    def result(c):  # what decides the trained model
        return replace(c, threads=1, checkpoint_every=1, progress_bar=False)

    for recipe in RECIPES.values():
        if result(recipe.stages[-1]) == result(config):
            return recipe
    return None


def recorded_seconds(name: str = "inpainting", root=ROOT) -> float | None:
    """Training time of recipe ``name`` as recorded in the model cards, or None if they do not say.

    A model's card records its run's wall time and, under ``initialised_from``,
    the card of the model it continued from, back to the first stage. The
    recipe's time is the sum over its stages, read from the first stages of
    that chain: each recorded run must have ended at the stage's last step.
    """
    recipe = _recipe(name)
    chain, card = [], read_card(Path(root) / recipe.model)
    while card:
        chain.append(card)
        card = card.get("initialised_from") or {}
    chain.reverse()  # first stage first
    if len(chain) < len(recipe.stages):
        return None
    total = 0.0
    for stage, run in zip(recipe.stages, chain):
        seconds = run.get("wall_time_s")
        if run.get("steps_done") != stage.last_step or not isinstance(seconds, (int, float)):
            return None
        total += seconds
    return total


def format_duration(seconds: float) -> str:
    """``'6 h 56 min'``, ``'16 min'``: a training time to the minute."""
    minutes = max(1, round(seconds / 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def retrain_advice(name: str = "inpainting", root=ROOT) -> str:
    """:func:`retrain_command`, how long it takes on this 2-core CPU, and the shorter recipe if any.

    The first line is the command alone. The time is the sum of the
    stages' wall times recorded in the model cards (:func:`recorded_seconds`);
    when the cards do not record it, the advice says so.
    """
    recipe = _recipe(name)
    lines = [retrain_command(name), f"{_took(name, root)}: {recipe.about}."]
    if name == "inpainting":
        quick = RECIPES["inpainting_quick"]
        lines.append(f"A shorter recipe, {retrain_command(quick.name)} ({_took(quick.name, root)}), "
                     f"is {quick.about}.")
    return "\n".join(lines)


def _took(name, root):
    seconds = recorded_seconds(name, root)
    if seconds is None:
        return "no training time recorded in its model card"
    return f"about {format_duration(seconds)} on this 2-core CPU"


def run(name: str, python: str = sys.executable, root=ROOT) -> None:
    """Run recipe ``name``'s stages in order, each in its own process, then remove the intermediates.

    The stages run in ``root`` (the repository), where their paths point.

    Raises
    ------
    RuntimeError
        If a stage fails (the models written so far are kept).
    """
    recipe = _recipe(name)
    for stage in recipe.stages:
        print(stage.command(), flush=True)
        program = [python, "-m", TRAIN_MODULE, *stage.argv()]
        if subprocess.run(program, cwd=root).returncode:
            raise RuntimeError(f"stage failed: {stage.command()}")
    for path in recipe.intermediates:
        path = Path(root) / path
        for leftover in path.parent.glob(path.stem + ".*"):
            leftover.unlink()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog=f"python -m {RECIPE_MODULE}",
                                     description="Retrain a shipped inpainting model, stage by stage.")
    parser.add_argument("name", choices=sorted(RECIPES))
    parser.add_argument("--print", action="store_true", dest="print_only",
                        help="print the shell commands instead of running them")
    args = parser.parse_args(argv)
    if args.print_only:
        print("\n".join(RECIPES[args.name].commands()))
        return
    print(f"# {retrain_advice(args.name).splitlines()[0]}", flush=True)
    try:
        run(args.name)
    except RuntimeError as exc:
        parser.exit(1, f"error: {exc}\n")


if __name__ == "__main__":
    main()
