"""Machine code of the merge: numba kernels with explicit LLVM vector instructions.

Nothing here is part of the public API (:mod:`patchlab.patches.api` is).
Every kernel merges the *row bands* it claims from a shared atomic
counter, so any number of threads can run the same kernel on the same
output; a band is ``(image of the batch, range of output rows)``. The
patches are read through a 1-D array over their memory with element
strides ``sb, si, sj, sy[, sx, sc]`` (batch, grid row, grid column,
patch row, patch column, channel), so views and any non-negative layout
are read in place.

``AVAILABLE`` is False when numba is missing; the caller then uses the
pure-NumPy path of :mod:`patchlab.patches._merge`.
"""

from __future__ import annotations

try:  # the compiled merge; a pure-NumPy path stands in if numba is absent
    import numba as _numba
except ImportError:  # pragma: no cover - numba is in requirements.txt
    _numba = None

AVAILABLE = _numba is not None
VECTOR_BYTES = 64  # one AVX-512 register; LLVM splits it on narrower CPUs

merge_simd = merge_uniform = merge_windowed = merge_strided = None

if AVAILABLE:
    from llvmlite import ir as _ir
    from numba.core import cgutils as _cgutils
    from numba.core import types as _types
    from numba.extending import intrinsic as _intrinsic

    # numba caches the machine code on disk, keyed by this file; only under the
    # package's name, since a copy compiled as a script records another module name.
    _CACHE = __name__ == "patchlab.patches._kernels"
    _jit = _numba.njit(cache=_CACHE, fastmath=True, nogil=True, boundscheck=False)

    def _simd_codegen(context, builder, sig, args, masked, weighted):
        """``dst[d:d+m] += src[s:s+m] (* f * w[k:k+m])`` as one vector op.

        Patch rows are short (often not a multiple of the vector width) and
        numba cannot tell LLVM that ``src`` and ``dst`` never overlap, so the
        auto-vectoriser falls back to scalar tails; an explicit (masked) vector
        load/add/store per block avoids both problems.
        """
        dst_ty = sig.args[0]
        elt = context.get_value_type(dst_ty.dtype)
        size = context.get_abi_sizeof(elt)
        lanes = VECTOR_BYTES // size
        vty = _ir.VectorType(elt, lanes)
        i32, i64 = _ir.IntType(32), _ir.IntType(64)
        align = _ir.Constant(i32, size)
        dst = context.make_array(dst_ty)(context, builder, args[0])
        src = context.make_array(sig.args[2])(context, builder, args[2])
        dptr = builder.gep(dst.data, [args[1]])
        sptr = builder.gep(src.data, [args[3]])
        module = builder.module
        if masked:
            mty = _ir.VectorType(_ir.IntType(1), lanes)
            lane = _ir.Constant(_ir.VectorType(i64, lanes), list(range(lanes)))
            count = builder.insert_element(_ir.Constant(_ir.VectorType(i64, lanes), None),
                                           args[4], _ir.Constant(i32, 0))
            count = builder.shuffle_vector(count, count,
                                           _ir.Constant(_ir.VectorType(i32, lanes), [0] * lanes))
            mask = builder.icmp_signed("<", lane, count)
            suffix = f"v{lanes}f{size * 8}.p0"
            load_fn = _cgutils.get_or_insert_function(
                module, _ir.FunctionType(vty, [dptr.type, i32, mty, vty]), "llvm.masked.load." + suffix)
            store_fn = _cgutils.get_or_insert_function(
                module, _ir.FunctionType(_ir.VoidType(), [vty, dptr.type, i32, mty]),
                "llvm.masked.store." + suffix)
            zero = _ir.Constant(vty, None)

            def load(ptr):
                return builder.call(load_fn, [ptr, align, mask, zero])

            def store(value, ptr):
                builder.call(store_fn, [value, ptr, align, mask])
        else:
            def load(ptr):
                return builder.load(builder.bitcast(ptr, vty.as_pointer()), align=size, typ=vty)

            def store(value, ptr):
                builder.store(value, builder.bitcast(ptr, vty.as_pointer()), align=size)

        value = load(sptr)
        if weighted:
            w = context.make_array(sig.args[5])(context, builder, args[5])
            wv = load(builder.gep(w.data, [args[6]]))
            f = builder.insert_element(_ir.Constant(vty, None), args[7], _ir.Constant(i32, 0))
            f = builder.shuffle_vector(f, f, _ir.Constant(_ir.VectorType(i32, lanes), [0] * lanes))
            value = builder.fmul(value, builder.fmul(wv, f))
        store(builder.fadd(load(dptr), value), dptr)
        return context.get_dummy_value()

    def _simd_intrinsic(masked, weighted):
        def typer(typingctx, dst, d, src, s, m, *weights):
            floats = (_types.float32, _types.float64)
            if not (isinstance(dst, _types.Array) and isinstance(src, _types.Array)
                    and dst.dtype == src.dtype and dst.dtype in floats):
                return None
            if weighted and not (len(weights) == 3 and isinstance(weights[0], _types.Array)
                                 and weights[0].dtype == dst.dtype):
                return None
            sig = _types.void(dst, d, src, s, m, *weights)

            def codegen(context, builder, signature, args):
                return _simd_codegen(context, builder, signature, args, masked, weighted)

            return sig, codegen

        if weighted:
            def _simd(typingctx, dst, d, src, s, m, w, k, f):
                return typer(typingctx, dst, d, src, s, m, w, k, f)
        else:
            def _simd(typingctx, dst, d, src, s, m):
                return typer(typingctx, dst, d, src, s, m)
        return _intrinsic(_simd)

    @_intrinsic
    def _fetch_add(typingctx, array, index, value):
        """``old = array[index]; array[index] += value``, atomically."""
        if not (isinstance(array, _types.Array) and array.dtype == _types.int64):
            return None
        sig = _types.int64(array, _types.intp, _types.int64)

        def codegen(context, builder, signature, args):
            data = context.make_array(signature.args[0])(context, builder, args[0]).data
            ptr = builder.gep(data, [args[1]])
            return builder.atomic_rmw("add", ptr, args[2], "seq_cst")

        return sig, codegen

    def _prefetch_intrinsic(locality):
        """An intrinsic hinting the CPU to start loading ``array[index]`` (never faults).

        ``locality`` 3 asks for the L1 cache (data needed very soon), 2 for L2.
        """
        def _prefetch(typingctx, array, index):
            if not isinstance(array, _types.Array):
                return None
            sig = _types.void(array, _types.intp)

            def codegen(context, builder, signature, args):
                data = context.make_array(signature.args[0])(context, builder, args[0]).data
                ptr = builder.gep(data, [args[1]])
                i32 = _ir.IntType(32)
                fn = _cgutils.get_or_insert_function(
                    builder.module, _ir.FunctionType(_ir.VoidType(), [ptr.type, i32, i32, i32]),
                    "llvm.prefetch.p0")
                # read, the chosen cache level, data cache
                builder.call(fn, [ptr, _ir.Constant(i32, 0), _ir.Constant(i32, locality),
                                  _ir.Constant(i32, 1)])
                return context.get_dummy_value()

            return sig, codegen

        return _intrinsic(_prefetch)

    _prefetch = _prefetch_intrinsic(2)      # rows a few KB ahead: into L2
    _prefetch_l1 = _prefetch_intrinsic(3)   # the next patch's row, read within microseconds

    @_intrinsic
    def _lanes(typingctx, array):
        """Values of ``array``'s dtype per vector, as a compile-time constant.

        (``64 // array.itemsize`` would be a run-time value, and every
        ``range(0, n, lanes)`` would then cost an integer division per row.)
        """
        if not isinstance(array, _types.Array):
            return None
        sig = _types.intp(array)

        def codegen(context, builder, signature, args):
            size = context.get_abi_sizeof(context.get_value_type(signature.args[0].dtype))
            return _ir.Constant(context.get_value_type(_types.intp), VECTOR_BYTES // size)

        return sig, codegen

    _simd_add = _simd_intrinsic(masked=False, weighted=False)
    _simd_add_tail = _simd_intrinsic(masked=True, weighted=False)
    _simd_fma = _simd_intrinsic(masked=False, weighted=True)
    _simd_fma_tail = _simd_intrinsic(masked=True, weighted=True)

    @_jit
    def _zero_rows(out, t0, t1):  # pragma: no cover - compiled
        width = out.shape[1]
        for r in range(t0, t1):
            dst = out[r]
            for c in range(width):
                dst[c] = 0

    @_jit
    def _normalise_rows(out, row_norm, col_norm, t0, t1):  # pragma: no cover - compiled
        width = out.shape[1]
        for r in range(t0, t1):
            f = row_norm[r]
            dst = out[r]
            for c in range(width):
                dst[c] *= f * col_norm[c]

    @_numba.njit(cache=_CACHE, fastmath=True, nogil=True, boundscheck=False, inline="always")
    def _add_row(flat_out, d, flat, s, n, lanes, ahead, near, weighted, wx, f):  # pragma: no cover
        """One patch row into the output: full vector blocks, then a masked tail.

        ``flat[s + ahead:]`` is prefetched: into L1 when ``near`` (it is read
        soon), else into L2.
        """
        full = n - (n & (lanes - 1))  # lanes is a power of two
        if near:
            for x in range(0, n, lanes):  # one hint per cache line
                _prefetch_l1(flat, s + ahead + x)
        else:
            for x in range(0, n, lanes):
                _prefetch(flat, s + ahead + x)
        if weighted:
            for x in range(0, full, lanes):
                _simd_fma(flat_out, d + x, flat, s + x, lanes, wx, x, f)
            if full < n:
                _simd_fma_tail(flat_out, d + full, flat, s + full, n - full, wx, full, f)
        else:
            for x in range(0, full, lanes):
                _simd_add(flat_out, d + x, flat, s + x, lanes)
            if full < n:
                _simd_add_tail(flat_out, d + full, flat, s + full, n - full)

    # Whole patches whose rows are a few full vectors long (patch 64 grayscale float32: 4
    # vectors) spend most of their time in loop overhead when the row length is a run-time
    # value: the vector loop is unrolled by 8 with a remainder loop, plus a separate prefetch
    # loop and a tail test per row. With the number of vectors fixed at compile time each row
    # is straight-line code (V prefetches, loads, adds and stores). Measured for issue 15 on
    # 512x512 p64 s16 (one thread, interleaved with the previous kernel in one process):
    # 1.18-1.34x -> 1.05-1.10x np.copyto; with the patches held in L1 (compute alone)
    # 0.96x -> 0.74x. Rows of 5 to 8 vectors were measured too (batch of 256x256x3 p32 s16:
    # 6 vectors) and came out 4-13 % slower than the general loop, so they keep it.
    _MAX_FIXED_VECTORS = 4

    def _fixed_rows(vectors):
        @_numba.njit(cache=_CACHE, fastmath=True, nogil=True, boundscheck=False)
        def add_rows(flat_out, d, pitch, flat, s, sy, ahead, rows):  # pragma: no cover
            """``rows`` patch rows of ``vectors`` full vectors each, unweighted, into
            ``flat_out`` (row pitch ``pitch``), prefetching ``flat[s + ahead]`` into L1."""
            lanes = _lanes(flat_out)
            for _ in range(rows):
                for v in range(vectors):  # a compile-time trip count: unrolled
                    _prefetch_l1(flat, s + ahead + v * lanes)
                    _simd_add(flat_out, d + v * lanes, flat, s + v * lanes, lanes)
                s += sy
                d += pitch
        return add_rows

    _add_rows_1, _add_rows_2, _add_rows_3, _add_rows_4 = (
        _fixed_rows(v) for v in range(1, _MAX_FIXED_VECTORS + 1))

    @_numba.njit(cache=_CACHE, fastmath=True, nogil=True, boundscheck=False, inline="always")
    def _add_rows_fixed(vectors, flat_out, d, pitch, flat, s, sy, ahead, rows):  # pragma: no cover
        """Rows of ``vectors`` (1 to 4) full vectors, by the adder compiled for that length."""
        if vectors == 4:
            _add_rows_4(flat_out, d, pitch, flat, s, sy, ahead, rows)
        elif vectors == 3:
            _add_rows_3(flat_out, d, pitch, flat, s, sy, ahead, rows)
        elif vectors == 2:
            _add_rows_2(flat_out, d, pitch, flat, s, sy, ahead, rows)
        else:
            _add_rows_1(flat_out, d, pitch, flat, s, sy, ahead, rows)

    @_jit
    def merge_simd(flat, sb, si, sj, sy, ph, inner, oy, ox, wy, wx, row_norm, col_norm,
                   weighted, row_sweep, out3, scratch, bounds, counter):  # pragma: no cover
        """Merge the bands claimed from ``counter`` (float patches, explicit SIMD).

        ``out3`` is ``(B, H, W * C)``. ``row_sweep`` visits the patches of one
        grid row output row by output row, straight into the output
        (:func:`patchlab.patches._merge.row_sweep` says when that pays), and
        prefetches each patch's next row (read in the next sweep) into L1.
        Otherwise each patch is added whole, row after row, prefetching the
        same row of the next patch (read next) into L1, into ``scratch``,
        whose row pitch keeps consecutive rows from sitting a multiple of 4 KB
        apart (with a 2 KB pitch, loads from the next rows are mistaken for
        dependencies on stores still in flight: "4K aliasing"); the band is
        then normalised into the output.
        """
        width = out3.shape[2]
        lanes = _lanes(out3)
        n_bands = bounds.shape[0] - 1
        while True:
            k = _fetch_add(counter, 0, 1)
            if k >= out3.shape[0] * n_bands:
                break
            b = k // n_bands
            band = k - b * n_bands
            out = out3[b]
            base_b = b * sb
            band_buffer = out if row_sweep else scratch
            pitch = band_buffer.shape[1]
            flat_band = band_buffer.reshape(band_buffer.size)
            t0, t1 = bounds[band], bounds[band + 1]
            first = t0 if row_sweep else 0  # row of band_buffer that holds output row t0
            for r in range(t1 - t0):
                row = band_buffer[first + r]
                for c in range(width):
                    row[c] = 0
            for i in range(oy.shape[0]):
                y0 = oy[i]
                ya = max(t0 - y0, 0)
                yb = min(t1 - y0, ph)
                if ya >= yb:
                    continue
                if row_sweep:
                    nw = ox.shape[0]
                    for y in range(ya, yb):
                        r = y0 + y
                        d = r * pitch
                        # the last patch row over output row r: normalise each stretch
                        # of the row as soon as no later patch reaches it (still in L1)
                        last = i + 1 == oy.shape[0] or oy[i + 1] > r
                        f = row_norm[r]
                        done = 0
                        for j in range(nw):
                            n = min(inner, width - ox[j])
                            if n > 0:
                                _add_row(flat_band, d + ox[j], flat,
                                         base_b + i * si + j * sj + y * sy,
                                         n, lanes, sy, True, weighted, wx, wy[y])
                            if last:
                                end = min(ox[j + 1], width) if j + 1 < nw else width
                                if end > done:
                                    segment = flat_band[d + done:d + end]
                                    scale = col_norm[done:end]
                                    for c in range(end - done):
                                        segment[c] *= f * scale[c]
                                    done = end
                    continue
                for j in range(ox.shape[0]):
                    n = min(inner, width - ox[j])
                    if n <= 0:
                        continue
                    s = base_b + i * si + j * sj + ya * sy
                    d = (y0 + ya - t0) * pitch + ox[j]
                    if not weighted and n & (lanes - 1) == 0 and n <= _MAX_FIXED_VECTORS * lanes:
                        # short rows of whole vectors: the adder compiled for their length
                        _add_rows_fixed(n // lanes, flat_band, d, pitch, flat, s, sy, sj, yb - ya)
                        continue
                    for y in range(ya, yb):
                        _add_row(flat_band, d, flat, s, n, lanes, sj, True, weighted, wx, wy[y])
                        s += sy
                        d += pitch
            if not row_sweep:  # (a sweep has normalised its rows already)
                for r in range(t0, t1):
                    f = row_norm[r]
                    src = scratch[r - t0]
                    dst = out[r]
                    for c in range(width):
                        dst[c] = src[c] * (f * col_norm[c])
            _fetch_add(counter, 1, 1)

    @_jit
    def merge_uniform(flat, sb, si, sj, sy, ph, inner, oy, ox, wy, wx, row_norm, col_norm, ahead,
                      out3, bounds, counter):  # pragma: no cover - compiled
        """Merge the bands claimed from ``counter`` (any numeric patches)."""
        width = out3.shape[2]
        n_bands = bounds.shape[0] - 1
        while True:
            k = _fetch_add(counter, 0, 1)
            if k >= out3.shape[0] * n_bands:
                break
            b = k // n_bands
            out = out3[b]
            t0, t1 = bounds[k - b * n_bands], bounds[k - b * n_bands + 1]
            _zero_rows(out, t0, t1)
            for i in range(oy.shape[0]):
                y0 = oy[i]
                ya = max(t0 - y0, 0)
                yb = min(t1 - y0, ph)
                if ya >= yb:
                    continue
                for j in range(ox.shape[0]):
                    x0 = ox[j]
                    n = min(inner, width - x0)
                    if n <= 0:
                        continue
                    base = b * sb + i * si + j * sj
                    for y in range(ya, yb):
                        for x in range(0, n, 64):
                            _prefetch(flat, base + y * sy + ahead + x)
                        dst = out[y0 + y, x0:x0 + n]
                        src = flat[base + y * sy: base + y * sy + n]
                        for x in range(n):
                            dst[x] += src[x]
            _normalise_rows(out, row_norm, col_norm, t0, t1)
            _fetch_add(counter, 1, 1)

    @_jit
    def merge_windowed(flat, sb, si, sj, sy, ph, inner, oy, ox, wy, wx, row_norm, col_norm, ahead,
                       out3, bounds, counter):  # pragma: no cover - compiled
        """As :func:`merge_uniform`, each patch weighted by ``wy[y] * wx[x]``."""
        width = out3.shape[2]
        n_bands = bounds.shape[0] - 1
        while True:
            k = _fetch_add(counter, 0, 1)
            if k >= out3.shape[0] * n_bands:
                break
            b = k // n_bands
            out = out3[b]
            t0, t1 = bounds[k - b * n_bands], bounds[k - b * n_bands + 1]
            _zero_rows(out, t0, t1)
            for i in range(oy.shape[0]):
                y0 = oy[i]
                ya = max(t0 - y0, 0)
                yb = min(t1 - y0, ph)
                if ya >= yb:
                    continue
                for j in range(ox.shape[0]):
                    x0 = ox[j]
                    n = min(inner, width - x0)
                    if n <= 0:
                        continue
                    base = b * sb + i * si + j * sj
                    for y in range(ya, yb):
                        f = wy[y]
                        for x in range(0, n, 64):
                            _prefetch(flat, base + y * sy + ahead + x)
                        dst = out[y0 + y, x0:x0 + n]
                        src = flat[base + y * sy: base + y * sy + n]
                        for x in range(n):
                            dst[x] += f * wx[x] * src[x]
            _normalise_rows(out, row_norm, col_norm, t0, t1)
            _fetch_add(counter, 1, 1)

    @_jit
    def merge_strided(flat, sb, si, sj, sy, sx, sc, ph, pw, channels, oy, xs, wy, wx, uniform,
                      row_norm, col_norm, out3, bounds, counter):  # pragma: no cover - compiled
        """Merge the bands claimed from ``counter``, patches in any layout."""
        width = out3.shape[2]
        n_bands = bounds.shape[0] - 1
        while True:
            k = _fetch_add(counter, 0, 1)
            if k >= out3.shape[0] * n_bands:
                break
            b = k // n_bands
            out = out3[b]
            t0, t1 = bounds[k - b * n_bands], bounds[k - b * n_bands + 1]
            _zero_rows(out, t0, t1)
            for i in range(oy.shape[0]):
                y0 = oy[i]
                ya = max(t0 - y0, 0)
                yb = min(t1 - y0, ph)
                for j in range(xs.shape[0]):
                    base = b * sb + i * si + j * sj
                    for y in range(ya, yb):
                        row = out[y0 + y]
                        f = 1.0 if uniform else wy[y]
                        for x in range(pw):
                            col = xs[j] + x * channels
                            if col >= width:
                                break
                            g = f if uniform else f * wx[x * channels]
                            q = base + y * sy + x * sx
                            for c in range(channels):
                                row[col + c] += g * flat[q + c * sc]
            _normalise_rows(out, row_norm, col_norm, t0, t1)
            _fetch_add(counter, 1, 1)
