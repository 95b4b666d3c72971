"""A log that keeps secrets: no environment in it, no stack, no warning from the app's own code.

The shared app server of the browser tests is checked when it stops (``app_url`` in conftest.py); here,
the checker itself, and the root cause of the one leak seen: AutoGraph converting an environment access
inside traced code printed every environment variable of the server.
"""

import os
import subprocess
import sys
import textwrap

from apprunner import ROOT, log_problems


def test_the_log_checker_finds_stacks_warnings_and_secrets_and_lets_tensorflows_gpu_notes_pass():
    clean = ("2026-12-07 13:52:32.215 Uvicorn server started on 127.0.0.1:33095\n"
             "I0000 00:00:1796651581.026029   29781 cudart_stub.cc:31] Could not find cuda drivers on your machine\n"
             "E0000 00:00:1796651590.542872   29781 cuda_platform.cc:52] failed call to cuInit: INTERNAL\n"
             "I0000 00:00:1796680975.149831    9337 port.cc:153] oneDNN custom operations are on. You may see "
             "slightly different numerical results due to floating-point round-off errors from different "
             "computation orders. To turn them off, set the environment variable `TF_ENABLE_ONEDNN_OPTS=0`.\n")
    assert log_problems(clean, secrets=["s3cret-value"]) == []
    assert log_problems(clean + "Traceback (most recent call last):\n")
    assert log_problems(clean + "ValueError: floating-point round-off errors\n")  # only TensorFlow's own note passes
    assert log_problems(clean + "2026 WARNING streamlit: widget with key 'tbudget' was created with a default\n")
    assert log_problems(clean + "Thread 'job-3': missing ScriptRunContext! This warning can be ignored\n")
    assert log_problems(clean + "environ({'KEY': 's3cret-value'})\n", secrets=["s3cret-value"])


def test_traced_code_never_prints_the_environment(tmp_path):
    """A tf.function that reaches runtime.tensorflow() (as the classifier's training step does) logs no environment.

    The script is a file: AutoGraph converts only code whose source it can read (not ``python -c``). Before the
    fix, this printed the environment twice.
    """
    canary = "canary-7f3a9c"
    code = textwrap.dedent("""
        import numpy as np
        from patchlab.runtime import tensorflow
        from patchlab.classification.corners import extract_patches
        tf = tensorflow()

        @tf.function
        def step(x):
            return tf.reduce_sum(extract_patches(x, 18))

        print(float(step(np.zeros((2, 28, 28, 1), np.float32))))
    """)
    script = tmp_path / "traced_step.py"
    script.write_text(code)
    env = {**os.environ, "PATCHLAB_LOG_CANARY": canary}
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert canary not in done.stdout + done.stderr
    assert "environ(" not in done.stdout + done.stderr
