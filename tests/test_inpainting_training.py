"""Inpainting training: model building, save/load, training steps, the loss, the model card,
the photo downloads, the evaluation metrics and the documented training commands."""

import json

import numpy as np
import pytest
from PIL import Image

from patchlab.inpainting import Inpainter, ModelUnavailable
from patchlab.inpainting.evaluate import region_metrics, target_check
from patchlab.inpainting.infer import DEFAULT_MODEL, RETRAIN
from patchlab.inpainting.masks import square_mask
from patchlab.inpainting.prefill import harmonic_fill, prefill_function, pull_push_fill


# ----------------------------------------------------------- model
@pytest.fixture(scope="module")
def tiny_model_path(tmp_path_factory):
    from patchlab.inpainting.model import build_unet

    model = build_unet(widths=(4, 8, 8, 8, 8))
    model.get_layer("correction").set_weights(  # a non-zero correction, so the hole changes
        [np.full((1, 1, 4, 3), 0.05, np.float32), np.full((3,), 0.1, np.float32)])
    path = tmp_path_factory.mktemp("models") / "tiny.keras"
    model.save(path)
    return path



def test_upsampling_starts_bilinear():
    from patchlab.inpainting.model import build_unet
    from patchlab.upsampling import bilinear_weights

    model = build_unet(widths=(4, 8, 8))
    w = model.get_layer("dec0_upsample").get_weights()[0]
    np.testing.assert_allclose(w, bilinear_weights(2, 8))


def test_save_load_round_trip_with_safe_mode(tiny_model_path):
    import keras

    model = keras.models.load_model(tiny_model_path, safe_mode=True)
    x = {"image": np.random.default_rng(0).random((1, 32, 48, 3)).astype(np.float32),
         "mask": np.zeros((1, 32, 48, 1), np.float32)}
    x["mask"][:, 8:20, 10:30] = 1
    again = keras.models.load_model(tiny_model_path, safe_mode=True)
    np.testing.assert_allclose(np.asarray(model(x, training=False)),
                               np.asarray(again(x, training=False)), atol=1e-6)
    # known pixels pass through the network's composite unchanged
    out = np.asarray(model(x, training=False))
    np.testing.assert_allclose(out[x["mask"][..., 0] == 0], x["image"][x["mask"][..., 0] == 0],
                               atol=1e-6)


def test_context_blocks_start_as_the_identity_and_weights_carry_over_by_name():
    import keras

    from patchlab.inpainting.model import build_unet
    from patchlab.inpainting.train import copy_weights_by_name

    keras.utils.set_random_seed(0)
    plain = build_unet(widths=(4, 8, 8))
    plain.get_layer("correction").set_weights(
        [np.full((1, 1, 4, 3), 0.05, np.float32), np.full((3,), 0.1, np.float32)])
    wider = build_unet(widths=(4, 8, 8), context_blocks=2)
    new = copy_weights_by_name(plain, wider)
    assert new == ["context0_conv1", "context0_conv2", "context1_conv1", "context1_conv2"]
    assert wider.get_layer("context1_conv1").dilation_rate == (4, 4)
    x = {"image": np.random.default_rng(1).random((1, 32, 32, 3)).astype(np.float32),
         "mask": np.ones((1, 32, 32, 1), np.float32)}
    np.testing.assert_allclose(np.asarray(wider(x)), np.asarray(plain(x)), atol=1e-6)
    # once the blocks learn something, the output changes
    wider.get_layer("context0_conv2").set_weights(
        [np.full(w.shape, 0.01, np.float32) for w in wider.get_layer("context0_conv2").get_weights()])
    assert np.abs(np.asarray(wider(x)) - np.asarray(plain(x))).max() > 1e-4
    with pytest.raises(ValueError, match="lacks: context0_conv1"):
        copy_weights_by_name(wider, plain)
    with pytest.raises(ValueError, match="shapes"):
        copy_weights_by_name(build_unet(widths=(4, 8, 16)), plain)
    with pytest.raises(ValueError, match="context_blocks"):
        build_unet(context_blocks=-1)


