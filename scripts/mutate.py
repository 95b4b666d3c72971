"""Mutation testing of the code whose numbers reach a participant (``make mutate``).

Runs mutmut (configured in ``pyproject.toml`` under ``[tool.mutmut]``) on
the functions listed in :data:`TARGETS`, then sorts every mutant that the
tests did not catch ("survived") into three kinds:

- *message wording*: the mutant changed only the inside of a string (an
  error message's words or the numbers printed in it). Messages are tested
  for their key words, not for every letter; these are listed, not chased.
- *explained*: named in ``docs/testing.md`` with a one-line reason it is
  harmless (an equivalent mutant: the program behaves the same).
- *unexplained*: everything else. Each one is a test to write or a reason
  to add to the docs.

Prints a table and writes ``bench/mutation.json``. Not part of ``make test``:
it runs the selected tests once per mutant (1 h 40 min for 1,560 mutants on 2 busy cores).
"""

from __future__ import annotations

import argparse
import fnmatch
import io
import json
import re
import shutil
import subprocess
import sys
import time
import tokenize
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MUTMUT = [sys.executable, "-m", "mutmut"]

#: (what a participant would see go wrong, mutant-name pattern)
TARGETS = [
    ("patch engine API", "patchlab.patches.api.*"),
    ("fusion rules", "patchlab.classification.fusion.*"),
    ("canvas preprocessing", "patchlab.classification.preprocess.*"),
    ("canvas-to-mask mapping", "patchlab.inpainting.masks.x_canvas_to_mask*"),
    ("image reading", "patchlab.images.x_read_image*"),
    ("image reading", "patchlab.images.x__to_rgb_uint8*"),
    ("image reading", "patchlab.images.x__stretch_to_uint8*"),
    ("image reading", "patchlab.images.x_limit_size*"),
    ("inpainting composite", "patchlab.inpainting.infer.xǁInpainterǁinpaint*"),
    ("inpainting composite", "patchlab.inpainting.infer.x_check_inputs*"),
]

EXPLAINED = ROOT / "docs" / "testing.md"


def code_without_strings(line: str) -> str:
    """The tokens of a line of code with every string's content blanked."""
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline):
            if tok.type == tokenize.STRING:
                out.append("''")
            elif tok.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT,
                                  tokenize.DEDENT, tokenize.COMMENT):
                out.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return line.strip()
    return " ".join(out)


def changed_lines(diff: str) -> tuple[list[str], list[str]]:
    minus = [ln[1:] for ln in diff.splitlines() if ln.startswith("-") and not ln.startswith("---")]
    plus = [ln[1:] for ln in diff.splitlines() if ln.startswith("+") and not ln.startswith("+++")]
    return minus, plus


def message_only(diff: str) -> bool:
    """True when the mutant changed nothing but the inside of strings."""
    minus, plus = changed_lines(diff)
    if not minus or len(minus) != len(plus):
        return False
    return all(code_without_strings(a) == code_without_strings(b) for a, b in zip(minus, plus))


def explained_mutants() -> dict[str, str]:
    """``mutant name -> reason`` from the table in docs/testing.md."""
    reasons = {}
    if EXPLAINED.exists():
        for row in EXPLAINED.read_text().splitlines():
            m = re.match(r"\|\s*`([\w.ǁ]+__mutmut_\d+)`\s*\|[^|]*\|\s*(.+?)\s*\|\s*$", row)
            if m:
                reasons[m.group(1)] = m.group(2)
    return reasons


def results() -> dict[str, str]:
    text = subprocess.run(MUTMUT + ["results", "--all", "true"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout
    found = {}
    for row in text.splitlines():
        name, _, status = row.strip().rpartition(": ")
        if "__mutmut_" in name:
            found[name] = status
    return found


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "mutation.json")
    parser.add_argument("--keep", action="store_true", help="reuse ./mutants (resume a run)")
    parser.add_argument("--report-only", action="store_true",
                        help="no new run: report what ./mutants holds (mutants not run yet count as 'not run')")
    args = parser.parse_args(argv)

    seconds = 0.0
    if not args.report_only:
        if not args.keep:
            shutil.rmtree(ROOT / "mutants", ignore_errors=True)
        started = time.monotonic()
        run = subprocess.run(MUTMUT + ["run", *[pattern for _, pattern in TARGETS]], cwd=ROOT,
                             capture_output=True, text=True)
        seconds = time.monotonic() - started
        if run.returncode != 0:
            print(run.stdout[-3000:], run.stderr[-3000:], sep="\n")
            print(f"mutmut run failed (exit {run.returncode})")
            return 1

    statuses = results()
    reasons = explained_mutants()
    groups: dict[str, dict] = {}
    survivors = []
    for name, status in sorted(statuses.items()):
        group = next((g for g, pattern in TARGETS if fnmatch.fnmatchcase(name, pattern)), None)
        if group is None:
            continue
        counts = groups.setdefault(group, {"killed": 0, "survived": 0, "timeout": 0, "not run": 0, "other": 0})
        if status == "killed":
            counts["killed"] += 1
        elif status == "timeout":  # ran past its CPU limit: an endless loop, or undetermined
            counts["timeout"] += 1
        elif status == "not checked":
            counts["not run"] += 1
        elif status == "survived":
            counts["survived"] += 1
            diff = subprocess.run(MUTMUT + ["show", name], cwd=ROOT, capture_output=True, text=True).stdout
            minus, plus = changed_lines(diff)
            kind = ("message wording" if message_only(diff) else "explained" if name in reasons
                    else "unexplained")
            survivors.append({"mutant": name, "group": group, "kind": kind, "was": minus, "now": plus,
                              "reason": reasons.get(name, "")})
        else:
            counts["other"] += 1  # segfaults, no covering test

    print(f"\nmutmut over {len(groups)} groups, {seconds / 60:.1f} min\n")
    print(f"{'group':<26}{'mutants':>8}{'killed':>8}{'survived':>9}{'msg only':>9}{'explained':>10}"
          f"{'unexpl.':>8}{'timeout':>8}{'not run':>8}{'other':>6}")
    for group, counts in groups.items():
        mine = [s for s in survivors if s["group"] == group]
        total = sum(counts.values())
        print(f"{group:<26}{total:>8}{counts['killed']:>8}{counts['survived']:>9}"
              f"{sum(s['kind'] == 'message wording' for s in mine):>9}"
              f"{sum(s['kind'] == 'explained' for s in mine):>10}"
              f"{sum(s['kind'] == 'unexplained' for s in mine):>8}"
              f"{counts['timeout']:>8}{counts['not run']:>8}{counts['other']:>6}")
    unexplained = [s for s in survivors if s["kind"] == "unexplained"]
    for s in unexplained:
        print(f"\nUNEXPLAINED {s['mutant']}\n  - {' / '.join(x.strip() for x in s['was'])}"
              f"\n  + {' / '.join(x.strip() for x in s['now'])}")
    report = {"minutes": round(seconds / 60, 1), "groups": groups, "survivors": survivors,
              "created": time.strftime("%Y-%m-%d %H:%M:%S")}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
