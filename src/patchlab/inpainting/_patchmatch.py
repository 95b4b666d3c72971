"""Machine code of the guided texture synthesis: one PatchMatch sweep over the hole (numba).

Nothing here is public (:mod:`patchlab.inpainting.synthesis` is). The hole
is cut into square *cells* (one pixel, or 2x2 pixels for large photos);
every cell gets one *source*: the top-left pixel of a block of the known
photo whose texture it will copy. Cells are visited in the order given
(from the hole's border inwards); each one tries, as PatchMatch does
(Barnes et al. 2009),

* the sources of its neighbours that already have one, shifted by the step
  between them (*propagation*: a good match continues a good match, so
  texture is copied in coherent pieces);
* a few random sources near the cell and anywhere in the photo;
* random sources around the best so far, in windows halving in size
  (*random search*);

and keeps the one whose neighbourhood is closest to its own. The
neighbourhood is compared on the match features (the smooth colours the
U-Net gave, and any other channel the caller adds) and, where pixels are known
or already synthesised, on the detail itself (*coherence*, the overlap
term of image quilting, Efros & Freeman 2001), so the copied pieces join.

Random numbers come from a xorshift generator seeded by the caller: the
same seed gives the same sources, on any machine.
"""

from __future__ import annotations

import numba
import numpy as np

# numba caches the machine code on disk, keyed by this file (only under the package's name).
_CACHE = __name__ == "patchlab.inpainting._patchmatch"
_jit = numba.njit(cache=_CACHE, fastmath=True, nogil=True, boundscheck=False)

_MULTIPLIER = np.uint64(2685821657736338717)


