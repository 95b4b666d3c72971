"""The package's structure: every module imports on its own, and no two modules import each other.

A circle of imports works or fails depending on which module a program
imports first, and lazy imports inside functions only hide it; so the
circles are found statically, from every ``import`` statement in the
source (module level and inside functions alike).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "patchlab"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = sorted(module_name(p) for p in PACKAGE.rglob("*.py"))


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The patchlab modules one source file imports (a package's submodules resolved)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                     for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:  # `import patchlab.x.y` names a module or its package
                name = name.rpartition(".")[0]
            if name and name != here:
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    known = set(MODULES)
    return {module_name(p): imported_modules(p, known) for p in PACKAGE.rglob("*.py")}


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of imports as a list of modules (first repeated at the end), or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                circle = visit(nxt)
                if circle:
                    return circle
        state[node] = 2
        path.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            circle = visit(node)
            if circle:
                return circle
    return None


def test_the_circle_finder_finds_a_circle_and_accepts_a_tree():
    assert find_circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_circle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_import_statements_are_read_with_packages_and_relative_names(tmp_path, monkeypatch):
    root = tmp_path / "src" / "patchlab"
    (root / "topic").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "runtime.py").write_text("")
    (root / "topic" / "__init__.py").write_text("from .model import build\n")
    (root / "topic" / "model.py").write_text("def f():\n    from patchlab import runtime\n")
    monkeypatch.setattr(sys.modules[__name__], "SRC", tmp_path / "src")
    known = {"patchlab", "patchlab.runtime", "patchlab.topic", "patchlab.topic.model"}
    assert imported_modules(root / "topic" / "__init__.py", known) == {"patchlab.topic.model"}
    assert imported_modules(root / "topic" / "model.py", known) == {"patchlab.runtime"}


def test_no_module_imports_itself_back_through_others():
    circle = find_circle(import_graph())
    assert circle is None, "import circle: " + " -> ".join(circle)


def test_no_streamlit_outside_ui():
    for path in PACKAGE.rglob("*.py"):
        if "ui" in path.relative_to(PACKAGE).parts:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] in ("streamlit", "streamlit_drawable_canvas") for n in names), path


@pytest.mark.parametrize("module", [m for m in MODULES if not m.endswith("__main__")])
def test_every_module_imports_on_its_own(module):
    """In a fresh interpreter, with nothing imported before it."""
    result = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True,
                            timeout=300, env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3",
                                              "PYTHONPATH": str(SRC)})
    assert result.returncode == 0, result.stderr[-2000:]
