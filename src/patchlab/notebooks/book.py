"""Writing one take-home notebook: cells, embedded pictures, files beside it, the download.

A :class:`Draft` collects the cells of a notebook in order (markdown with
pictures embedded as attachments, code), the files that must travel with it
(a photo, a mask, a model), and the page's numbers to compare with. Its
:meth:`Draft.finish` validates the notebook against the nbformat schema and
returns a :class:`Download`: the ``.ipynb`` alone when nothing else is
needed, else one ``.zip`` holding a folder with the notebook and its files.
Everything is built in memory; nothing is written to disk.

:func:`function_source` turns a function of PatchLab into a code cell: its
real source, without its docstring (the markdown around it explains) and
without any line that imports PatchLab, so the notebook's code is the code
that runs on the server.
"""

from __future__ import annotations

import ast
import base64
import datetime as _dt
import hashlib
import importlib.metadata
import inspect
import io
import pprint
import re
import textwrap
import zipfile
from dataclasses import dataclass, field

import numpy as np

from patchlab.i18n import _

__all__ = ["NotebookError", "Download", "Draft", "function_source", "png_bytes", "array_digest", "pins",
           "MAX_DOWNLOAD_BYTES", "COMPARE_SOURCE"]

#: A download larger than this is refused with a sentence (uploads of many photos, say).
MAX_DOWNLOAD_BYTES = 64 * 2**20


class NotebookError(ValueError):
    """A notebook cannot be built; the message is a sentence for the page."""


@dataclass(frozen=True)
class Download:
    """One file to offer for download: ``file_name``, its bytes ``data`` and its ``mime`` type.

    ``notebook`` is the validated notebook itself (an ``nbformat`` node),
    ``files`` the names of the files beside it in a zip (empty for a lone
    ``.ipynb``).
    """

    file_name: str
    data: bytes
    mime: str
    notebook: object = field(repr=False, default=None)
    files: tuple = ()


def pins(*names):
    """``name==version`` for each installed distribution: the versions PatchLab runs with.

    They are the versions of ``requirements.txt`` (the app is installed from
    it), so the notebook's first cell installs exactly what produced the
    page's numbers.

    Examples
    --------
    >>> pins("numpy")  # doctest: +SKIP
    ['numpy==2.4.6']
    """
    return [f"{name}=={importlib.metadata.version(name)}" for name in names]


def png_bytes(image):
    """An image ``(H, W)``, ``(H, W, 3)`` or ``(H, W, 4)`` as PNG bytes (PNG bytes pass through).

    uint8 is stored losslessly, a bool mask as 0 / 255, floats in [0, 1] are
    clipped and rounded to 8 bits.
    """
    from PIL import Image

    if isinstance(image, (bytes, bytearray)):
        return bytes(image)
    image = np.asarray(image)
    if image.dtype == bool:
        image = image.astype(np.uint8) * 255
    elif image.dtype.kind == "f":
        image = np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)
    if image.dtype != np.uint8:
        raise ValueError(f"`image` must be uint8 or bool, got {image.dtype}.")
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def array_digest(array):
    """A short fingerprint (SHA-256, 16 hex digits) of an array's shape, dtype and values.

    The notebook computes the same fingerprint of what it recomputes, so an
    exact match is checked without storing the array.
    """
    array = np.ascontiguousarray(array)
    digest = hashlib.sha256(f"{array.shape}|{array.dtype.str}|".encode())
    digest.update(array.tobytes())
    return digest.hexdigest()[:16]


_PATCHLAB_IMPORT = re.compile(r"^\s*(from\s+patchlab[\w.]*\s+import\s|import\s+patchlab)")


def function_source(*objects, replace=None):
    """The real source of functions (or classes) as one code cell's text.

    Docstrings are dropped (a first line is kept as a comment), lines that
    import PatchLab are removed, and ``replace`` (a mapping of exact text to
    its replacement) adapts what needs adapting, e.g. the app's capped
    TensorFlow import to a plain ``tf``.

    Raises
    ------
    ValueError
        When an object's source cannot be read.
    """
    parts = []
    for obj in objects:
        try:
            source = textwrap.dedent(inspect.getsource(obj))
        except (OSError, TypeError) as exc:
            raise ValueError(f"the source of {obj!r} cannot be read") from exc
        parts.append(_without_docstrings(source))
    text = "\n\n".join(parts)
    for old, new in (replace or {}).items():
        if old not in text:
            raise ValueError(f"`replace`: {old!r} is not in the source")
        text = text.replace(old, new)
    lines = [line for line in text.splitlines() if not _PATCHLAB_IMPORT.match(line)]
    return "\n".join(lines).strip() + "\n"


def _without_docstrings(source):
    """``source`` with each function's and class's docstring replaced by its first line as a comment."""
    tree = ast.parse(source)
    lines = source.splitlines()
    cuts = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                summary = first.value.value.strip().splitlines()[0] if first.value.value.strip() else ""
                indent = " " * first.col_offset
                cuts.append((first.lineno - 1, first.end_lineno, f"{indent}# {summary}" if summary else None))
    for start, end, comment in sorted(cuts, reverse=True):
        lines[start:end] = [comment] if comment else []
    return "\n".join(lines)


