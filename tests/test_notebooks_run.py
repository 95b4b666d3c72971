"""Every page's take-home notebook, executed in a fresh Jupyter kernel, reproduces the page's numbers.

Each notebook is built as the page builds it, unpacked into a temporary
folder, and run top to bottom by nbclient in a new ipykernel started from
this environment's Python, with PatchLab made unimportable in the kernel
(``sys.modules['patchlab'] = None``): the notebook needs only the packages
its first cell installs (``%pip install``, already satisfied here, so
offline). The page's numbers are then computed in the test with the same
demo functions the page calls, and compared with the ones the notebook
computed (its ``OURS``): patch counts and coverage exactly, PSNR within
0.01 dB, fused probabilities within 1e-5, a trained model's answers
exactly. The notebook's own last cell must also say that every number
agrees. Each test prints how long its notebook took to execute.
"""

from __future__ import annotations

import io
import json
import sys
import time
import zipfile

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from patchlab.notebooks.book import array_digest

pytestmark = pytest.mark.slow

KERNEL = "patchlab-free"
BOOT = ("import sys; sys.modules['patchlab'] = None; "  # no PatchLab in the kernel: the notebook must not need it
        "from ipykernel.kernelapp import launch_new_instance; launch_new_instance()")


@pytest.fixture(scope="module")
def kernel_home(tmp_path_factory, monkeypatch_module):
    """A kernel spec that starts this Python with PatchLab blocked."""
    home = tmp_path_factory.mktemp("jupyter")
    spec = home / "kernels" / KERNEL
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-c", BOOT, "-f", "{connection_file}"],
        "display_name": "Python 3 (no PatchLab)", "language": "python",
        "env": {"TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore"}}))
    monkeypatch_module.setenv("JUPYTER_PATH", str(home))
    return home


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def execute(download, tmp_path):
    """Unpack and run ``download``; return the notebook's ``OURS`` and its last cell's output."""
    folder = tmp_path / "download"
    folder.mkdir()
    if download.file_name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
            archive.extractall(folder)
        path = next(folder.rglob("*.ipynb"))
    else:
        path = folder / download.file_name
        path.write_bytes(download.data)
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import json; print('@@' + json.dumps(OURS))"))
    began = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name=KERNEL, resources={"metadata": {"path": str(path.parent)}}).execute()
    seconds = time.perf_counter() - began
    print(f"\n{download.file_name}: executed in {seconds:.1f} s")
    outputs = ["".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
               for cell in nb.cells if cell.cell_type == "code"]
    ours = json.loads(outputs[-1].split("@@", 1)[1])
    verdict = outputs[-2].strip().splitlines()[-1]
    return ours, verdict


def assert_all_agree(verdict, ours):
    assert verdict == f"All {len(ours)} numbers agree with what the page showed.", verdict


# ---------------------------------------------------------------------------------------------- Patches


@pytest.mark.parametrize("name, settings", [
    ("astronaut", dict(patch=(64, 64), stride=(32, 32), window="hann", edge="pad", highlight=7)),
    ("upload", dict(patch=(9, 14), stride=(11, 6), window="gaussian", edge="shift", highlight=4)),
])
def test_patches_notebook_reproduces_the_page(kernel_home, tmp_path, name, settings):
    from patchlab.images import load_sample
    from patchlab.notebooks import patches_notebook
    from patchlab.patches.demo import Settings, analyse_photo

    photo = (load_sample(name, max_side=512) if name != "upload"
             else np.random.default_rng(5).integers(0, 256, (70, 95, 3), dtype=np.uint8))
    result = analyse_photo(photo, Settings(name, **settings))
    ours, verdict = execute(patches_notebook(photo, result), tmp_path)
    report = result.report
    assert ours["patches"] == report.n_patches and ours["patch rows, columns"] == list(report.grid)
    assert ours["coverage fingerprint"] == array_digest(report.coverage.astype(np.int64))
    assert ours["pixels no patch covers"] == report.uncovered
    assert ours["round-trip max error"] < 1e-6 and report.max_error < 1e-6
    assert_all_agree(verdict, ours)


# ---------------------------------------------------------------------------------------------- Upsampling


