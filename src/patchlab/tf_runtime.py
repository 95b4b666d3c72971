"""TensorFlow, imported lazily and configured once for a small shared server.

Pages that need TensorFlow call :func:`tensorflow` instead of importing it at
module level, so pages without models start fast. Thread pools are capped
(``PATCHLAB_TF_THREADS``, default: the number of cores, at most 2 per op)
because Streamlit serves every participant from threads of one process:
more TensorFlow threads than cores only adds contention.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

_configured = False
_config_lock = threading.Lock()


def tensorflow():
    """Import TensorFlow, cap its thread pools (once) and return the module."""
    global _configured
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    if not _configured:
        with _config_lock:
            if not _configured:
                threads = int(os.environ.get("PATCHLAB_TF_THREADS", min(2, os.cpu_count() or 1)))
                try:
                    tf.config.threading.set_intra_op_parallelism_threads(threads)
                    tf.config.threading.set_inter_op_parallelism_threads(1)
                except RuntimeError:  # the runtime is already running: keep its pools
                    pass
                _configured = True
    return tf


def check_model_path(path, allow_outside_models=False):
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
    from patchlab import MODELS_DIR

    path = Path(path).resolve()
    if not allow_outside_models and MODELS_DIR.resolve() not in path.parents:
        raise ValueError(f"Models are only loaded from {MODELS_DIR}; refusing {str(path)!r}.")
    return path


def load_model(path, allow_outside_models=False):
    """Load a ``.keras`` model for inference: safe mode, no compile, capped threads.

    ``safe_mode=True`` refuses models that would run arbitrary code when
    loaded (Lambda layers); paths outside ``models/`` are refused unless
    ``allow_outside_models`` (:func:`check_model_path`). Raises whatever
    Keras raises for a missing or corrupt file; callers turn that into
    advice for the user.
    """
    path = check_model_path(path, allow_outside_models)
    tensorflow()  # cap the thread pools before the runtime starts
    import keras

    return keras.models.load_model(path, safe_mode=True, compile=False)
