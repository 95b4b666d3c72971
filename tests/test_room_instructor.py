"""The instructor's key (patchlab.room.instructor): made once, private, compared in constant time."""

from __future__ import annotations

import subprocess
import sys

import pytest

from apprunner import ROOT
from patchlab.room import instructor
from patchlab.room.instructor import instructor_key, instructor_link, is_instructor

NO_ENV: dict = {}


def test_the_key_is_made_once_kept_private_and_never_committed(tmp_path):
    path = tmp_path / "run" / "instructor_key"
    key = instructor_key(path, NO_ENV)
    assert len(key) >= 16 and instructor_key(path, NO_ENV) == key  # the same key every time
    assert path.stat().st_mode & 0o077 == 0  # mode 0600
    other = instructor_key(tmp_path / "elsewhere", NO_ENV)
    assert other != key  # a new room, a new key
    ignored = subprocess.run(["git", "check-ignore", "-q", "run/instructor_key"], cwd=ROOT)
    assert ignored.returncode == 0, "run/ must be ignored by git"
    assert instructor.KEY_FILE == ROOT / "run" / "instructor_key"


def test_the_environment_sets_the_key_and_a_bad_one_is_refused(tmp_path):
    env = {"PATCHLAB_INSTRUCTOR_KEY": "  workshop-2026-berlin  "}
    assert instructor_key(tmp_path / "k", env) == "workshop-2026-berlin"
    assert not (tmp_path / "k").exists()  # nothing is written when the key is given
    for bad in ("short", "has spaces in the middle", "x" * 129, "<script>alert(1)</script>"):
        with pytest.raises(ValueError, match="PATCHLAB_INSTRUCTOR_KEY"):
            instructor_key(tmp_path / "k", {"PATCHLAB_INSTRUCTOR_KEY": bad})
    (tmp_path / "broken").write_text("not a key!\n")
    with pytest.raises(ValueError, match="delete it"):
        instructor_key(tmp_path / "broken", NO_ENV)


def test_only_the_right_key_opens_the_room(tmp_path):
    path = tmp_path / "key"
    key = instructor_key(path, NO_ENV)
    assert is_instructor(key, path, NO_ENV)
    assert is_instructor(f" {key}\n", path, NO_ENV)  # pasted with spaces around
    for wrong in (None, "", key[:-1], key + "x", key.upper() if key.upper() != key else key.lower(), [key], 42):
        assert not is_instructor(wrong, path, NO_ENV), wrong
    # a key that cannot be read opens nothing (and raises nothing)
    assert not is_instructor("anything-at-all-16", tmp_path / "k", {"PATCHLAB_INSTRUCTOR_KEY": "bad"})


def test_the_link_opens_the_room_page_with_the_key(tmp_path):
    env = {"PATCHLAB_INSTRUCTOR_KEY": "workshop-2026-berlin"}
    assert instructor_link("http://localhost:8501", environ=env) == "http://localhost:8501/room?key=workshop-2026-berlin"
    assert instructor_link("https://lab.example.org/", environ=env).startswith("https://lab.example.org/room?key=")
    with pytest.raises(ValueError, match="base_url"):
        instructor_link("localhost:8501", environ=env)


def test_the_command_prints_the_link_make_run_shows(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src"), "PATCHLAB_INSTRUCTOR_KEY": "workshop-2026-berlin"}
    done = subprocess.run([sys.executable, "-m", "patchlab.room.instructor", "--link", "http://localhost:8600"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("http://localhost:8600/room?key=workshop-2026-berlin")
    env["PATCHLAB_INSTRUCTOR_KEY"] = "bad"
    done = subprocess.run([sys.executable, "-m", "patchlab.room.instructor"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert done.returncode == 2 and "PATCHLAB_INSTRUCTOR_KEY" in done.stderr and "Traceback" not in done.stderr
