"""The demo pages the app registers, in menu order.

``app.py`` builds ``st.navigation`` from this list and the home page links
every entry, so a page is added in exactly one place. Register only pages
that work.
"""

from dataclasses import dataclass

from patchlab.i18n import N_


@dataclass(frozen=True)
class Demo:
    path: str  # page file, relative to the repository root
    title: str  # English, marked for the catalogue: shown as _(demo.title)
    icon: str  # a Material icon, ":material/name:"
    summary: str  # one sentence for the home page (English, shown as _(demo.summary))


DEMOS = [
    Demo(
        "pages/patches.py",
        N_("Patches"),
        ":material/grid_on:",
        N_(
            "Cut a photo into overlapping patches, see how many patches cover each "
            "pixel and how blending windows weight them, and merge them back."),
    ),
    Demo(
        "pages/upsampling.py",
        N_("Upsampling"),
        ":material/zoom_out_map:",
        N_(
            "Enlarge an image with a transposed convolution initialised as bilinear "
            "interpolation, watch its stamps overlap, and see where checkerboards come from."),
    ),
    Demo(
        "pages/inpainting.py",
        N_("Inpainting"),
        ":material/healing:",
        N_(
            "Paint over part of a photo and fill it with a trained U-Net, beside the "
            "classical methods, scored against the original."),
    ),
    Demo(
        "pages/spot_the_fill.py",
        N_("Spot the fill"),
        ":material/visibility:",
        N_(
            "A game for the room: two crops of the same place, one photo and one filled by a method "
            "drawn at random; pick the photo and see how often each method fools you."),
    ),
    Demo(
        "pages/classification.py",
        N_("Classification"),
        ":material/draw:",
        N_(
            "Draw a digit: four overlapping corner patches go through one small CNN "
            "and their probabilities are fused into one answer, with measured accuracies."),
    ),
    Demo(
        "pages/train.py",
        N_("Train a classifier"),
        ":material/model_training:",
        N_(
            "Train the four-patch classifier live: any patch size, watch the loss and each patch's "
            "accuracy climb, compare with the shipped model, sweep the patch size, add your own digits."),
    ),
    Demo(
        "pages/train_inpainter.py",
        N_("Train an inpainter"),
        ":material/landscape:",
        N_(
            "Teach the inpainter one domain of photos, yours or a demo one: watch it fill that domain's held-out "
            "photos better than the shipped model, and see what specialising costs on other photos."),
    ),
]


HOME = "pages/home.py"


def page_names() -> list[str]:
    """The names a scene's ``page`` may take: ``home`` and each demo's URL name."""
    return ["home"] + [_stem(d.path) for d in DEMOS]


def _stem(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".py")


def page_path(name: str) -> str:
    """The page file for a scene's page name (what ``st.switch_page`` takes)."""
    if name == "home":
        return HOME
    for demo in DEMOS:
        if _stem(demo.path) == name:
            return demo.path
    raise ValueError(f"page must be one of {page_names()}, not {name!r}")
