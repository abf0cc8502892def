"""Where the notebooks install gan_lesson from when they are opened on Colab or Kaggle.

The first code cell of every notebook starts with a short block (``BLOCK`` below): where
gan_lesson is installed it does nothing; on Colab or Kaggle it installs gan_lesson from
``SOURCE`` with pip; anywhere else it prints the command that installs it and stops with one line.
``SOURCE`` is the one place that says where the package comes from: a git URL, a folder, or a
wheel file, in any form ``pip install`` accepts.

    python tools/set_source.py              # write SOURCE into every notebook's first cell
    python tools/set_source.py SOURCE       # a fork: change SOURCE in this file, then write it
    python tools/set_source.py --check      # list the notebooks whose first cell differs; exit 1 if any

For one run, the environment variable GAN_LESSON_SOURCE overrides the notebooks' source.
Only the first code cell's source changes; outputs and every other cell stay as they are.
"""
import json
import re
import sys
from pathlib import Path

SOURCE = "git+https://github.com/gan-lesson/gan-lesson"

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

BLOCK = '''\
# gan_lesson is the series' own package. On Colab or Kaggle this installs it (up to a minute) from
# GAN_LESSON_SOURCE, a git URL, a folder or a wheel file; anywhere else it only checks that it is there.
import importlib.util, os, subprocess, sys
GAN_LESSON_SOURCE = os.environ.get("GAN_LESSON_SOURCE", {source})
if importlib.util.find_spec("gan_lesson") is None:
    hosted = ("COLAB_RELEASE_TAG" in os.environ or "KAGGLE_KERNEL_RUN_TYPE" in os.environ or os.path.isdir("/kaggle")
              or bool(importlib.util.find_spec("google") and importlib.util.find_spec("google.colab")))
    if hosted:   # Colab or Kaggle: install it into this runtime
        print(f"Installing gan_lesson from {{GAN_LESSON_SOURCE}} with pip (up to a minute) ...", flush=True)
        pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", GAN_LESSON_SOURCE], capture_output=True,
                             text=True)
        print(pip.stderr[-2000:], end="")   # pip's warnings and errors, if any
    else:        # your own Jupyter: nothing is installed for you
        print("gan_lesson is not installed. In the repository's folder run:  pip install -r requirements.txt\\n"
              f"(or: pip install {{GAN_LESSON_SOURCE}}), then restart the kernel and run this cell again.")
    importlib.invalidate_caches()   # so that a package installed just now is found
    if importlib.util.find_spec("gan_lesson") is None:
        stop = ModuleNotFoundError("gan_lesson is not installed; the lines above say why and what to do")
        stop._render_traceback_ = lambda: [f"ModuleNotFoundError: {{stop}}"]   # one line, not a traceback
        raise stop
'''


def block(source=SOURCE):
    """The text the first code cell starts with, for ``source`` (a blank line separates it from the imports)."""
    return BLOCK.format(source=json.dumps(source))


def split(cell_source):
    """``(block, rest)``: the install block a first cell starts with ("" if none) and the cell's own imports.
    The block has no blank line; the first blank line ends it."""
    if not cell_source.startswith(BLOCK.splitlines()[0]):
        return "", cell_source
    end = cell_source.index("\n\n") + 1 if "\n\n" in cell_source else len(cell_source)
    return cell_source[:end], cell_source[end:].lstrip("\n")


def first_code_cell(notebook):
    """The first code cell of a notebook (a dict read from its JSON)."""
    return next(cell for cell in notebook["cells"] if cell["cell_type"] == "code")


def text(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def stamp(path, source=SOURCE):
    """Make ``path``'s first code cell start with the block for ``source``; True if the file changed.
    The file is read, changed and written back at once; nothing else in it changes."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cell = first_code_cell(notebook)
    _, rest = split(text(cell))
    new = block(source) + "\n" + rest
    if new == text(cell):
        return False
    cell["source"] = new.splitlines(keepends=True)
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return True


def differs(source=SOURCE):
    """The notebooks whose first code cell does not start with the block for ``source``."""
    return [path for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
            if split(text(first_code_cell(json.loads(path.read_text(encoding="utf-8")))))[0] != block(source)]


def set_source(source):
    """Change ``SOURCE`` in this file to ``source``."""
    this = Path(__file__)
    code, count = re.subn(r'^SOURCE = .*$', lambda _: f"SOURCE = {json.dumps(source)}", this.read_text(encoding="utf-8"),
                          count=1, flags=re.M)
    assert count == 1, f"no line 'SOURCE = ...' in {this}"
    this.write_text(code, encoding="utf-8")


def main(argv):
    if argv == ["--check"]:
        stale = differs()
        for path in stale:
            print(f"{path.relative_to(ROOT)}: its first cell does not install from {SOURCE}; "
                  "run python tools/set_source.py")
        return 1 if stale else 0
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print(__doc__)
        return 2
    source = argv[0] if argv else SOURCE
    if source != SOURCE:
        set_source(source)
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        print(f"{path.relative_to(ROOT)}: {'written' if stamp(path, source) else 'already installs from it'}")
    print(f"The notebooks install gan_lesson from {source} on Colab and Kaggle.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
