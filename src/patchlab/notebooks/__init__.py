"""Take-home notebooks: every page of PatchLab as a Jupyter notebook of the participant's own session.

Each builder takes what a page shows at that moment (its settings, the photo,
the mask or drawing, the model that answered, the numbers on screen) and
returns a :class:`Download`: one ``.ipynb`` when nothing else is needed, else
one ``.zip`` holding the notebook and its files (photo, mask, model and card).
The notebook teaches the page's algorithm top to bottom with the real code,
recomputes the page's numbers, and its last cell says whether they agree. It
runs in a fresh Jupyter kernel with only the packages its first cell installs
(pinned to PatchLab's versions); no PatchLab checkout is needed.

A notebook that cannot be built raises :class:`NotebookError`, whose message
is a sentence for the page. Nothing here imports Streamlit; the page's button
is :func:`patchlab.ui.notebook.download_notebook`.
"""

from patchlab.notebooks.book import Download, NotebookError
from patchlab.notebooks.classification import classification_notebook
from patchlab.notebooks.classifier_training import classifier_training_notebook
from patchlab.notebooks.inpainter_training import inpainter_training_notebook
from patchlab.notebooks.inpainting import inpainting_notebook
from patchlab.notebooks.patches import patches_notebook
from patchlab.notebooks.upsampling import upsampling_notebook

__all__ = ["Download", "NotebookError", "patches_notebook", "upsampling_notebook", "inpainting_notebook",
           "classification_notebook", "classifier_training_notebook", "inpainter_training_notebook"]