def test_seed_network_keeps_the_tutorial_size():
    from patchlab.inpainting.model import build_seed

    model = build_seed()
    assert model(np.zeros((1, 228, 228, 3), np.float32)).shape == (1, 228, 228, 3)
    names = [layer.name for layer in model.layers]
    assert "bottleneck_conv2" in names and "output_relu" in names


@pytest.mark.skipif(not DEFAULT_MODEL.exists(), reason="no trained model committed yet")
def test_shipped_figures_agree_in_card_report_and_readme():
    # The held-out table is written by `evaluate --json` into the report and the card, and
    # copied into the README; a retrained model must not leave stale figures in any of them.
    from pathlib import Path

    from patchlab.inpainting.evaluate import EVAL_JSON, format_table, read_inpainting_report

    card = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    report = read_inpainting_report(EVAL_JSON)
    assert card["evaluation_vs_classical"]["families"] == report["families"]
    assert card["evaluation_vs_classical"]["target"] == report["target"]
    assert Inpainter.load().prefill is prefill_function(card.get("prefill"))

    def without_times(table):  # times are re-measured on every run; the scores are seeded
        return [row.rsplit("|", 2)[0] for row in table.splitlines()]

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    rows = without_times(format_table(report))
    start = readme.index(rows[0])
    assert without_times(readme[start:].split("\n\n", 1)[0]) == rows


def test_region_metrics_and_target_check():
    a = np.full((32, 32, 3), 100, np.uint8)
    b = a.copy()
    m = np.zeros((32, 32), bool)
    m[8:16, 8:16] = True
    b[m] = 110
    r = region_metrics(a, b, m)
    assert r["psnr_masked"] == pytest.approx(20 * np.log10(255 / 10))
    assert r["psnr_whole"] > r["psnr_masked"] and r["ssim_whole"] > r["ssim_masked"]
    with pytest.raises(ValueError, match="empty"):
        region_metrics(a, b, np.zeros((32, 32), bool))
    fam = {"square": {"unet": {"psnr_masked": 27.0, "ssim_masked": 0.8},
                      "telea": {"psnr_masked": 25.5, "ssim_masked": 0.7},
                      "biharmonic": {"psnr_masked": 26.2, "ssim_masked": 0.75}}}
    t = target_check(fam)["square"]
    assert t["best_classical"] == "biharmonic" and not t["met"]
    # the harmonic fill is the U-Net's first guess: reported, not a competitor
    fam["square"]["harmonic"] = {"psnr_masked": 26.9, "ssim_masked": 0.9}
    fam["square"]["unet"] = {"psnr_masked": 27.3, "ssim_masked": 0.8}
    t = target_check(fam)["square"]
    assert t["best_classical"] == "biharmonic" and t["met"]
    assert t["psnr_gain_over_first_guess_db"] == pytest.approx(0.4)


