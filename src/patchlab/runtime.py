"""The one model runtime: TensorFlow with capped threads, safe loading, model cards, atomic saves.

Every demo, training run, evaluation and benchmark goes through here:

- :func:`tensorflow` imports TensorFlow once, with its thread pools capped,
  so pages without models start fast and a shared server does not
  oversubscribe its cores;
- :func:`load_model` loads a ``.keras`` file in Keras's safe mode (no code
  runs on load), only from ``models/`` unless told otherwise, and turns any
  failure into :class:`ModelUnavailable`, whose message names the command
  that retrains the model;
- :func:`fast_bfloat16` says whether this machine computes bfloat16
  natively (where it does not, bfloat16 training is emulated and slower
  than float32);
- :func:`read_card` / :func:`write_card` read and write the JSON model card
  beside each model; :func:`save_model` and :func:`write_atomically` never
  leave half a file where a complete one is expected.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from patchlab import MODELS_DIR, ROOT
from patchlab.i18n import _

__all__ = ["ModelUnavailable", "tensorflow", "fast_bfloat16", "check_model_path", "load_model", "card_path",
           "read_card", "write_card", "save_model", "write_atomically", "short_path"]

_config_lock = threading.Lock()
_tf = None  # the module, once imported and configured
# TensorFlow's C++ log level is read when it is first imported; set it here, when this module is imported,
# never inside tensorflow(): that function also runs inside traced code (a Keras layer's call, a training
# step), and AutoGraph, converting a call on os.environ there, once wrote every environment variable of the
# server into its warning.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


class ModelUnavailable(RuntimeError):
    """A model file is missing or cannot be loaded; the message says how to retrain it."""


def default_threads() -> int:
    """Intra-op threads: ``PATCHLAB_TF_THREADS``, else the cores, at most 2."""
    return int(os.environ.get("PATCHLAB_TF_THREADS", min(2, os.cpu_count() or 1)))


def tensorflow(threads: int | None = None):
    """Import TensorFlow, cap its thread pools (once per process) and return the module.

    Parameters
    ----------
    threads : int, optional
        Intra-op threads; default :func:`default_threads`. Inter-op work
        runs on one thread. Streamlit serves every participant from threads
        of one process, so more TensorFlow threads than cores only adds
        contention. Only the first call in a process can set the pools
        (TensorFlow fixes them when its runtime starts); later calls return
        the module unchanged.
    """
    global _tf
    if _tf is not None:  # the path traced code takes: nothing but a global read
        return _tf
    import tensorflow as tf

    with _config_lock:
        if _tf is None:
            try:
                tf.config.threading.set_intra_op_parallelism_threads(int(threads or default_threads()))
                tf.config.threading.set_inter_op_parallelism_threads(1)
            except RuntimeError:  # the runtime is already running: keep its pools
                pass
            _tf = tf
    return _tf


#: CPU flags (Linux ``/proc/cpuinfo``) of native bfloat16 arithmetic: AVX-512 BF16, AMX.
BFLOAT16_CPU_FLAGS = ("avx512_bf16", "amx_bf16")


def fast_bfloat16(cpuinfo: str | None = None) -> bool:
    """Whether mixed bfloat16 training is faster than float32 here.

    True on a CPU with bfloat16 instructions (:data:`BFLOAT16_CPU_FLAGS`).
    Elsewhere TensorFlow emulates bfloat16: on an AVX2-only CPU a batch-8
    U-Net training step took 62 s in mixed bfloat16 against 10 s in float32
    (``benchmarks/bench_training_precision.py``, side by side), so a live
    training job must not use it there. The environment variable
    ``PATCHLAB_BFLOAT16=1`` / ``0`` overrides the check (a GPU, or a CPU
    whose flags are not in ``/proc/cpuinfo``).

    Parameters
    ----------
    cpuinfo : str, optional
        The text of ``/proc/cpuinfo`` (read when not given; a machine
        without it counts as having no bfloat16 instructions).
    """
    forced = os.environ.get("PATCHLAB_BFLOAT16", "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            return False
    flags = set()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):
            flags.update(value.split())
    return any(flag in flags for flag in BFLOAT16_CPU_FLAGS)


def short_path(path) -> str:
    """``path`` relative to the repository when it lies inside it (for messages)."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def check_model_path(path, allow_outside_models: bool = False) -> Path:
    """Resolve ``path`` and refuse it unless it lies inside ``models/``.

    Pages load only the models shipped in the repository's ``models/``
    folder; tools that train or evaluate elsewhere pass
    ``allow_outside_models=True`` explicitly. Symbolic links are resolved
    first, so a link out of ``models/`` is refused too.

    Raises
    ------
    ValueError
        For a path outside ``models/``.
    """
    path = Path(path).resolve()
    if not allow_outside_models and MODELS_DIR.resolve() not in path.parents:
        raise ValueError(f"Models are only loaded from {MODELS_DIR}; refusing {str(path)!r}.")
    return path


def load_model(path, *, what: str = "model", retrain: str = "", allow_outside_models: bool = False):
    """Load a ``.keras`` model for inference: safe mode, no compile, capped threads.

    Parameters
    ----------
    path : str or Path
        The ``.keras`` file.
    what : str
        What the model is, for messages ("classifier for patch size 18").
    retrain : str
        The command that reproduces the model; every failure message names it.
    allow_outside_models : bool
        Paths outside ``models/`` are refused unless True (:func:`check_model_path`).

    Returns
    -------
    model : keras.Model
    card : dict
        The model card beside it (``{}`` when missing or unreadable).

    Raises
    ------
    ValueError
        For a path outside ``models/``.
    ModelUnavailable
        If the file is missing or cannot be loaded (``safe_mode=True``
        refuses models that would run code when loaded, such as Lambda layers).
    """
    path = check_model_path(path, allow_outside_models)
    advice = _(" Retrain it with:\n\n    {retrain}").format(retrain=retrain) if retrain else ""
    if not path.is_file():
        raise ModelUnavailable(_("No {what} at {path}.{advice}").format(what=_(what), path=short_path(path),
                                                                       advice=advice))
    tensorflow()  # cap the thread pools before the runtime starts
    import keras

    try:
        model = keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as exc:  # noqa: BLE001 - any failure means the file is unusable
        raise ModelUnavailable(
            _("The {what} at {path} could not be loaded ({error}).{advice}").format(
                what=_(what), path=short_path(path), error=type(exc).__name__, advice=advice)
        ) from exc
    return model, read_card(path)


def card_path(model_path) -> Path:
    """The JSON model card beside a ``.keras`` file."""
    return Path(model_path).with_suffix(".json")


def read_card(model_path) -> dict:
    """The model card beside ``model_path``, or ``{}`` if it is missing or unreadable."""
    try:
        card = json.loads(card_path(model_path).read_text())
    except (OSError, ValueError):
        return {}
    return card if isinstance(card, dict) else {}


def write_atomically(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a ``.partial`` file, so an interrupted
    run never leaves half a file where a complete one is expected."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, path)
    return path


def write_card(model_path, card: dict) -> Path:
    """Write ``card`` as the JSON model card beside ``model_path`` (atomically)."""
    text = json.dumps(card, indent=2, default=str) + "\n"
    return write_atomically(card_path(model_path), text.encode())


def save_model(model, path) -> Path:
    """Save a Keras model atomically: a crash mid-write never leaves a broken model."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.stem + ".partial.keras")
    model.save(partial)
    os.replace(partial, path)
    return path