#: The notebook's last cell: every recomputed number beside the page's, and whether they agree.
COMPARE_SOURCE = '''\
def close(mine, shown, tol):
    """Whether the notebook's value agrees with the page's: numbers within ``tol``, the rest exactly."""
    if isinstance(shown, list):
        return isinstance(mine, list) and len(mine) == len(shown) and all(
            close(a, b, tol) for a, b in zip(mine, shown))
    if isinstance(shown, (int, float)) and not isinstance(shown, bool):
        return isinstance(mine, (int, float)) and not isinstance(mine, bool) and abs(mine - shown) <= tol
    return mine == shown


def compare(ours, page, tolerances):
    """Print each number beside the page's; True when every one agrees within its tolerance."""
    agree = 0
    for name, shown in page.items():
        mine, tol = ours.get(name), tolerances.get(name, 0)
        same = close(mine, shown, tol)
        agree += same
        text = f"notebook {mine!r}, page {shown!r}"
        print(f"{'agrees' if same else 'DIFFERS':8} {name}: {text if len(text) < 160 else text[:157] + '...'}"
              + (f" (tolerance {tol:g})" if tol else ""))
    if agree == len(page):
        print(f"All {len(page)} numbers agree with what the page showed.")
    else:
        print(f"{len(page) - agree} of {len(page)} numbers differ from what the page showed.")
    return agree == len(page)


compare(OURS, PAGE, TOLERANCES)
'''


class Draft:
    """A notebook being written, top to bottom.

    Parameters
    ----------
    page : str
        The page's name ("Patches"), for the title and the file name.
    settings : str
        The settings in a few words, for the file name ("astronaut p64 s32 hann pad").
    packages : sequence of str
        Distributions the notebook's first cell installs, pinned to the
        versions installed here (:func:`pins`).
    title : str
        The first cell's markdown: the title and what the notebook does.
    """

    def __init__(self, page, settings, packages, title):
        import nbformat

        self.page = page
        self.settings = settings
        self.cells = []
        self.files = {}
        self._nbformat = nbformat
        self._pictures = 0
        self.markdown(title + "\n\nRun the cells from top to bottom (*Run All*); the last one says whether "
                      "every number agrees with what the page showed.")
        self.code(f"%pip install --quiet {' '.join(pins(*packages))}",
                  intro="**Setting up.** This cell installs the exact versions PatchLab ran with "
                        "(already installed: nothing is downloaded). After it, the notebook runs offline.")

    # ------------------------------------------------------------------ cells
    def markdown(self, text, pictures=()):
        """A markdown cell; ``pictures`` are ``(caption, uint8 image)`` pairs embedded below the text."""
        text = textwrap.dedent(text).strip()
        attachments = {}
        for caption, image in pictures:
            self._pictures += 1
            name = f"picture{self._pictures}.png"
            attachments[name] = {"image/png": base64.b64encode(png_bytes(image)).decode("ascii")}
            text += f"\n\n![{caption}](attachment:{name})\n\n*{caption}*"
        cell = self._nbformat.v4.new_markdown_cell(text)
        if attachments:
            cell["attachments"] = attachments
        self.cells.append(cell)
        return cell

    def code(self, source, intro=None):
        """A code cell (after a markdown cell ``intro`` when given); no stored outputs."""
        if intro:
            self.markdown(intro)
        cell = self._nbformat.v4.new_code_cell(textwrap.dedent(source).strip())
        self.cells.append(cell)
        return cell

    def record(self, page_numbers, tolerances, what):
        """The code cell that records the page's numbers (``PAGE``) and how close the notebook must come."""
        self.code(f"PAGE = {pprint.pformat(_plain(page_numbers), width=100, sort_dicts=False)}\n"
                  f"TOLERANCES = {pprint.pformat(_plain(tolerances), width=100, sort_dicts=False)}",
                  intro=f"**What the page showed.** {what} The last cell compares the notebook's own "
                        "numbers with these.")

    def compare(self, text="**Does the notebook agree with the page?** Every number it recomputed, "
                           "beside the one the page showed."):
        """The last cell: :data:`COMPARE_SOURCE` (the notebook must have filled ``OURS``)."""
        self.code(COMPARE_SOURCE, intro=text)

    def add_file(self, name, data):
        """A file that travels beside the notebook (the download becomes a zip)."""
        self.files[name] = bytes(data)

    # ------------------------------------------------------------------ the download
    def stem(self, today=None):
        """``patchlab_<page>_<date>_<settings>``, safe as a file name."""
        today = today or _dt.date.today()
        words = re.sub(r"[^A-Za-z0-9.]+", "_", f"{self.page} {today.isoformat()} {self.settings}".lower())
        return "patchlab_" + words.strip("_")[:100]

    def finish(self, today=None):
        """Validate the notebook and pack it: a :class:`Download`.

        Raises
        ------
        NotebookError
            When the download would exceed :data:`MAX_DOWNLOAD_BYTES`.
        """
        nbformat = self._nbformat
        nb = nbformat.v4.new_notebook(cells=self.cells)
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nb.metadata["language_info"] = {"name": "python"}
        nb.metadata["patchlab"] = {"page": self.page, "settings": self.settings}
        nbformat.validate(nb)
        text = nbformat.writes(nb).encode("utf-8")
        stem = self.stem(today)
        size = len(text) + sum(len(v) for v in self.files.values())
        if size > MAX_DOWNLOAD_BYTES:
            raise NotebookError(
                _("This notebook and its files would make a {value} MB download; the limit is "
                "{value2} MB. Use fewer or smaller photos, then try again.").format(value=f"{size / 2**20:.0f}", value2=MAX_DOWNLOAD_BYTES // 2**20))
        if not self.files:
            return Download(f"{stem}.ipynb", text, "application/x-ipynb+json", nb)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{stem}/{stem}.ipynb", text)
            for name, data in self.files.items():
                archive.writestr(f"{stem}/{name}", data)
        return Download(f"{stem}.zip", buffer.getvalue(), "application/zip", nb, tuple(self.files))


def _plain(value):
    """``value`` with NumPy scalars and arrays, tuples and dict keys as plain Python (for a literal)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None  # NaN and infinity have no literal; None compares as "not measured"
    return value