def test_one_training_step_on_a_folder(tmp_path):
    from patchlab.inpainting.data import load_folder
    from patchlab.inpainting.train import train_inpainter

    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 256, (40, 60, 3), dtype=np.uint8)).save(photos / "a.png")
    Image.fromarray(rng.integers(0, 256, (50, 30, 3), dtype=np.uint8)).save(photos / "sub" / "b.jpg")
    (photos / "notes.txt").write_text("not a photo")
    (photos / "broken.png").write_bytes(b"garbage")
    assert [p.name for p in load_folder(photos)] == ["a", "b"]
    with pytest.raises(ValueError, match="folder"):
        load_folder(tmp_path / "missing")

    out = tmp_path / "m" / "smoke.keras"
    card = train_inpainter("unet", steps=1, batch=1, out=out, data_dir=photos, size=32,
                           progress=False, evaluate=False)
    assert out.exists() and card["steps_done"] == 1
    saved = json.loads(out.with_suffix(".json").read_text())
    assert saved["data_dir"] == str(photos) and [p["name"] for p in saved["training_photos"]] == ["a", "b"]
    model = Inpainter.load(out, allow_outside_models=True)
    image = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    mask = square_mask((32, 32), seed=0)
    np.testing.assert_array_equal(model.inpaint(image, mask)[~mask], image[~mask])

    # an interrupted run is reproduced with --stop-at: the schedule of --steps, fewer steps
    stopped = train_inpainter("unet", steps=5, stop_at=2, batch=1, out=tmp_path / "m" / "stopped.keras",
                              data_dir=photos, size=32, progress=False, evaluate=False, init=out)
    assert stopped["steps_done"] == 2 and stopped["status"] == "stopped at step 2 of 5"
    assert stopped["initialised_from"]["steps_done"] == 1
    # a wider network continues from a plain one: the new blocks are named on its card
    wider = train_inpainter("unet", steps=1, batch=1, out=tmp_path / "m" / "wider.keras", data_dir=photos,
                            size=32, progress=False, evaluate=False, init=out, context_blocks=1, square_share=1.0)
    assert wider["new_layers_at_init"] == ["context0_conv1", "context0_conv2"]
    assert wider["context_blocks"] == 1 and wider["square_share"] == 1.0
    with pytest.raises(ValueError, match="context_blocks"):
        train_inpainter("seed", steps=1, out=tmp_path / "m" / "s.keras", data_dir=photos, context_blocks=1)
    # bfloat16 arithmetic in training, a float32 model on disk, the same network
    fast = train_inpainter("unet", steps=2, batch=1, out=tmp_path / "m" / "bf16.keras", data_dir=photos,
                           size=32, progress=False, evaluate=False, init=out, bfloat16=True, checkpoint_every=1)
    assert fast["precision"].startswith("mixed bfloat16") and card["precision"] == "float32"
    import keras

    saved_bf16 = keras.models.load_model(tmp_path / "m" / "bf16.keras", safe_mode=True)
    assert {layer.dtype_policy.name for layer in saved_bf16.layers} == {"float32"}
    assert keras.mixed_precision.global_policy().name == "float32"  # the policy is restored
    before = keras.models.load_model(out, safe_mode=True)
    assert [w.shape for w in saved_bf16.weights] == [w.shape for w in before.weights]
    pairs = list(zip(saved_bf16.get_weights(), before.get_weights()))
    assert any(not np.array_equal(a, b) for a, b in pairs)  # trained ...
    assert all(np.allclose(a, b, atol=5e-3) for a, b in pairs)  # ... from the weights it started with
    with pytest.raises(ValueError, match="stop_at"):
        train_inpainter("unet", steps=5, stop_at=6, out=tmp_path / "m" / "x.keras", data_dir=photos, size=32)


def test_the_card_names_the_first_guess(tiny_model_path, tmp_path):
    import shutil

    from patchlab.inpainting.data import Photo
    from patchlab.inpainting.train import make_batch

    assert Inpainter.load(tiny_model_path, allow_outside_models=True).prefill is pull_push_fill
    path = tmp_path / "harmonic.keras"
    shutil.copy(tiny_model_path, path)
    path.with_suffix(".json").write_text(json.dumps({"prefill": "harmonic"}))
    assert Inpainter.load(path, allow_outside_models=True).prefill is harmonic_fill
    path.with_suffix(".json").write_text(json.dumps({"prefill": "diffusion"}))  # a hand-edited card
    with pytest.raises(ModelUnavailable, match="unknown first guess 'diffusion'.*Retrain"):
        Inpainter.load(path, allow_outside_models=True)
    photo = Photo("noise", "test", np.random.default_rng(0).integers(0, 256, (48, 48, 3), dtype=np.uint8))
    inputs, target, mask = make_batch([photo], 2, 32, np.random.default_rng(1), prefill="harmonic")
    for image, t, m in zip(inputs["image"], target, mask):
        np.testing.assert_allclose(image, harmonic_fill(t, m[..., 0] > 0), atol=1e-6)