@_jit
def _next(state):
    """xorshift64*: the next state and a uniform number in [0, 1)."""
    state ^= state >> np.uint64(12)
    state ^= state << np.uint64(25)
    state ^= state >> np.uint64(27)
    return state, ((state * _MULTIPLIER) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@_jit
def _distance(feat, tex, cur, done, py, px, qy, qx, radius, step, coherence, limit):
    """Squared difference of the neighbourhoods of target ``(py, px)`` and source ``(qy, qx)``.

    Stops early once ``limit`` is passed. Target pixels outside the photo are
    skipped; the source's neighbourhood always lies in the photo.
    """
    h, w = done.shape
    channels = feat.shape[2]
    total = 0.0
    for dy in range(-radius, radius + 1, step):
        ty = py + dy
        if ty < 0 or ty >= h:
            continue
        sy = qy + dy
        for dx in range(-radius, radius + 1, step):
            tx = px + dx
            if tx < 0 or tx >= w:
                continue
            sx = qx + dx
            for c in range(channels):
                a = feat[ty, tx, c] - feat[sy, sx, c]
                total += a * a
            if done[ty, tx]:
                e = cur[ty, tx] - tex[sy, sx]
                total += coherence * e * e
        if total >= limit:
            return total
    return total


@_jit
def _try(feat, tex, cur, done, valid, py, px, qy, qx, half, radius, step, coherence, best):
    """The distance of the source block at top-left ``(qy, qx)``, or ``inf`` where it may not be used."""
    h, w = valid.shape
    if qy < 0 or qy >= h or qx < 0 or qx >= w or not valid[qy, qx]:
        return np.inf
    return _distance(feat, tex, cur, done, py, px, qy + half, qx + half, radius, step, coherence, best)


@_jit
def sweep(feat, tex, hole, valid, cells, sources, cell, radius, step, coherence, near, tries, seed):
    """One source per cell, the cells taken in the order of ``cells``.

    Parameters
    ----------
    feat : float32 (H, W, C)
        Match features.
    tex : float32 (H, W)
        The detail layer (valid at known pixels).
    hole : bool (H, W)
    valid : bool (H, W)
        Where a source block's top-left pixel may be.
    cells : int32 (n, 2)
        Top-left pixels of the cells to fill, multiples of ``cell``.
    sources : int32 (m, 2)
        Every ``(y, x)`` where ``valid`` is True (m >= 1).
    cell, radius, step : int
        Cell side; the neighbourhood compared is ``(2 radius + 1)`` square,
        sampled every ``step`` pixels.
    coherence : float
        Weight of the detail against the match features.
    near : int
        Half-side of the window around the cell for the nearby random tries.
    tries : int
        Random tries, alternately nearby and anywhere.
    seed : int

    Returns
    -------
    source : int32 (H, W, 2)
        For every hole pixel, the known pixel whose detail it copies (-1 elsewhere).
    """
    h, w = hole.shape
    gh, gw = (h + cell - 1) // cell, (w + cell - 1) // cell
    chosen = np.full((gh, gw, 2), -1, np.int32)
    done = ~hole
    cur = tex.copy()
    state = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(0x2545F4914F6CDD1D)
    m = sources.shape[0]
    half = cell // 2  # the neighbourhood is centred on the cell
    seen = np.empty((9, 2), np.int64)
    for k in range(cells.shape[0]):
        y0, x0 = cells[k, 0], cells[k, 1]
        gy, gx = y0 // cell, x0 // cell
        py, px = min(y0 + half, h - 1), min(x0 + half, w - 1)
        best, by, bx = np.inf, -1, -1
        n_seen = 0
        for ny in range(gy - 1, gy + 2):  # propagation from the cells that have a source
            for nx in range(gx - 1, gx + 2):
                if ny < 0 or ny >= gh or nx < 0 or nx >= gw or chosen[ny, nx, 0] < 0:
                    continue
                qy = chosen[ny, nx, 0] + (gy - ny) * cell
                qx = chosen[ny, nx, 1] + (gx - nx) * cell
                repeated = False  # coherent neighbours all propose the same source: try it once
                for i in range(n_seen):
                    if seen[i, 0] == qy and seen[i, 1] == qx:
                        repeated = True
                        break
                if repeated:
                    continue
                seen[n_seen, 0], seen[n_seen, 1] = qy, qx
                n_seen += 1
                d = _try(feat, tex, cur, done, valid, py, px, qy, qx, half, radius, step, coherence, best)
                if d < best:
                    best, by, bx = d, qy, qx
        for t in range(tries):
            state, u = _next(state)
            state, v = _next(state)
            if t % 2 == 0:
                qy, qx = int(y0 + (2 * u - 1) * near), int(x0 + (2 * v - 1) * near)
            else:
                s = min(int(u * m), m - 1)
                qy, qx = sources[s, 0], sources[s, 1]
            d = _try(feat, tex, cur, done, valid, py, px, qy, qx, half, radius, step, coherence, best)
            if d < best:
                best, by, bx = d, qy, qx
        reach = 2 * near
        while reach >= 1 and by >= 0:  # random search around the best
            state, u = _next(state)
            state, v = _next(state)
            qy, qx = int(by + (2 * u - 1) * reach), int(bx + (2 * v - 1) * reach)
            reach //= 2
            d = _try(feat, tex, cur, done, valid, py, px, qy, qx, half, radius, step, coherence, best)
            if d < best:
                best, by, bx = d, qy, qx
        if by < 0:  # no usable source was drawn: the nearest-in-list fallback keeps the sweep total
            by, bx = sources[k % m, 0], sources[k % m, 1]
        chosen[gy, gx, 0], chosen[gy, gx, 1] = by, bx
        for i in range(cell):
            for j in range(cell):
                y, x = y0 + i, x0 + j
                if y < h and x < w and hole[y, x]:
                    cur[y, x] = tex[by + i, bx + j]
                    done[y, x] = True
    source = np.full((h, w, 2), -1, np.int32)
    for y in range(h):
        for x in range(w):
            if hole[y, x]:
                g0, g1 = chosen[y // cell, x // cell, 0], chosen[y // cell, x // cell, 1]
                source[y, x, 0] = g0 + y % cell
                source[y, x, 1] = g1 + x % cell
    return source