@pytest.mark.parametrize("settings", [
    dict(factor=2, init="bilinear", source="photo", photo="coffee"),
    dict(factor=3, init="random", custom_size=4, source="pattern", pattern="disc"),
])
def test_upsampling_notebook_reproduces_the_page(kernel_home, tmp_path, settings):
    from patchlab.notebooks import upsampling_notebook
    from patchlab.upsampling.demo import Settings, analyse, input_image

    s = Settings(**settings)
    result = analyse(s, input_image(s))
    ours, verdict = execute(upsampling_notebook(result), tmp_path)
    np.testing.assert_allclose(ours["kernel"], result.kernel, atol=1e-12)
    assert ours["stamps overlapping in the interior (min, max)"] == list(result.overlap_range)
    assert ours["checkerboard strength of the six methods"] == [r["checkerboard strength"] for r in result.strengths]
    assert abs(ours["interior: max |transposed conv - resize|"] - result.interior_max) < 1e-6
    assert_all_agree(verdict, ours)


# ---------------------------------------------------------------------------------------------- Inpainting


@pytest.fixture(scope="module")
def domain_model():
    """A domain model trained with the page's own job (brick, 1 step of fine-tuning the U-Net)."""
    from patchlab.inpainting import Inpainter, live
    from patchlab.inpainting.domain import demo_photo_set

    photos = demo_photo_set("brick")
    shipped = Inpainter.load()
    model = live.training_job(live.DomainRequest(photos, "unet", steps=1), lambda: shipped)(
        lambda event: None, lambda: False)
    return model, photos


def test_inpainting_notebook_reproduces_the_shipped_unet_and_the_classical_methods(kernel_home, tmp_path):
    from patchlab.inpainting import Inpainter
    from patchlab.inpainting.demo import run_fill, sample_photo
    from patchlab.notebooks import inpainting_notebook

    photo, _ = sample_photo("chelsea")
    mask = np.zeros(photo.shape[:2], bool)
    mask[120:170, 200:260] = True  # a square hole: the hole and its context fit one tile, four mirrored views
    unet = Inpainter.load()
    result = run_fill(photo, mask, ("telea", "ns", "biharmonic", "harmonic"), lambda: unet)
    ours, verdict = execute(inpainting_notebook(result, sample="chelsea"), tmp_path)
    for key in result.images:
        shown = result.metrics[key]["psnr_masked"]
        assert abs(ours[f"{result.label(key)}: PSNR in the hole (dB)"] - shown) < 0.01, key
    assert_all_agree(verdict, ours)


def test_inpainting_notebook_reproduces_a_domain_model_on_an_upload_filled_tile_by_tile(
        kernel_home, tmp_path, domain_model):
    from patchlab.inpainting.demo import run_fill
    from patchlab.notebooks import inpainting_notebook
    from patchlab.notebooks.inpainting import needs_tiles

    model, _ = domain_model
    rng = np.random.default_rng(11)
    base = np.linspace(0, 255, 420)[None, :, None] * np.ones((330, 1, 3))
    photo = np.clip(base + rng.normal(0, 20, base.shape), 0, 255).astype(np.uint8)  # an "uploaded" photo
    mask = np.zeros(photo.shape[:2], bool)
    mask[40:52, 20:400] = True
    mask[40:300, 200:214] = True  # long strokes: the region is larger than a tile
    assert needs_tiles(photo.shape, mask)
    result = run_fill(photo, mask, (), lambda: model.inpainter, unet_label="My domain model")
    ours, verdict = execute(inpainting_notebook(result, sample=None, model_files=model.files()), tmp_path)
    assert abs(ours["My domain model: PSNR in the hole (dB)"] - result.metrics["unet"]["psnr_masked"]) < 0.01
    assert_all_agree(verdict, ours)


def test_inpainter_training_notebook_reproduces_the_domain_models_scores(kernel_home, tmp_path, domain_model):
    from patchlab.notebooks import inpainter_training_notebook

    model, photos = domain_model
    ours, verdict = execute(inpainter_training_notebook(model, photos), tmp_path)
    evaluation = model.card["domain"]["evaluation"]
    for family, name in (("square", "squares"), ("brush", "brush strokes")):
        assert abs(ours[f"Brick wall, {name}: your model's masked PSNR (dB)"]
                   - evaluation["domain_held_out"]["mine"][family]) < 0.01
        assert abs(ours[f"standard photos, {name}: your model's masked PSNR (dB)"]
                   - evaluation["standard_held_out"]["mine"][family]) < 0.01
    assert_all_agree(verdict, ours)


# ---------------------------------------------------------------------------------------------- Classification


@pytest.fixture(scope="module")
def trained_classifier():
    """A classifier trained with the page's own job: p = 12, 60 steps, no augmentation (its answers vary)."""
    from patchlab.classification import live

    request = live.TrainRequest(patch_size=12, rule="vote", seconds=120, augment=False, steps=60)
    return live.training_job(request)(lambda event: None, lambda: False)