# ---------------------------------------------------- OpenCV sample photos
def test_opencv_photos_load_from_the_cache_and_check_the_download(tmp_path, monkeypatch):
    import cv2

    from patchlab.inpainting import opencv_photos

    rng = np.random.default_rng(0)
    for name, (filename, _) in opencv_photos.PHOTOS.items():
        frame = rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)
        if filename.endswith(".avi"):
            writer = cv2.VideoWriter(str(tmp_path / filename), cv2.VideoWriter_fourcc(*"MJPG"), 5, (32, 24))
            writer.write(frame)
            writer.release()
        else:
            Image.fromarray(frame).save(tmp_path / filename)

    def no_download(*args, **kwargs):
        raise AssertionError("nothing may be downloaded when the cache is complete")

    monkeypatch.setattr(opencv_photos.urllib.request, "urlopen", no_download)
    photos = opencv_photos.load(tmp_path)
    assert [p.name for p in photos] == list(opencv_photos.PHOTOS)
    assert all(p.image.shape == (24, 32, 3) and p.image.dtype == np.uint8 for p in photos)
    assert all(opencv_photos.SDIST["version"] in p.source for p in photos)

    class Tampered:  # a download whose SHA-256 is not the pinned one is refused
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return b"not the source package"

    monkeypatch.setattr(opencv_photos.urllib.request, "urlopen", lambda *a, **k: Tampered())
    with pytest.raises(OSError, match="SHA-256"):
        opencv_photos.fetch(tmp_path / "empty")
    assert not (tmp_path / "empty").exists()


# ---------------------------------------------------- Debian wallpaper photos
def _fake_deb(members):
    """An ``ar`` archive holding ``members`` (name -> bytes), as a .deb is."""
    blob = b"!<arch>\n"
    for name, data in members.items():
        blob += f"{name + '/':<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(data):<10}`\n".encode("ascii")
        blob += data + (b"\n" if len(data) % 2 else b"")
    return blob


def test_debian_photos_are_extracted_shrunk_and_checked(tmp_path, monkeypatch):
    import hashlib
    import io
    import tarfile

    from patchlab.inpainting import debian_photos

    package = "mate-backgrounds"
    rng = np.random.default_rng(0)
    wanted = {n: v for n, v in debian_photos.PHOTOS.items() if v[0] == package}
    tar_bytes = io.BytesIO()
    with tarfile.open(fileobj=tar_bytes, mode="w:xz") as archive:
        for i, (_name, (_, path, _)) in enumerate(wanted.items()):
            buf = io.BytesIO()
            Image.fromarray(rng.integers(0, 256, (30 + i, 2100, 3), dtype=np.uint8)).save(buf, format="PNG")
            info = tarfile.TarInfo(path)
            info.size = len(buf.getvalue())
            archive.addfile(info, io.BytesIO(buf.getvalue()))
    deb = _fake_deb({"debian-binary": b"2.0\n", "control.tar.xz": b"x", "data.tar.xz": tar_bytes.getvalue()})
    members = debian_photos.deb_members(deb)
    assert list(members) == ["debian-binary", "control.tar.xz", "data.tar.xz"]
    assert members["debian-binary"] == b"2.0\n"
    with pytest.raises(ValueError, match="Debian package"):
        debian_photos.deb_members(b"PK\x03\x04 a zip")
    with pytest.raises(ValueError, match="cut short"):
        debian_photos.deb_members(deb[:-10])
    with pytest.raises(ValueError, match="header"):
        debian_photos.deb_members(deb[:8] + b"x" * 60)

    class Response:
        def __init__(self, data):
            self.data = data

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return self.data

    urls = []

    def urlopen(url, timeout):
        urls.append(url)
        return Response(deb)

    version, pool_path, _, licence = debian_photos.PACKAGES[package]
    monkeypatch.setitem(debian_photos.PACKAGES, package,
                        (version, pool_path, hashlib.sha256(deb).hexdigest(), licence))
    monkeypatch.setattr(debian_photos, "PHOTOS", wanted)
    monkeypatch.setattr(debian_photos.urllib.request, "urlopen", urlopen)
    photos = debian_photos.load(tmp_path)
    assert urls == ["https://deb.debian.org/debian/pool/main/" + pool_path]
    assert [p.name for p in photos] == list(wanted)
    # long side shrunk to LONG_SIDE, aspect kept
    assert photos[0].image.shape == (round(30 * debian_photos.LONG_SIDE / 2100), debian_photos.LONG_SIDE, 3)
    assert all(version in p.source and licence in p.source for p in photos)
    debian_photos.load(tmp_path)  # cached: nothing more is downloaded
    assert len(urls) == 1

    monkeypatch.setitem(debian_photos.PACKAGES, package, (version, pool_path, "0" * 64, licence))
    with pytest.raises(OSError, match="SHA-256"):
        debian_photos.fetch(tmp_path / "empty")
    assert not (tmp_path / "empty").exists()


