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


def load_model(path):
    """Load a ``.keras`` model for inference: safe mode, no compile, capped threads.

    ``safe_mode=True`` refuses models that would run arbitrary code when
    loaded (Lambda layers). Raises whatever Keras raises for a missing or
    corrupt file; callers turn that into advice for the user.
    """
    tensorflow()  # cap the thread pools before the runtime starts
    import keras

    return keras.models.load_model(path, safe_mode=True, compile=False)
