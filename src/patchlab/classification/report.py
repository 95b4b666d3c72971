"""The saved evaluation of the shipped classifiers, and its tables.

``models/classification_eval.json`` is written by
``python -m patchlab.classification.evaluate``; the page and the docs show
the tables built here from it. Reading it needs neither TensorFlow nor the
models.
"""

from __future__ import annotations

import json
from pathlib import Path

from patchlab import MODELS_DIR
from patchlab.i18n import N_, _

EVAL_PATH = MODELS_DIR / "classification_eval.json"


def read_classification_report(path: Path | str = EVAL_PATH) -> dict | None:
    """The saved evaluation report, or None if it has not been produced yet."""
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else None


def size_table(report: dict) -> list[dict]:
    """One row per patch size: best/mean single patch and every fusion rule (percent)."""
    rows = []
    for p, e in report["patch_sizes"].items():
        if "test" not in e:
            rows.append({"patch size": int(p), "note": _("model missing")})
            continue
        single = e["test"]["single_patch"]
        row = {
            "patch size": int(p),
            "patches": e["n_patches"],
            "best single patch %": 100 * max(single),
            "worst single patch %": 100 * min(single),
        }
        row.update({f"{rule} %": 100 * e["test"]["fused"][rule] for rule in report["rules"]})
        row["mouse-drawn (mean) %"] = 100 * e["drawn"]["fused"]["mean"]
        if "drawn_faithful" in e:
            row["mouse-drawn, loops kept (mean) %"] = 100 * e["drawn_faithful"]["fused"]["mean"]
        rows.append(row)
    return rows


def patch_table(report: dict, patch_size: int) -> list[dict]:
    """Accuracy of each single patch and each rule for one patch size (percent)."""
    e = report["patch_sizes"].get(str(patch_size), {})
    if "test" not in e:
        return []
    rows = [
        {"classifier": f"patch {name}", "MNIST test %": 100 * a, "mouse-drawn %": 100 * b}
        for name, a, b in zip(e["patch_names"], e["test"]["single_patch"], e["drawn"]["single_patch"])
    ]
    rows += [
        {"classifier": f"fused: {rule}", "MNIST test %": 100 * e["test"]["fused"][rule],
         "mouse-drawn %": 100 * e["drawn"]["fused"][rule]}
        for rule in report["rules"]
    ]
    return rows


def _pct(a: float) -> str:
    return f"{100 * a:.2f}"


def _interval(bounds) -> str:
    return f"{100 * bounds[0]:.2f}–{100 * bounds[1]:.2f}" if bounds else ""


def interval_table(report: dict, patch_size: int | None = None) -> list[dict]:
    """Every single patch and every fusion rule of every patch size, test and drawn, with 95 % intervals.

    One row per classifier (``patch_size`` None: every patch size); accuracies
    in percent with two decimals, intervals as ``"low–high"``. Reports written
    before intervals were saved give empty interval cells.
    """
    rows = []
    for p, e in report["patch_sizes"].items():
        if "test" not in e or (patch_size is not None and int(p) != patch_size):
            continue
        iv = e.get("intervals", {})
        entries = [(f"patch {name}", ("single_patch", i)) for i, name in enumerate(e["patch_names"])]
        if e["n_patches"] > 1:
            entries += [(f"fused: {rule}", ("fused", rule)) for rule in report["rules"]]
        for name, (kind, key) in entries:
            def get(d):
                return d.get(kind, {} if kind == "fused" else [])[key] if d else None
            rows.append({"patch size": int(p), "classifier": name,
                         "MNIST test %": _pct(get(e["test"])), "95 % interval": _interval(get(iv.get("test"))),
                         "mouse-drawn %": _pct(get(e["drawn"])),
                         "95 % interval (drawn)": _interval(get(iv.get("drawn")))})
    return rows


#: LeNet-5's error on MNIST's official test set, 0.95 %, and its weights, about 60,000 (LeCun, Bottou,
#: Bengio and Haffner, "Gradient-based learning applied to document recognition", Proc. IEEE 86(11), 1998).
LENET5_ACCURACY, LENET5_WEIGHTS = 99.05, 60_000


def published_comparison(report: dict, patch_size: int) -> str | None:
    """One sentence setting the fused (mean) test accuracy of ``patch_size`` beside LeNet-5's; None without figures.

    >>> entry = {"test": {"fused": {"mean": 0.9931}}, "n_patches": 4, "parameters": 160298}
    >>> print(published_comparison({"patch_sizes": {"18": entry}}, 18))
    For comparison: LeNet-5, a CNN of about 60,000 weights, reads 99.05 % of this test set (LeCun et al., 1998). The shipped p = 18 model, one CNN of 160,298 weights shared by its four patches, reads 99.31 % fused by the mean.
    """
    e = report.get("patch_sizes", {}).get(str(patch_size), {})
    if "test" not in e:
        return None
    lenet = _("For comparison: LeNet-5, a CNN of about {weights} weights, reads {accuracy} % of this test set "
              "(LeCun et al., 1998).").format(weights=f"{LENET5_WEIGHTS:,}", accuracy=f"{LENET5_ACCURACY:.2f}")
    accuracy = 100 * e["test"]["fused"]["mean"]
    weights = e.get("parameters")
    if not weights:
        ours = _("The shipped p = {p} model reads {accuracy} % fused by the mean.")
    elif e.get("n_patches", 1) > 1:
        ours = _("The shipped p = {p} model, one CNN of {weights} weights shared by its four patches, reads "
                 "{accuracy} % fused by the mean.")
    else:
        ours = _("The shipped p = {p} model, one CNN of {weights} weights on the whole digit, reads {accuracy} %.")
    return lenet + " " + ours.format(p=patch_size, weights=f"{weights or 0:,}", accuracy=f"{accuracy:.2f}")


def markdown_table(rows: list[dict]) -> str:
    """A list of dicts as a Markdown table (floats with 1 decimal)."""
    if not rows:
        return ""
    keys = list(dict.fromkeys(k for r in rows for k in r))
    fmt = lambda v: f"{v:.1f}" if isinstance(v, float) else ("" if v is None else str(v))  # noqa: E731
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(fmt(r.get(k)) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


#: Every column the page's tables may have (English keys, as the report and the notebooks read them).
COLUMNS = (N_("patch size"), N_("note"), N_("patches"), N_("best single patch %"), N_("worst single patch %"),
           N_("mean %"), N_("product %"), N_("max %"), N_("vote %"), N_("mouse-drawn (mean) %"),
           N_("mouse-drawn, loops kept (mean) %"), N_("classifier"), N_("MNIST test %"), N_("mouse-drawn %"),
           N_("95 % interval"), N_("95 % interval (drawn)"), N_("fusion rule"), N_("answer"), N_("confidence %"))


def in_words(rows: list[dict]) -> list[dict]:
    """Table rows as the page shows them: headers and names in the run's language (the rows stay English).

    ``patch top-left`` and ``fused: mean`` are worded too; numbers are left as they are.

    >>> in_words([{"classifier": "patch top-left", "MNIST test %": 97.5}])
    [{'classifier': 'patch top-left', 'MNIST test %': 97.5}]
    """
    def cell(value):
        if not isinstance(value, str):
            return value
        if value.startswith("patch "):
            return _("patch {name}").format(name=_(value[len("patch "):]))
        if value.startswith("fused: "):
            return _("fused: {rule}").format(rule=_(value[len("fused: "):]))
        return _(value)

    return [{_(key): cell(value) for key, value in row.items()} for row in rows]