def test_debian_photo_list_names_pinned_packages():
    from patchlab.inpainting import debian_photos

    assert len(debian_photos.PHOTOS) == 35
    for package, path, what in debian_photos.PHOTOS.values():
        version, pool_path, sha256, licence = debian_photos.PACKAGES[package]
        assert pool_path.endswith(".deb") and len(sha256) == 64 and licence and what
        assert path.startswith("./usr/share/") and path.lower().endswith((".jpg", ".png"))


@pytest.mark.parametrize("module, option", [("opencv_photos", "--opencv-photos"),
                                            ("debian_photos", "--debian-photos")])
def test_training_without_the_download_says_so(tmp_path, monkeypatch, capsys, module, option):
    import importlib

    from patchlab.inpainting.train import main

    photos = importlib.import_module(f"patchlab.inpainting.{module}")

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(photos, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(photos.urllib.request, "urlopen", offline)
    with pytest.raises(SystemExit) as exit_:
        main([option, "--steps", "1", "--out", str(tmp_path / "m.keras")])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "network unreachable" in err and "without the option" in err and "Traceback" not in err
    assert err.startswith(f"error: {option}:")


def test_loss_can_count_every_image_equally():
    from patchlab.inpainting.train import hole_weighted_l1

    target = np.zeros((2, 8, 8, 3), np.float32)
    output = np.zeros_like(target)
    mask = np.zeros((2, 8, 8, 1), np.float32)
    mask[0, :2, :2] = 1  # a small hole, error 1 in it
    output[0, :2, :2] = 1.0
    mask[1, :, :4] = 1  # a large hole, error 0.1 in it
    output[1, :, :4] = 0.1
    w = 6.0
    small = 4 * w * 1.0 / (4 * w + 60)  # weighted mean error of each image
    large = 32 * w * 0.1 / (32 * w + 32)
    by_image = float(hole_weighted_l1(target, output, mask, hole_weight=w, per_sample=True))
    by_pixel = float(hole_weighted_l1(target, output, mask, hole_weight=w))
    assert by_image == pytest.approx((small + large) / 2, rel=1e-5)
    assert by_pixel == pytest.approx((4 * w + 32 * w * 0.1) / (4 * w + 60 + 32 * w + 32), rel=1e-5)


def _documented_train_commands():
    """Every ``python -m patchlab.inpainting.train`` line in the README, the Makefile and the model card."""
    import re
    import shlex
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    texts = [(root / "README.md").read_text(), (root / "Makefile").read_text().replace("$(PY)", "python"),
             RETRAIN]
    card = json.loads((root / "models" / "inpainting.json").read_text())
    texts += [card.get("command") or "", str(card.get("reproduce", ""))]
    commands = []
    for text in texts:
        for match in re.finditer(r"python -m patchlab\.inpainting\.train([^\n#`]*)", text):
            commands.append(shlex.split(match.group(1)))
    return commands


def test_documented_training_commands_parse():
    # A renamed or removed option would leave the README, `make train` or the retrain
    # message pointing at a command that fails at once.
    from patchlab.inpainting.train import build_parser

    commands = _documented_train_commands()
    assert len(commands) >= 10
    parser = build_parser()
    for argv in commands:
        args = parser.parse_args(argv)
        assert args.steps >= 1 and args.out.endswith(".keras"), argv
