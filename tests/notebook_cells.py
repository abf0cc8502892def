"""Read the code of a notebook's solution cells, so tests can run every solution through its checker."""
import json
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

PRELUDE = """
import math
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import gan_lesson as gl
from gan_lesson import samplers, features, models, losses, metrics
"""


def cells(notebook, tag):
    """Sources of the code cells of ``notebook`` (file name in notebooks/) carrying ``tag``."""
    nb = json.loads((NOTEBOOKS / notebook).read_text(encoding="utf-8"))
    out = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and tag in cell.get("metadata", {}).get("tags", []):
            src = cell["source"]
            out.append("".join(src) if isinstance(src, list) else src)
    return out


def solution_namespace(notebook):
    """Execute the notebook's ``exercise-setup`` cells, then its ``solution`` cells; return the names they define."""
    ns = {}
    exec(PRELUDE, ns)
    for src in cells(notebook, "exercise-setup") + cells(notebook, "solution"):
        exec(compile(src, f"<{notebook} cell>", "exec"), ns)
    return ns