def test_classification_notebook_reproduces_a_drawing_with_the_shipped_model(kernel_home, tmp_path):
    from patchlab.classification import demo
    from patchlab.notebooks import classification_notebook

    canvas = np.zeros((280, 280, 4), np.uint8)  # the page's black canvas with white strokes: a 7
    canvas[..., 3] = 255
    canvas[60:82, 70:210, :3] = 255
    for k in range(150):
        y, x = 80 + k, 205 - int(k * 0.55)
        canvas[y:y + 20, x - 10:x + 10, :3] = 255
    view = demo.analyse_digit(demo.Settings(14, "product", "Draw"), drawing=canvas)
    ours, verdict = execute(classification_notebook(view, drawing=canvas), tmp_path)
    np.testing.assert_allclose(ours["patch probabilities"], view.prediction.patch_probs, atol=1e-5)
    np.testing.assert_allclose(ours["fused probabilities"], view.prediction.fused, atol=1e-5)
    assert ours["answer"] == view.prediction.label
    assert_all_agree(verdict, ours)


def test_classification_notebook_reproduces_a_test_digit_with_the_participants_model(
        kernel_home, tmp_path, trained_classifier):
    from patchlab.classification import demo
    from patchlab.classification.data import gallery_digits
    from patchlab.notebooks import classification_notebook

    own = demo.OwnModel(trained_classifier.classifier, 1, time.time(), trained_classifier.steps,
                        trained_classifier.seconds)
    view = demo.analyse_digit(demo.Settings(18, "max", "Test digit gallery", digit=42, model="mine"),
                              gallery=gallery_digits(), own=own)
    assert view.model == "mine"
    ours, verdict = execute(classification_notebook(view, model_files=trained_classifier.files()), tmp_path)
    np.testing.assert_allclose(ours["fused probabilities"], view.prediction.fused, atol=1e-5)
    assert ours["each patch's answer"] == view.prediction.patch_labels.tolist()
    assert_all_agree(verdict, ours)


def test_classifier_training_notebook_reproduces_every_answer_of_the_trained_model(
        kernel_home, tmp_path, trained_classifier):
    from patchlab.classification.accuracy import batch_patch_probabilities
    from patchlab.classification.fusion import fused_label
    from patchlab.notebooks import classifier_training_notebook
    from patchlab.notebooks.classifier_training import _test_digits

    model = trained_classifier
    ours, verdict = execute(classifier_training_notebook(model), tmp_path)
    images, labels = _test_digits(model.request)
    answers = fused_label(batch_patch_probabilities(model.classifier.model, images, 12), "vote").tolist()
    assert len(set(answers)) > 1  # a model that learnt something: its answers differ between digits
    assert ours["answers under the rule vote"] == answers
    assert ours["fused (majority vote), accuracy"] == model.test["fused"]["vote"]
    assert [ours[f"{n} patch, accuracy"] for n in ("top-left", "top-right", "bottom-left", "bottom-right")] \
        == model.test["single_patch"]
    assert_all_agree(verdict, ours)


# ---------------------------------------------------------------------------------------------- custom layers


def test_a_model_with_the_fourier_layer_loads_from_the_notebooks_own_definition(tmp_path):
    import subprocess

    from patchlab.inpainting.model import build_unet
    from patchlab.notebooks.models import custom_layer_source

    model = build_unet(widths=(4, 8), fourier_blocks=1)
    model.get_layer("fourier0_merge").set_weights([w + 0.1 for w in model.get_layer("fourier0_merge").get_weights()])
    path = tmp_path / "fourier.keras"
    model.save(path)
    x = np.random.default_rng(0).random((1, 32, 32, 3), np.float32)
    m = np.zeros((1, 32, 32, 1), np.float32)
    m[:, 8:20, 8:20] = 1
    np.save(tmp_path / "expected.npy", np.asarray(model({"image": x, "mask": m}, training=False)))
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "m.npy", m)
    (tmp_path / "layer.py").write_text("import keras\nfrom keras import layers\n\n" + custom_layer_source(path.read_bytes()))
    script = ("import sys; sys.modules['patchlab'] = None\n"  # as in a notebook: no PatchLab
              "import numpy as np, keras\n"
              "exec(open('layer.py').read())\n"
              "model = keras.models.load_model('fourier.keras', safe_mode=True, compile=False)\n"
              "out = np.asarray(model({'image': np.load('x.npy'), 'mask': np.load('m.npy')}, training=False))\n"
              "print(float(np.abs(out - np.load('expected.npy')).max()))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300,
                          env={"PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "2", "HOME": str(tmp_path)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert float(done.stdout.strip().splitlines()[-1]) < 1e-5
