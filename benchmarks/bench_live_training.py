"""Accuracy after a time budget of live training, per patch size, and the time per training step.

Each run is exactly what the *Train a classifier* page runs (the job of
``patchlab.classification.live``, through ``train_classifier``): the shipped
recipe's augmentation and synthetic drawings, a learning rate decaying over
the steps expected to fit the budget, the weights of the best validation
check kept. It prints, per patch size and budget, the fused (mean) and the
best single patch's accuracy on the 1,000 held-out test digits, the steps
taken and the seconds per step (validation checks included).

The synthetic mouse drawings are prepared once, before the first run (the
server does the same, once per process) and not counted in any budget.
Runs the table on a quiet machine: other processes change every figure.

    python benchmarks/bench_live_training.py                          # p = 10..28 x 30/60/120 s (~18 min)
    python benchmarks/bench_live_training.py --sizes 18 --seconds 60  # one run
    python benchmarks/bench_live_training.py --interference           # predict latency while training
    python benchmarks/bench_live_training.py --recipes                # 60 s at p = 18: the page's recipe beside
                                                                      # the shipped models' settings and the
                                                                      # previous recipe, on the drawn test digits

``--interference`` times one shipped-model prediction (p = 18) alone, with a
training running in a background thread of the same process, and with the
training pausing for it (``patchlab.jobs.interactive``), as on the server.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import statistics
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 0.97  # fused (mean) after 60 s at p = 18 on a quiet 2-core CPU
DRAWN_TARGET = 0.95  # fused (mean) on the mouse-drawn official test digits after 60 s at p = 18


def load() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return float("nan")


def train_once(patch_size: int, seconds: float, clock) -> dict:
    from patchlab.classification import live

    request = live.TrainRequest(patch_size, seconds=float(seconds))
    events = []
    began = time.perf_counter()
    model = live._train(request, events.append, lambda: False, clock)
    return {
        "patch_size": patch_size, "budget_s": seconds, "steps": model.steps,
        "loop_s": round(model.seconds, 1), "job_s": round(time.perf_counter() - began, 1),
        "s_per_step": round(model.seconds / max(model.steps, 1), 4),
        "fused_mean": model.test["fused"]["mean"], "best_single": max(model.test["single_patch"]),
        "val_fused_mean": model.card["evaluation"]["val"]["fused"]["mean"],
        "fused": model.test["fused"], "single_patch": model.test["single_patch"], "n_test": model.n_test,
        "load_after": load(),
    }


def set_nice(value: int | None) -> None:
    """Give every thread of this process the niceness ``value`` (None: leave it); lowering it needs root."""
    if value is None:
        return
    for tid in os.listdir("/proc/self/task"):
        try:
            os.setpriority(os.PRIO_PROCESS, int(tid), value)
        except (OSError, ValueError):
            pass


def shipped_settings(config):
    """The page's run with the shipped models' settings instead of the one-minute recipe (what the page used
    before ``recipe.ONE_MINUTE``): learning rate 2e-3, 50 % redrawn, label smoothing 0.05."""
    from patchlab.classification.config import TrainConfig

    defaults = TrainConfig(config.patch_size)
    return dataclasses.replace(config, learning_rate=defaults.learning_rate, redrawn=defaults.redrawn,
                               label_smoothing=defaults.label_smoothing)


def previous_recipe(config):
    """The recipe the page used before all of MNIST: 8,000 training digits, 30 % of them redrawn (one drawing each)."""
    epochs = max(1, math.ceil(config.epochs * (55000 / 8000)))  # the same planned steps: the budget ends the run
    return dataclasses.replace(shipped_settings(config), max_train=8000, redrawn=0.3, redrawn_digits=8000,
                               epochs=epochs)


def recipes(patch_size: int = 18, seconds: float = 60.0, timed_nice: int | None = None,
            steps: int | None = None) -> dict:
    """The three recipes for ``seconds`` at ``patch_size``, each scored on all official test digits and their drawings.

    The page's recipe is the configuration the page builds (``live.training_config``);
    each run gets its synthetic drawings prepared before its budget, as the server does.
    ``timed_nice``: the niceness of the timed runs only (the bench may run
    niced on a shared machine, but a participant's run is not). ``steps``:
    instead of the clock, a budget of that many steps (the learning rate
    decays over them), e.g. the steps a 60-s run takes on a quiet machine:
    the same figure whatever else the machine is doing.
    """
    from patchlab.classification import live
    from patchlab.classification.accuracy import accuracies, accuracy_intervals, batch_patch_probabilities
    from patchlab.classification.evaluate import drawn_test_set
    from patchlab.classification.train import train_classifier

    began = time.perf_counter()
    digits = drawn_test_set()
    n = len(digits["labels"])
    print(f"{n} official test digits redrawn in {time.perf_counter() - began:.0f} s", flush=True)
    page_config = live.training_config(live.TrainRequest(patch_size, seconds=float(seconds)), live.StepClock())[0]
    if steps is not None:
        page_config = dataclasses.replace(page_config, seconds=None, steps=steps)
    out = {"n_digits": n, "budget": f"{steps} steps" if steps else f"{seconds:g} s", "runs": []}
    for name, config in (("page's recipe", page_config), ("shipped settings", shipped_settings(page_config)),
                         ("previous recipe", previous_recipe(page_config))):
        pools = live.redrawn_pools(config)
        before = os.getpriority(os.PRIO_PROCESS, 0)
        set_nice(timed_nice)
        try:
            run = train_classifier(config, redrawn_pools=pools)
        finally:
            set_nice(before if timed_nice is not None else None)
        scores = {}
        for kind, images in (("test", digits["images"]), ("drawn", digits["drawn"])):
            acc = accuracies(batch_patch_probabilities(run.model, images, patch_size), digits["labels"])
            scores[kind] = {"fused_mean": acc["fused"]["mean"], "accuracy": acc,
                            "intervals": accuracy_intervals(acc, n)}
        row = {"recipe": name, "command": config.command(), "steps": run.steps,
               "loop_s": round(run.wall_time_s, 1), **scores, "load_after": load()}
        out["runs"].append(row)
        d, t = scores["drawn"], scores["test"]
        print(f"{name:16s} {run.steps:5d} steps  drawn fused (mean) {100 * d['fused_mean']:.2f} % "
              f"[{100 * d['intervals']['fused']['mean'][0]:.2f}-{100 * d['intervals']['fused']['mean'][1]:.2f}]  "
              f"MNIST test {100 * t['fused_mean']:.2f} %  (load {row['load_after']})", flush=True)
    return out


def interference(seconds: float = 20.0, calls: int = 60) -> dict:
    """Latency of one p = 18 prediction: alone, beside a training thread, and with the training pausing."""
    from patchlab.classification import DigitClassifier, live
    from patchlab.classification.data import load_split
    from patchlab.jobs import interactive

    clf = DigitClassifier.load(18)
    x = load_split("test")[0][:calls].astype("float32") / 255.0
    for digit in x[:5]:
        clf.predict(digit)

    def timed(wrap: bool) -> list:
        out = []
        for digit in x:
            began = time.perf_counter()
            if wrap:
                with interactive():
                    clf.predict(digit)
            else:
                clf.predict(digit)
            out.append(1000 * (time.perf_counter() - began))
            time.sleep(0.1)
        return out

    def summary(ms):
        ms = sorted(ms)
        return {"p50_ms": round(statistics.median(ms), 1), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1)}

    result = {"alone": summary(timed(False))}
    for name, wrap in (("training", False), ("training, pausing for it", True)):
        stop = threading.Event()
        request = live.TrainRequest(18, seconds=seconds)
        thread = threading.Thread(target=lambda: live._train(request, lambda e: None, stop.is_set, live.StepClock()))
        thread.start()
        time.sleep(6)  # past the setting-up
        result[name] = summary(timed(wrap))
        stop.set()
        thread.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 14, 18, 22, 28])
    parser.add_argument("--seconds", type=float, nargs="+", default=[30, 60, 120])
    parser.add_argument("--interference", action="store_true", help="time predictions beside a training instead")
    parser.add_argument("--recipes", action="store_true",
                        help="60 s at p = 18, the page's recipe beside the shipped settings and the previous one, scored on the drawn test set")
    parser.add_argument("--steps", type=int, default=None,
                        help="with --recipes: a budget of N steps instead of the clock (e.g. 626, a quiet 60-s run)")
    parser.add_argument("--timed-nice", type=int, default=None,
                        help="with --recipes: niceness of the two timed runs only (e.g. 0 in a niced bench)")
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "live_training.json")
    args = parser.parse_args()

    from patchlab.classification import live
    from patchlab.runtime import tensorflow, write_atomically

    tf = tensorflow(threads=2)
    from patchlab.classification.train import machine_name

    machine = {"machine": machine_name(),
               "threads": f"TensorFlow intra-op {tf.config.threading.get_intra_op_parallelism_threads()}, "
                          f"inter-op {tf.config.threading.get_inter_op_parallelism_threads()}",
               "load_at_start": load()}
    began = time.perf_counter()
    live.redrawn_pools(live.training_config(live.TrainRequest())[0])
    machine["redrawing_s"] = round(time.perf_counter() - began, 1)
    print(f"{machine['machine']}; {machine['threads']}; load {machine['load_at_start']}; "
          f"synthetic drawings prepared in {machine['redrawing_s']} s (once)")

    if args.recipes:
        result = {**machine, "recipes": recipes(seconds=args.seconds[0] if len(args.seconds) == 1 else 60.0,
                                                      timed_nice=args.timed_nice, steps=args.steps),
                  "target": f"drawn fused (mean) >= {DRAWN_TARGET:.0%} after 60 s at p = 18"}
    elif args.interference:
        result = {**machine, "interference": interference()}
        for name, row in result["interference"].items():
            print(f"predict p=18, {name:26s} p50 {row['p50_ms']:7.1f} ms   p95 {row['p95_ms']:7.1f} ms")
    else:
        rows = []
        print(f"{'p':>3} {'budget':>7} {'steps':>6} {'s/step':>7} {'fused (mean)':>13} {'best single':>12}")
        for p in args.sizes:
            clock = live.StepClock()  # each size starts from the estimate, like a fresh server
            for seconds in args.seconds:
                row = train_once(p, seconds, clock)
                rows.append(row)
                print(f"{p:>3} {seconds:>6g}s {row['steps']:>6} {row['s_per_step']:>7.3f} "
                      f"{100 * row['fused_mean']:>12.1f}% {100 * row['best_single']:>11.1f}%", flush=True)
        result = {**machine, "runs": rows, "target": f"fused (mean) >= {TARGET:.0%} after 60 s at p = 18"}
    result["load_at_end"] = load()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(args.json, (json.dumps(result, indent=2) + "\n").encode())
    print(f"load average at the end {result['load_at_end']}; wrote {args.json}")


if __name__ == "__main__":
    main()
