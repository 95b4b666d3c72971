"""The patch engine: cut images into overlapping patches and merge them back.

The whole public API lives in :mod:`patchlab.patches.api` and is re-exported
here::

    from patchlab.patches import patchify, unpatchify, coverage, weight_map

The private modules hold the machine code of the merge (``_kernels``: numba
kernels with explicit vector instructions) and the choice among those
kernels and of the thread count (``_merge``). :mod:`patchlab.patches.demo`
is what the Patches page computes.
"""

from patchlab.patches import api
from patchlab.patches.api import (  # noqa: F401 - re-exported
    EDGES,
    WINDOWS,
    coverage,
    grid_shape,
    patch_origins,
    patchify,
    tent,
    unpatchify,
    unpatchify_reference,
    weight_map,
    window_1d,
)

__all__ = list(api.__all__)  # the API module names what is public; nothing is listed twice
