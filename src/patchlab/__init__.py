"""PatchLab: patch-based deep learning on images, taught interactively.

The package holds all the logic of the app as plain functions; only
``patchlab.ui`` imports Streamlit.
"""

from pathlib import Path

__version__ = "0.1.0"

#: Repository root (the folder holding ``models/`` and ``data/``).
ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = ROOT / "models"
DATA_DIR = ROOT / "data"
