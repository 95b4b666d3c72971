"""A picture a participant shares with the room: checked, decoded and encoded again.

Only a result picture is ever shared (a fill, never the uploaded original; the
page decides which). Whatever bytes arrive, the room keeps a picture that PIL
decoded and wrote itself: a file that is not a PNG or JPEG, is larger than
:data:`MAX_BYTES`, or has a side over :data:`MAX_SIDE` pixels is refused, and
the stored copy holds pixels only (no metadata, no trailing bytes).
"""

from __future__ import annotations

import io
import warnings

from patchlab.i18n import _

__all__ = ["MAX_SIDE", "MAX_BYTES", "check_picture"]

#: Longest side of a shared picture, in pixels.
MAX_SIDE = 512
#: Largest shared picture, in bytes (as sent, and as kept).
MAX_BYTES = 250_000

_FORMATS = {"PNG": "png", "JPEG": "jpeg"}


def check_picture(data) -> tuple[bytes, dict]:
    """Decode a shared picture and encode it again; return the new bytes and what it is.

    Parameters
    ----------
    data : bytes
        A PNG or JPEG file of at most :data:`MAX_BYTES` bytes and
        :data:`MAX_SIDE` pixels a side.

    Returns
    -------
    picture : bytes
        The picture as PIL wrote it (same format; RGB, or RGBA for a PNG with transparency).
    info : dict
        ``{"format": "png" | "jpeg", "width": int, "height": int, "bytes": int}``.

    Raises
    ------
    ValueError
        A sentence for the participant: not bytes, too large, not a PNG or JPEG, unreadable, too many pixels.

    Examples
    --------
    >>> from PIL import Image
    >>> buf = io.BytesIO(); Image.new("RGB", (40, 30), "orange").save(buf, "PNG")
    >>> check_picture(buf.getvalue())[1]["width"]
    40
    """
    from PIL import Image

    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValueError(_("A shared picture must be the bytes of a PNG or JPEG file, not {value}.").format(value=type(data).__name__))
    data = bytes(data)
    if len(data) > MAX_BYTES:
        raise ValueError(_("This picture is {value} kB; the room takes pictures of at most "
                         "{value2} kB.").format(value=f"{len(data) / 1000:.0f}", value2=MAX_BYTES // 1000))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            fmt = image.format
            if fmt not in _FORMATS:
                raise ValueError(_("The room takes PNG or JPEG pictures; this one is {value}.").format(value=fmt or 'not a picture'))
            if max(image.size) > MAX_SIDE:
                raise ValueError(_("This picture is {value}×{value2} pixels; the room takes "
                                 "pictures of at most {max_side} pixels a side.").format(value=image.size[0], value2=image.size[1], max_side=MAX_SIDE))
            image.load()
    except ValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - PIL raises many kinds for a broken file
        raise ValueError(_("This file could not be read as a picture (it is damaged or not a PNG or JPEG).")) from exc
    keep_alpha = fmt == "PNG" and (image.mode in ("RGBA", "LA") or "transparency" in image.info)
    image = image.convert("RGBA" if keep_alpha else "RGB")
    out = io.BytesIO()
    if fmt == "PNG":
        image.save(out, "PNG", optimize=False, compress_level=6)
    else:
        image.save(out, "JPEG", quality=88)
    picture = out.getvalue()
    if len(picture) > MAX_BYTES:  # a PNG that grew when written again: keep it as a JPEG
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=88)
        picture, fmt = out.getvalue(), "JPEG"
    return picture, {"format": _FORMATS[fmt], "width": image.size[0], "height": image.size[1],
                     "bytes": len(picture)}
