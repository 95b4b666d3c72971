"""Fetch one pinned package file with the machine's own package client (pip or apt-get).

The extra training photos (:mod:`.opencv_photos`, :mod:`.debian_photos`)
come from packages. They are fetched by name and version with the clients
this machine is set up with, so the machine's own configuration decides
where packages come from; PatchLab names no package source. Each caller
then checks the file's SHA-256 against the one it pins.
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["pip_download", "apt_download", "run_client"]


def run_client(command, client, timeout):
    """Run ``command`` in a fresh temporary folder; return the one file it leaves there.

    Parameters
    ----------
    command : list of str
        The client's command line; it must write its download into the
        current folder (``{folder}`` in an argument is replaced by that folder).
    client : str
        The client's name, for messages (``'pip'``, ``'apt-get'``).
    timeout : float
        Seconds to wait for it.

    Returns
    -------
    name : str
        The downloaded file's name.
    data : bytes
        Its contents (the temporary folder is removed).

    Raises
    ------
    OSError
        In one line, when the client is missing, fails, times out or does
        not leave exactly one file.
    """
    with tempfile.TemporaryDirectory(prefix="patchlab-download-") as folder:
        argv = [arg.replace("{folder}", folder) for arg in command]
        shown = " ".join(shlex.quote(a) for a in command).replace(shlex.quote(sys.executable), "python")
        try:
            done = subprocess.run(argv, cwd=folder, capture_output=True, text=True, timeout=timeout)
        except FileNotFoundError:
            raise OSError(f"{client} is not installed on this machine") from None
        except subprocess.TimeoutExpired:
            raise OSError(f"`{shown}` took more than {timeout:g} s") from None
        if done.returncode:
            lines = [line.strip() for line in (done.stderr or done.stdout or "").splitlines() if line.strip()]
            why = lines[-1] if lines else f"exit status {done.returncode}"
            raise OSError(f"`{shown}` failed: {why}")
        files = sorted(p for p in Path(folder).iterdir() if p.is_file())
        if len(files) != 1:
            raise OSError(f"`{shown}` left {len(files)} files, expected one")
        return files[0].name, files[0].read_bytes()


def pip_download(name, version, timeout=600):
    """The source package ``name==version``, fetched with pip (no dependencies, no wheel).

    ``--no-binary`` names only this package: pip reads a source package's
    metadata before saving it, and the build tools it installs for that
    may come as wheels (asking for every package from source would build
    NumPy from source first).
    """
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", name,
               f"{name}=={version}", "-d", "{folder}"]
    return run_client(command, "pip", timeout)


def apt_download(name, version, timeout=600):
    """The Debian package ``name=version`` (a ``.deb``), fetched with ``apt-get download``."""
    return run_client(["apt-get", "download", f"{name}={version}"], "apt-get", timeout)
