"""Fonts for figures and picture labels that may be Chinese.

Matplotlib's own font (DejaVu Sans) has no Chinese glyphs: Chinese text in
a figure would come out as empty boxes ("tofu") with a "Glyph missing"
warning. ``make run`` and ``make test`` install Debian's ``fonts-wqy-microhei``
(WenQuanYi Micro Hei, 5 MB; ``fonts-noto-cjk`` is used instead where it is
installed). :func:`use_in_figures` adds it to matplotlib as a *fallback*
behind DejaVu Sans: a glyph DejaVu Sans lacks comes from the Chinese font, so
an English figure is drawn exactly as before and a Chinese one has no tofu.
It is one setting for the whole process (matplotlib's settings are global,
and participants in both languages draw figures at the same time), made
once, the first time a Chinese page is drawn.

Labels drawn with Pillow (a colour bar's ticks) have no fallback:
:func:`draw_label` draws each run of Chinese characters with the Chinese
font and the rest (digits, ε, ×, 10⁻⁷) with DejaVu Sans, which has every
symbol the pages use; :func:`label_width` measures such a label.
"""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path

__all__ = ["CJK_FONT_FILES", "cjk_font_file", "use_in_figures", "needs_cjk", "label_font", "label_runs",
           "label_width", "draw_label"]

#: Where Debian's Chinese fonts live, the preferred first: (file, family name as matplotlib reads it).
CJK_FONT_FILES = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", "WenQuanYi Micro Hei"),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "Noto Sans CJK JP"),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "WenQuanYi Zen Hei"),
)
_lock = threading.Lock()
_done = False


@functools.lru_cache(maxsize=1)
def cjk_font_file() -> tuple[str, str] | None:
    """``(path, family)`` of the first Chinese font installed, or None."""
    for path, family in CJK_FONT_FILES:
        if os.path.exists(path):
            return path, family
    return None


def use_in_figures() -> bool:
    """Make matplotlib fall back on the Chinese font (once per process); False when none is installed."""
    global _done
    if _done:
        return True
    found = cjk_font_file()
    if found is None:
        return False
    with _lock:
        if not _done:
            import matplotlib
            from matplotlib import font_manager

            path, family = found
            names = {entry.name for entry in font_manager.fontManager.ttflist}
            if family not in names:  # installed after matplotlib cached its list of fonts
                font_manager.fontManager.addfont(path)
            families = [f for f in matplotlib.rcParams["font.family"] if f != family]
            if families == ["sans-serif"]:
                families = ["DejaVu Sans"]  # the default, named, so that the fallback follows it
            matplotlib.rcParams["font.family"] = [*families, family]
            _done = True
    return True


def _is_cjk(ch: str) -> bool:
    return ("\u2e80" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\uff00" <= ch <= "\uffef"
            or "\u3000" <= ch <= "\u303f")


def needs_cjk(text: str) -> bool:
    """Whether ``text`` holds a character of the CJK blocks (or full-width punctuation).

    >>> needs_cjk("权重图"), needs_cjk("weight 0.5 × 10⁻³")
    (True, False)
    """
    return any(_is_cjk(ch) for ch in str(text))


def label_runs(text: str) -> list[tuple[str, bool]]:
    """``text`` cut into runs of Chinese (True) and other (False) characters.

    >>> label_runs("合并权重 (log)")
    [('合并权重', True), (' (log)', False)]
    """
    runs: list[tuple[str, bool]] = []
    for ch in str(text):
        cjk = _is_cjk(ch)
        if runs and runs[-1][1] == cjk:
            runs[-1] = (runs[-1][0] + ch, cjk)
        else:
            runs.append((ch, cjk))
    return runs


def _run_font(size: int, cjk: bool):
    return label_font(size, "中" if cjk else "")


def label_width(text: str, size: int) -> float:
    """The width in pixels of :func:`draw_label`'s ``text`` at ``size``."""
    return sum(_run_font(size, cjk).getlength(run) for run, cjk in label_runs(text))


def draw_label(draw, xy, text: str, size: int, fill="black") -> None:
    """Draw ``text`` at ``xy`` with Pillow's ``draw``: Chinese runs in the Chinese font, the rest in DejaVu Sans."""
    x, y = xy
    for run, cjk in label_runs(text):
        font = _run_font(size, cjk)
        draw.text((x, y), run, fill=fill, font=font)
        x += font.getlength(run)


@functools.lru_cache(maxsize=8)
def _truetype(path: str, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(path, size)


def label_font(size: int, *texts: str):
    """A Pillow font for labels ``texts``: DejaVu Sans, or the Chinese font when one of them needs it."""
    from matplotlib import get_data_path

    found = cjk_font_file()
    if found is not None and any(needs_cjk(t) for t in texts):
        return _truetype(found[0], size)
    try:
        return _truetype(str(Path(get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"), size)
    except OSError:  # pragma: no cover - matplotlib always ships it
        from PIL import ImageFont

        return ImageFont.load_default(size=size)
