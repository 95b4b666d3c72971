"""What the Upsampling page computes, as pure functions.

:class:`Settings` holds one configuration of the page (factor,
initialisation, kernel size, input); :func:`clamp_settings` fits any
configuration to what the page can show; :func:`input_image` loads the
picture to upsample; :func:`analyse` computes everything the page shows —
the kernel and its stamps, the overlap counts, the six upsampled pictures,
the checkerboard table, the comparison with ``tf.image.resize`` and the
conv -> pool -> upsample pipeline — and returns it as an
:class:`UpsamplingResult` that the page only renders.

Keras layers, input pictures and the stamps figure are built once per
setting and process (memoised, shared read-only), as the page's caches
did. TensorFlow is imported when :func:`analyse` first builds a layer, not
when this module is imported.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
import numpy as np

from patchlab.i18n import N_, _, current_language
from patchlab.images import load_sample
from patchlab.links import choice, flag, whole_number
from patchlab.upsampling._checks import whole
from patchlab.upsampling.figures import figure_png, pixelate, stamps_figure
from patchlab.upsampling.kernels import INITS, kernel_checkerboard_strength, kernel_size, make_kernel
from patchlab.upsampling.layers import compare_with_resize, resize_conv_layer, transposed_conv_layer, upsample
from patchlab.upsampling.patterns import PATTERNS, pattern_image
from patchlab.upsampling.pipeline import pipeline_model, run_pipeline
from patchlab.upsampling.stamps import checkerboard_strength, interior, overlap_count

__all__ = [
    "FACTORS", "MAX_KERNEL_SIZE", "SOURCES", "INIT_LABELS", "PATTERN_LABELS", "SOURCE_LABELS",
    "QUERY_NAMES", "Settings", "recommended_kernel_size", "kernel_size_choice_label", "custom_size_default",
    "clamp_settings", "SETTING_NAMES", "read_link", "to_query", "widget_defaults", "input_image",
    "UpsampledPicture", "PipelinePicture", "UpsamplingResult", "analyse",
]

FACTORS = (2, 3, 4)  # the factors the page offers
MAX_KERNEL_SIZE = 3 * 4  # largest kernel size offered: three times the largest factor
SOURCES = ("photo", "pattern")
INPUT_SIDE = 48  # input pixels per side: keeps every interaction well under a second
DISPLAY_SIDE = 384  # displayed size of the upsampled pictures (pixel repetition)
PIPELINE_SIDE = 128  # side of the photo sent through the pipeline
PIPELINE_PHOTO = "astronaut"  # the pipeline's photo when the input is a pattern
COUNT_SIDE = 16  # input side for the overlap range: large enough for a 12-pixel kernel's border
RESPONSE_SIDE = 12  # input side (times the factor) of the overlap-count and summed-weight maps
CONSTANT_SIDE = 24  # constant grey input of the checkerboard table
EDGE_SIDE = 8  # constant input whose top edge gives the edge weight
STAMPS = 5  # input pixels in the stamps figure

INIT_LABELS = {"bilinear": N_("Bilinear"), "random": N_("Random"), "nearest": N_("Nearest-neighbour (box)")}
PATTERN_LABELS = {"constant": N_("Constant grey"), "ramp": N_("Ramp"), "checkerboard": N_("Checkerboard"), "disc": N_("Disc")}
SOURCE_LABELS = {"photo": N_("Photo"), "pattern": N_("Test pattern")}
# The page's settings as URL query parameters (also the widgets' keys): field -> parameter name.
# ``use_recommended`` is the kernel-size choice; ``custom_size`` is read only when it is off.
QUERY_NAMES = {
    "factor": "up_factor",
    "init": "up_init",
    "use_recommended": "up_rec",
    "custom_size": "up_k",
    "source": "up_input",
    "photo": "up_photo",
    "pattern": "up_pattern",
}


@dataclass(frozen=True)
class Settings:
    """One Upsampling-page configuration.

    ``custom_size`` is the kernel size chosen by hand; ``None`` means the
    recommended size (:func:`recommended_kernel_size`). Choices are
    checked here (``ValueError`` naming the field); ranges are fitted by
    :func:`clamp_settings`.
    """

    factor: int = 2
    init: str = "bilinear"
    custom_size: int | None = None
    source: str = "photo"
    photo: str = "astronaut"
    pattern: str = "constant"

    def __post_init__(self):
        object.__setattr__(self, "factor", whole(self.factor, "factor"))
        if self.custom_size is not None:
            object.__setattr__(self, "custom_size", whole(self.custom_size, "custom_size"))
        if self.init not in INITS:
            raise ValueError(f"`init` must be one of {', '.join(INITS)}; got {self.init!r}.")
        if self.source not in SOURCES:
            raise ValueError(f"`source` must be one of {', '.join(SOURCES)}; got {self.source!r}.")
        if self.pattern not in PATTERNS:
            raise ValueError(f"`pattern` must be one of {', '.join(PATTERNS)}; got {self.pattern!r}.")
        if not isinstance(self.photo, str) or not self.photo:
            raise ValueError(f"`photo` must be the name of a sample photo, got {self.photo!r}.")

    @property
    def recommended_size(self) -> int:
        """``2 f - f % 2`` (bilinear, random) or ``f`` (the box)."""
        return recommended_kernel_size(self.factor, self.init)[0]

    @property
    def size(self) -> int:
        """The kernel size in use: the custom one, else the recommended one."""
        return self.recommended_size if self.custom_size is None else self.custom_size

    @property
    def input_name(self) -> str:
        """The photo or the pattern, whichever the input is."""
        return self.photo if self.source == "photo" else self.pattern


def recommended_kernel_size(factor, init):
    """The kernel size the page recommends, and its rule as text.

    Examples
    --------
    >>> recommended_kernel_size(3, "bilinear"), recommended_kernel_size(3, "nearest")
    ((5, '2f − f % 2'), (3, 'f'))
    """
    if init == "nearest":
        return whole(factor, "factor"), "f"
    return kernel_size(factor), "2f − f % 2"


def kernel_size_choice_label(factor, init):
    """What ticking the kernel-size choice does, with the size it gives.

    Examples
    --------
    >>> kernel_size_choice_label(2, "bilinear")
    'Use the recommended kernel size (2f − f mod 2 = 4)'
    >>> kernel_size_choice_label(3, "nearest")
    'Use the recommended kernel size (f = 3)'
    """
    size, rule = recommended_kernel_size(factor, init)
    return _("Use the recommended kernel size ({rule} = {size})").format(rule=rule.replace("%", "mod"), size=size)


def custom_size_default(factor, init):
    """The kernel-size slider's first value: one more than recommended, at most :data:`MAX_KERNEL_SIZE`.

    Examples
    --------
    >>> custom_size_default(2, "bilinear"), custom_size_default(4, "random")
    (5, 9)
    """
    return min(recommended_kernel_size(factor, init)[0] + 1, MAX_KERNEL_SIZE)


def clamp_settings(settings, photos=None):
    """Fit a configuration to what the page offers; return ``(settings, notes)``.

    The factor is brought into ``FACTORS`` (2 to 4), a custom kernel size
    into 1 to :data:`MAX_KERNEL_SIZE`, and a photo not among ``photos``
    (when given) is replaced by the default; each change gets a note.

    Examples
    --------
    >>> s, notes = clamp_settings(Settings(factor=9, custom_size=40))
    >>> s.factor, s.custom_size, len(notes)
    (4, 12, 2)
    """
    notes = []
    factor = min(max(settings.factor, FACTORS[0]), FACTORS[-1])
    if factor != settings.factor:
        notes.append(_("The factor {asked} was changed to {used} (the page offers {low} to {high}).").format(
            asked=settings.factor, used=factor, low=FACTORS[0], high=FACTORS[-1]))
    size = settings.custom_size
    if size is not None and size > MAX_KERNEL_SIZE:
        size = MAX_KERNEL_SIZE
        notes.append(_("The kernel size {asked} was reduced to {size}.").format(asked=settings.custom_size, size=size))
    photo = settings.photo
    if photos is not None and photo not in photos:
        photo = Settings.photo if Settings.photo in photos else next(iter(photos))
        notes.append(_("There is no sample photo {asked}; showing {photo}.").format(asked=repr(settings.photo),
                                                                                    photo=repr(photo)))
    return replace(settings, factor=factor, custom_size=size, photo=photo), notes


def widget_defaults():
    """The page's widgets at their first view: query name -> widget value (for *Reset*).

    Examples
    --------
    >>> widget_defaults()["up_factor"], widget_defaults()["up_k"]
    (2, 5)
    """
    s = Settings()
    values = {"factor": s.factor, "init": s.init, "use_recommended": s.custom_size is None,
              "custom_size": custom_size_default(s.factor, s.init), "source": s.source,
              "photo": s.photo, "pattern": s.pattern}
    return {QUERY_NAMES[field]: value for field, value in values.items()}


#: How the page names each setting, for a link's notice.
SETTING_NAMES = {"factor": N_("upsampling factor"), "init": N_("initialisation"),
                 "use_recommended": N_("recommended kernel size"), "custom_size": N_("kernel size"),
                 "source": N_("input"), "photo": N_("photo"), "pattern": N_("pattern")}


def read_link(params, photos):
    """A link's settings for the page's widgets (each keyed by its query name); ``(values, ignored)``.

    Parameters
    ----------
    params : mapping of str to str (or list of str)
        e.g. ``{"up_factor": "3", "up_init": "random", "up_rec": "false",
        "up_k": "7", "up_input": "pattern", "up_pattern": "disc"}``:
        choices by key or as the widgets show them (:data:`INIT_LABELS`,
        :data:`SOURCE_LABELS`, :data:`PATTERN_LABELS`), sizes as whole
        numbers, the kernel-size choice as ``true`` or ``false``.
        Parameters not named in :data:`QUERY_NAMES` are not looked at.
    photos : collection of str
        The sample photos' names.

    Returns
    -------
    values : dict
        Widget key (query name) -> value for every setting the link names;
        one that cannot be used is at its default, never a clamped guess.
    ignored : list of Ignored
        One per setting that could not be used (:func:`patchlab.links.link_notice`).

    Examples
    --------
    >>> values, ignored = read_link({"up_factor": "3", "up_rec": "false", "up_init": "<b>"}, ["astronaut"])
    >>> values, [i.phrase() for i in ignored]
    ({'up_factor': 3, 'up_init': 'bilinear', 'up_rec': False, 'up_k': 6}, ['initialisation `<b>` (expected Bilinear, Random or Nearest-neighbour (box))'])
    """
    photos, defaults, ignored, values = list(photos), widget_defaults(), [], {}
    q, names = QUERY_NAMES, SETTING_NAMES
    read = {
        "factor": choice(params, q["factor"], names["factor"], {str(f): str(f) for f in FACTORS}, ignored),
        "init": choice(params, q["init"], names["init"], INIT_LABELS, ignored),
        "use_recommended": flag(params, q["use_recommended"], names["use_recommended"], ignored),
        "custom_size": whole_number(params, q["custom_size"], names["custom_size"], 1, MAX_KERNEL_SIZE, ignored),
        "source": choice(params, q["source"], names["source"], SOURCE_LABELS, ignored),
        "photo": choice(params, q["photo"], names["photo"], {p: p for p in photos}, ignored,
                        expected=_("one of the sample photos")),
        "pattern": choice(params, q["pattern"], names["pattern"], PATTERN_LABELS, ignored),
    }
    for field_name, value in read.items():
        name = q[field_name]
        if name in params:
            values[name] = value if value is not None else defaults[name]
    if "up_factor" in values:
        values["up_factor"] = int(values["up_factor"])
    if values.get("up_rec") is False and "up_k" not in values:  # the slider's first value for the link's layer
        values["up_k"] = custom_size_default(values.get("up_factor", Settings.factor),
                                             values.get("up_init", Settings.init))
    return values, ignored


def to_query(settings):
    """The link's parameters for ``settings``: what the page shows (the kernel size only when chosen by hand,
    the photo or the pattern, whichever is the input)."""
    q = QUERY_NAMES
    query = {q["factor"]: settings.factor, q["init"]: settings.init,
             q["use_recommended"]: "true" if settings.custom_size is None else "false", q["source"]: settings.source}
    if settings.custom_size is not None:
        query[q["custom_size"]] = settings.custom_size
    query[q["photo"] if settings.source == "photo" else q["pattern"]] = settings.input_name
    return query


def _read_only(array):
    array.flags.writeable = False
    return array


@functools.lru_cache(maxsize=32)
def _input_picture(source, name):
    if source == "photo":
        return _read_only(load_sample(name, max_side=INPUT_SIDE).astype(np.float32) / 255.0)
    return _read_only(pattern_image(name, INPUT_SIDE, 3))


def input_image(settings):
    """The picture to upsample: float32 ``(48, 48, 3)`` in [0, 1], shared and read-only.

    Raises
    ------
    ValueError, OSError
        When the photo cannot be read.
    """
    return _input_picture(settings.source, settings.input_name)


@functools.lru_cache(maxsize=16)
def _pipeline_photo(name):
    return _read_only(load_sample(name, max_side=PIPELINE_SIDE))


@functools.lru_cache(maxsize=64)
def _transposed_layer(init, factor, size, channels=3):
    """A Conv2DTranspose (stride ``factor``) initialised with one kernel; built once per setting."""
    return transposed_conv_layer(make_kernel(init, factor, size), factor, channels)


@functools.lru_cache(maxsize=64)
def _smoothing_layer(init, factor, size, channels=3):
    """The stride-1 Conv2D of resize-then-convolve, with the same kernel."""
    return resize_conv_layer(make_kernel(init, factor, size), channels)


@functools.lru_cache(maxsize=1)
def _pipeline():
    return pipeline_model(3)


@functools.lru_cache(maxsize=128)
def _stamps_png(init, factor, size, language):
    """The stamps figure as PNG bytes, rendered once per setting and language (its labels are words)."""
    return figure_png(stamps_figure(make_kernel(init, factor, size), factor, n=STAMPS))


def _display(image):
    """An upsampled picture clipped to [0, 1] and enlarged by pixel repetition to about 384 px."""
    scale = max(1, DISPLAY_SIDE // max(image.shape[:2]))
    return pixelate(np.clip(image, 0.0, 1.0), scale)


@dataclass(frozen=True)
class UpsampledPicture:
    """One upsampled picture as displayed (clipped, pixel-repeated), with its label."""

    label: str
    picture: np.ndarray  # float32 (about 384, 384, 3)
    alt: str = ""  # what the picture shows, for screen readers


@dataclass(frozen=True)
class PipelinePicture:
    """One stage of the pipeline as displayed: twice its real size."""

    caption: str
    picture: np.ndarray
    width: int  # display width in pixels
    alt: str = ""  # what the picture shows, for screen readers


@dataclass(frozen=True)
class UpsamplingResult:
    """Everything the Upsampling page shows for one :class:`Settings`."""

    settings: Settings
    # 1. the kernel and its stamps
    kernel: np.ndarray  # (k, k) float64
    stamps_png: bytes  # five stamps stacked, and the stamps per output pixel
    stamps_alt: str  # the stamps figure in words, for screen readers
    overlap_range: tuple  # (min, max) stamps overlapping in the interior
    divides_evenly: bool  # is the kernel size a multiple of the stride?
    kernel_strength: float  # exact checkerboard strength from the polyphase sums
    count_shape: tuple  # input (h, w) of the two maps below
    overlap_counts: np.ndarray  # int (h f, w f): stamps per output pixel
    summed_weights: np.ndarray  # float32 (h f, w f): the layer's output for a constant 1
    # 2. upsampled pictures
    pictures: tuple  # six UpsampledPicture
    strengths: list  # rows {"method": label, "checkerboard strength": value}
    strength_margin: int  # border pixels ignored by the strengths
    interior_max: float  # max |transposed conv - resize| away from the border
    border_max: float  # ... on the border
    border_width: int  # pixels of that border at the top/left (f // 2)
    edge_weight: float  # summed weight reaching the top edge
    # 3. the pipeline
    pipeline_shapes: str  # one line per stage: name and real tensor shape
    pipeline_pictures: tuple  # PipelinePicture per stage
    pipeline_error: str | None  # why the pipeline could not run


def _stamps_and_counts(settings, kernel, layer):
    factor, size = settings.factor, settings.size
    counts = overlap_count((COUNT_SIDE, COUNT_SIDE), size, factor)
    inner = interior(counts, size + factor)
    small = (RESPONSE_SIDE // factor, RESPONSE_SIDE // factor)
    response = upsample(np.ones(small + (3,), np.float32), "transposed", factor, layer)[:, :, 0]
    lo, hi = int(inner.min()), int(inner.max())
    strength = kernel_checkerboard_strength(kernel, factor)
    row = overlap_count((1, COUNT_SIDE), size, factor)[0, size + factor: -(size + factor)]  # the figure's 1-D view
    stamps = (_("{n} stamps").format(n=row.min()) if row.min() == row.max()
              else _("{low} to {high} stamps").format(low=row.min(), high=row.max()))
    heights = (_("the same height everywhere") if strength < 1e-6
               else _("uneven heights (checkerboard strength {strength})").format(strength=f"{strength:.3f}"))
    return dict(
        kernel=kernel,
        stamps_png=_stamps_png(settings.init, factor, size, current_language()),
        stamps_alt=_("Stacked bar chart: {n} input pixels of value 1 each stamp the {init} {size}×{size} kernel every "
                     "{factor} output pixels, one colour per input pixel; away from the edges each output pixel gets "
                     "{stamps} and the columns have {heights}. Below: the number of stamps per output pixel.").format(
            n=STAMPS, init=_(INIT_LABELS[settings.init]).lower(), size=size, factor=factor, stamps=stamps,
            heights=heights),
        overlap_range=(lo, hi),
        divides_evenly=size % factor == 0,
        kernel_strength=strength,
        count_shape=small,
        overlap_counts=overlap_count(small, size, factor),
        summed_weights=response,
    )


def _methods(settings, layer):
    """The six methods the page compares: (label, method, layer)."""
    factor, size = settings.factor, settings.size
    k = kernel_size(factor)
    return [
        (_("Nearest (tf.image.resize)"), "nearest", None),
        (_("Bilinear (tf.image.resize)"), "bilinear", None),
        (_("Transposed conv, bilinear init, {k}×{k}").format(k=k), "transposed",
         _transposed_layer("bilinear", factor, k)),
        (_("Transposed conv, random init, {size}×{size}").format(size=size), "transposed",
         _transposed_layer("random", factor, size)),
        (_("Resize, then convolve with that random {size}×{size}").format(size=size), "resize_conv",
         _smoothing_layer("random", factor, size)),
        (_("Transposed conv, your kernel ({init}, {size}×{size})").format(init=_(INIT_LABELS[settings.init]).lower(),
                                                                          size=size),
         "transposed", layer),
    ]


def _upsampled_pictures(settings, image, layer):
    factor = settings.factor
    constant = np.full((CONSTANT_SIDE, CONSTANT_SIDE, 3), 0.5, np.float32)
    margin = max(settings.size, kernel_size(factor)) + factor
    pictures, strengths = [], []
    what = (_("the photo {photo}").format(photo=settings.photo) if settings.source == "photo"
            else _("the test pattern {pattern}").format(pattern=_(PATTERN_LABELS[settings.pattern]).lower()))
    for label, method, lay in _methods(settings, layer):
        flat = upsample(constant, method, factor, lay)
        strength = round(checkerboard_strength(flat, margin), 4)
        alt = _("{what}, {side}×{side} pixels, enlarged {factor} times by {method}").format(
            what=what[0].upper() + what[1:], side=INPUT_SIDE, factor=factor, method=label[0].lower() + label[1:])
        if strength >= 0.01:
            alt += _("; a checkerboard of strength {strength} shows").format(strength=f"{strength:g}")
        pictures.append(UpsampledPicture(label, _display(upsample(image, method, factor, lay)), alt))
        strengths.append({"method": label, "checkerboard strength": strength})
    cmp = compare_with_resize(image, factor)
    bilinear_layer = _transposed_layer("bilinear", factor, kernel_size(factor))
    ones = np.ones((EDGE_SIDE, EDGE_SIDE, 3), np.float32)
    edge = upsample(ones, "transposed", factor, bilinear_layer)[0, EDGE_SIDE // 2 * factor, 0]
    return dict(
        pictures=tuple(pictures),
        strengths=strengths,
        strength_margin=margin,
        interior_max=cmp["interior_max"],
        border_max=cmp["border_max"],
        border_width=cmp["border"][0],
        edge_weight=float(edge),
    )


def _pipeline_stages(settings):
    name = settings.photo if settings.source == "photo" else PIPELINE_PHOTO
    try:
        stages = run_pipeline(_pipeline_photo(name), _pipeline())
    except (ValueError, OSError) as err:
        return dict(pipeline_shapes="", pipeline_pictures=(), pipeline_error=str(err))
    pictures = tuple(
        # twice the real size, so the pool's halving shows
        PipelinePicture(f"{_stage(s.name)} {s.shape[1]}×{s.shape[2]}", pixelate(np.clip(s.image, 0.0, 1.0), 2),
                        2 * s.shape[2],
                        _("The photo {name} after the stage {stage}: {h}×{w} pixels, shown at twice that size").format(
                            name=name, stage=_stage(s.name), h=s.shape[1], w=s.shape[2]))
        for s in stages
    )
    shapes = "\n".join(f"{s.name:<24} {s.shape}" for s in stages)
    return dict(pipeline_shapes=shapes, pipeline_pictures=pictures, pipeline_error=None)


def _stage(name):
    """A pipeline stage's name: its layer's name (code), or "input" in the run's language."""
    return _("input") if name == "input" else name


def analyse(settings, image):
    """Everything the Upsampling page shows for ``settings`` and the input ``image``.

    Parameters
    ----------
    settings : Settings
        Fitted by :func:`clamp_settings`.
    image : ndarray, float32, shape (H, W, 3)
        The picture to upsample (:func:`input_image`).

    Returns
    -------
    UpsamplingResult

    Raises
    ------
    ImportError
        When TensorFlow is not installed.

    Notes
    -----
    Every figure is computed live with the real layers: the summed weights
    are the layer's output for a constant image of 1, each checkerboard
    strength is measured on a constant grey image of 24x24 upsampled by the
    method, and the pipeline runs a 128-px photo through real Keras layers.
    """
    kernel = make_kernel(settings.init, settings.factor, settings.size)
    layer = _transposed_layer(settings.init, settings.factor, settings.size)
    return UpsamplingResult(
        settings=settings,
        **_stamps_and_counts(settings, kernel, layer),
        **_upsampled_pictures(settings, image, layer),
        **_pipeline_stages(settings),
    )
