"""Tidy the saved outputs of executed notebooks, so that a reader without a kernel sees what a student saw.

    python tools/tidy_outputs.py notebooks/*.ipynb

Run it after re-executing notebooks. For every code cell it
- joins consecutive pieces of the same stream (a progress line printed every half second is
  saved as dozens of pieces) and keeps, of each line redrawn with a carriage return, only what
  was on screen at the end, as a terminal shows it;
- replaces the text form of a widget ("VBox(children=(HBox(...") with one sentence saying the
  widget needs a running kernel (the live view itself is kept for Jupyter);
- drops the execution timestamps nbclient writes into each cell's metadata.
Cell sources are never touched. A notebook already tidy is left byte for byte as it was.
"""
import json
import re
import sys
from pathlib import Path

WIDGET = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = "(an interactive widget: it appears when the notebook runs in Jupyter with a kernel)"


def _as_text(value):
    return "".join(value) if isinstance(value, list) else value


def settle_carriage_returns(text):
    """What a terminal shows of ``text``: each line keeps only what followed its last carriage return."""
    lines = text.split("\n")
    return "\n".join(line.rstrip("\r").rsplit("\r", 1)[-1] for line in lines)


def tidy_outputs(outputs):
    tidy = []
    for out in outputs:
        if out.get("output_type") == "stream" and tidy and tidy[-1].get("output_type") == "stream" \
                and tidy[-1]["name"] == out["name"]:
            tidy[-1]["text"] = _as_text(tidy[-1]["text"]) + _as_text(out["text"])
            continue
        out = dict(out)
        if out.get("output_type") == "stream":
            out["text"] = _as_text(out["text"])
        data = out.get("data")
        if data and WIDGET in data and "text/plain" in data:
            out["data"] = dict(data, **{"text/plain": WIDGET_NOTE})
        tidy.append(out)
    for out in tidy:
        if out.get("output_type") == "stream":
            text = settle_carriage_returns(out["text"])
            out["text"] = text.splitlines(keepends=True)
    return [out for out in tidy if out.get("output_type") != "stream" or "".join(out["text"]).strip()]


def tidy_notebook(path):
    path = Path(path)
    raw = path.read_text(encoding="utf-8")
    nb = json.loads(raw)
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        cell["metadata"].pop("execution", None)
        cell["outputs"] = tidy_outputs(cell.get("outputs", []))
    new = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    if new != raw:
        part = path.with_name(f".{path.name}.part")
        part.write_text(new, encoding="utf-8")
        part.replace(path)
        return True
    return False


def main(paths):
    if not paths:
        sys.exit(__doc__.strip().splitlines()[2].strip())
    for p in paths:
        if not re.search(r"\.ipynb$", p) or not Path(p).is_file():
            sys.exit(f"not a notebook file: {p!r} (give .ipynb files, e.g. notebooks/*.ipynb)")
    for p in paths:
        print(("tidied    " if tidy_notebook(p) else "unchanged ") + p)


if __name__ == "__main__":
    main(sys.argv[1:])
