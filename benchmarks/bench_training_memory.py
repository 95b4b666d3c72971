"""Memory a server keeps after live trainings: RSS after each of N short runs, dropped as the server drops them.

Each run is the Train page's job (``patchlab.classification.live``) with a
tiny budget of steps, run in a worker thread like the server's job runner;
its model is then dropped, the garbage collected and free heap pages handed
back (what the runner does when a participant's jobs are forgotten). The
RSS after each run shows what stays behind per run. ``--clear`` also clears
Keras's global state after each run (``keras.backend.clear_session``), to
see how much of what stays is Keras's and TensorFlow's bookkeeping.

    python benchmarks/bench_training_memory.py --runs 20 [--clear]
"""

from __future__ import annotations

import argparse
import gc
import threading
from pathlib import Path


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--clear", action="store_true", help="keras.backend.clear_session() after each run")
    args = parser.parse_args()

    from patchlab.classification import live
    from patchlab.memory import release_free_memory

    def one(k: int) -> None:
        request = live.TrainRequest(18, steps=args.steps, augment=True, seed=1234 + k)
        box = {}
        thread = threading.Thread(target=lambda: box.update(model=live._train(request, lambda e: None,
                                                                                   lambda: False, live.StepClock())))
        thread.start()
        thread.join()
        del box
        if args.clear:
            import keras

            keras.backend.clear_session()
        gc.collect()
        release_free_memory()

    one(0)  # warm-up: TensorFlow, the first trace, the synthetic drawings
    start = rss_mb()
    print(f"after a warm-up run: {start:.0f} MB")
    for k in range(1, args.runs + 1):
        one(k)
        if k in (1, 2, 5) or k % 5 == 0:
            print(f"after {k:2d} more runs: {rss_mb():.0f} MB ({rss_mb() - start:+.0f} MB)", flush=True)


if __name__ == "__main__":
    main()
