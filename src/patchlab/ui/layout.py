"""Pictures in rows that stay rows on a phone.

``st.columns`` stacks its columns one under another below 640 px, so six
pictures in three columns become six screen-wide pictures on a phone: a page
several screens long. :func:`picture_grid` measures the width it is given
(:func:`patchlab.ui.canvas.canvas_width`) and lays the pictures out in a
wrapping row, ``per_row`` to a row on a wide screen and ``narrow_per_row`` on
a narrow one, each as wide as its share of the row.
"""

from __future__ import annotations

import streamlit as st

from patchlab.ui.canvas import canvas_width

__all__ = ["NARROW", "grid_width", "picture_grid"]

#: Below this width (CSS px) a grid uses its narrow number of pictures per row.
NARROW = 700
_GAP = 16  # st.container(gap="small") between pictures, CSS px


def grid_width(space: int, per_row: int, *, most: int | None = None) -> int:
    """Each picture's width when ``per_row`` pictures share ``space`` CSS px (at most ``most``).

    >>> grid_width(1620, 3), grid_width(358, 2), grid_width(1620, 4, most=200)
    (529, 171, 200)
    """
    width = (int(space) - _GAP * (per_row - 1)) // max(1, per_row)
    return max(60, min(width, most) if most else width)


def picture_grid(key: str, pictures, *, per_row: int = 3, narrow_per_row: int = 2, most: int | None = None):
    """Draw ``pictures`` (``(image, caption, alt)`` triples) in rows; returns the per-row count used.

    Parameters
    ----------
    key : str
        A key unique on the page (for the width measurement).
    pictures : sequence of (image, caption, alt)
    per_row, narrow_per_row : int
        Pictures per row on a wide and on a narrow (below :data:`NARROW`) column.
    most : int, optional
        The widest a picture may be, in CSS px.
    """
    space = canvas_width(key, default=1200)
    n = per_row if space.width >= NARROW else narrow_per_row
    width = grid_width(space.width, n, most=most)
    with st.container(horizontal=True, gap="small"):
        for image, caption, alt in pictures:
            st.image(image, caption=caption, width=width, alt=alt, clamp=True)
    return n
