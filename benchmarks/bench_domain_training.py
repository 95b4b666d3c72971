"""Teaching the inpainter a domain: masked PSNR of the shipped U-Net before and after 2 min of fine-tuning.

    flock /work/notes/heavy.lock python benchmarks/bench_domain_training.py --domain brick
    flock /work/notes/heavy.lock python benchmarks/bench_domain_training.py --domain brick --arch seed
    python benchmarks/bench_domain_training.py --domain brick --validation --lr 3e-4   # choose settings

Fine-tunes the shipped U-Net (``models/inpainting.keras``) on one demo
domain (:data:`patchlab.inpainting.domain.DEMO_DOMAINS`) for ``--seconds``
of training (the loop's own clock, as ``--seconds`` of the command line),
with the settings the page uses unless given. Then scores the shipped and
the fine-tuned model with the same seeded masks (squares and brush
strokes):

- on the domain's held-out photos (tiles never trained on), and
- on the standard held-out photos, exactly as ``python -m
  patchlab.inpainting.evaluate`` does (9 views x 4 masks per family).

With ``--validation`` the settings are being chosen: the last fifth of the
training tiles is held back as validation photos and scored instead of the
held-out tiles, which stay unseen. Prints a table and a JSON line; the time
per training step comes from the run's card.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from patchlab import runtime  # noqa: E402
from patchlab.inpainting.domain import DEMO_DOMAINS, demo_photo_set, split_photos  # noqa: E402
from patchlab.inpainting.infer import Inpainter  # noqa: E402
from patchlab.inpainting.live import DomainRequest, evaluation_cases, score, standard_cases, training_config  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--domain", choices=sorted(DEMO_DOMAINS), default="brick")
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--arch", choices=("unet", "seed"), default="unet",
                        help="fine-tune the shipped U-Net, or train the tutorial's autoencoder from scratch")
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument("--batch", type=int, default=None)
    parser.add_argument("--size", type=int, default=None, help="crop size (default: the domain's)")
    parser.add_argument("--masks", type=int, default=8, help="seeded masks per domain view and family")
    parser.add_argument("--validation", action="store_true",
                        help="score on validation tiles cut from the training tiles (for choosing settings)")
    parser.add_argument("--no-standard", action="store_true", help="skip the standard held-out photos")
    args = parser.parse_args(argv)

    runtime.tensorflow(threads=2)
    photos = demo_photo_set(args.domain)
    scored = photos.held_out
    if args.validation:
        train, scored = split_photos(photos.train, seed=1)
        photos = replace(photos, train=tuple(train), held_out=tuple(scored))
    request = DomainRequest(photos, args.arch, seconds=min(args.seconds, 600), lr=args.lr, batch=args.batch,
                            crop_size=args.size)
    with tempfile.TemporaryDirectory(prefix="bench-domain-") as folder:
        out = Path(folder) / "domain.keras"
        config, _ = training_config(request, out)
        config = replace(config, seconds=args.seconds, checkpoint_every=10 ** 6)
        from patchlab.inpainting.train import train_inpainter

        began = time.perf_counter()
        card = train_inpainter(config, photos=list(photos.train), held_out_photos=list(scored))
        train_s = time.perf_counter() - began
        mine = Inpainter.load(out, allow_outside_models=True)
    shipped = Inpainter.load()
    per_step = card["wall_time_s"] / max(1, card["steps_done"])
    domain_cases = evaluation_cases(scored, None, args.masks, seed=0)
    figures = {"domain": {"shipped": score(shipped.inpaint, domain_cases), "mine": score(mine.inpaint, domain_cases)}}
    if not args.no_standard:
        std = standard_cases(masks_per_view=4)
        figures["standard"] = {"shipped": score(shipped.inpaint, std), "mine": score(mine.inpaint, std)}
    what = "validation" if args.validation else "held-out"
    print(f"\n{DEMO_DOMAINS[args.domain].title}: {len(photos.train)} training tiles, {len(scored)} {what} tiles; "
          f"{'fine-tuned U-Net' if args.arch == 'unet' else 'autoencoder from scratch'}; lr {config.lr:g}, batch {config.batch}, crop {config.crop_size}; {card['steps_done']} steps in "
          f"{card['wall_time_s']:.0f} s of training ({per_step:.3f} s per step; {train_s:.0f} s with setting up)")
    print("| photos | masks | shipped (dB) | fine-tuned (dB) | change (dB) |")
    print("|---|---|---:|---:|---:|")
    for where, f in figures.items():
        label = f"{args.domain} {what}" if where == "domain" else "standard held-out"
        for family in f["shipped"]:
            a, b = f["shipped"][family], f["mine"][family]
            print(f"| {label} | {family} | {a:.2f} | {b:.2f} | {b - a:+.2f} |")
    print(json.dumps({"domain": args.domain, "arch": args.arch, "validation": args.validation, "lr": config.lr, "batch": config.batch,
                      "crop": config.crop_size, "steps": card["steps_done"], "train_s": card["wall_time_s"],
                      "s_per_step": round(per_step, 4), "figures": figures}))


if __name__ == "__main__":
    main()
