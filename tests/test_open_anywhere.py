"""The notebooks open anywhere: where gan_lesson is missing, their first cell installs it on Colab or
Kaggle and says how to install it everywhere else.

The slow tests run the first code cell of each notebook, as the notebook file stores it, in a Jupyter
kernel of a fresh virtual environment. That environment sees this machine's packages (PyTorch, Jupyter
and the rest) through a folder of links that leaves out gan_lesson and every ``.pth`` file, so
gan_lesson is neither importable nor listed as installed there until the cell installs it. Colab is
a fake ``google.colab`` package on the kernel's path; the source is a wheel built from this checkout.
pip runs with no index, so nothing is downloaded.
"""
import contextlib
import importlib.util
import io
import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import set_source  # noqa: E402  (tools/ is not a package)

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NOT_INSTALLED = "ModuleNotFoundError: gan_lesson is not installed; the lines above say why and what to do"


def first_cell(path):
    return set_source.text(set_source.first_code_cell(json.loads(path.read_text(encoding="utf-8"))))


# ---------------------------------------------------------------------------- the cells as stored

def test_every_notebook_installs_from_the_one_source():
    assert len(NOTEBOOKS) == 11
    assert set_source.differs() == [], "run python tools/set_source.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem[:2])
def test_the_block_comes_before_the_notebooks_own_imports(path):
    block, rest = set_source.split(first_cell(path))
    assert block == set_source.block()
    assert "from gan_lesson" in rest or "import gan_lesson" in rest
    assert "GAN_LESSON_SOURCE" not in rest


def test_where_gan_lesson_is_installed_the_block_prints_nothing_and_runs_no_pip(monkeypatch):
    assert importlib.util.find_spec("gan_lesson") is not None

    def no_pip(*args, **kwargs):
        raise AssertionError(f"the block ran {args}")

    monkeypatch.setattr(subprocess, "run", no_pip)
    monkeypatch.setenv("COLAB_RELEASE_TAG", "on Colab the installed package is not installed again")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        exec(compile(set_source.block(), "<first cell>", "exec"), {})
    assert out.getvalue() == ""


def test_set_source_changes_the_first_cells_source_and_nothing_else(tmp_path):
    original = NOTEBOOKS[4]
    copy = tmp_path / original.name
    shutil.copy(original, copy)
    before = json.loads(copy.read_text(encoding="utf-8"))

    assert set_source.stamp(copy, "/home/me/dist/gan_lesson-1.0.0-py3-none-any.whl")
    after = json.loads(copy.read_text(encoding="utf-8"))
    cell = set_source.first_code_cell(after)
    assert set_source.text(cell).startswith(set_source.block("/home/me/dist/gan_lesson-1.0.0-py3-none-any.whl"))
    assert set_source.split(set_source.text(cell))[1] == set_source.split(first_cell(original))[1]
    for old, new in zip(before["cells"], after["cells"]):   # the outputs, the ids and every other cell stay
        if new is not cell:
            assert old == new
        assert old["cell_type"] == new["cell_type"] and old.get("outputs") == new.get("outputs")
    assert before["metadata"] == after["metadata"]

    assert not set_source.stamp(copy, "/home/me/dist/gan_lesson-1.0.0-py3-none-any.whl")    # twice: no change
    assert set_source.stamp(copy, set_source.SOURCE)
    assert copy.read_bytes() == original.read_bytes()


def test_set_source_replaces_an_older_block_whole(tmp_path):
    """A block written by an earlier version of tools/set_source.py (any lines, no blank one) is replaced."""
    copy = tmp_path / NOTEBOOKS[0].name
    notebook = json.loads(NOTEBOOKS[0].read_text(encoding="utf-8"))
    imports = set_source.split(first_cell(NOTEBOOKS[0]))[1]
    older = set_source.block().splitlines(keepends=True)
    older = older[:5] + ["    print('an older way of installing')\n", "    raise stop\n"] + older[5:-2]
    set_source.first_code_cell(notebook)["source"] = older + ["\n"] + imports.splitlines(keepends=True)
    copy.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    assert set_source.stamp(copy)
    assert copy.read_bytes() == NOTEBOOKS[0].read_bytes()


# ------------------------------------------------------------- a fresh environment without gan_lesson

def _site_folders():
    """This interpreter's site-packages folders, in the order of its path."""
    known = set(site.getsitepackages() + [site.getusersitepackages()])
    return [Path(p) for p in sys.path if p in known and Path(p).is_dir()]


def _hidden(name):
    lowered = name.lower()
    return lowered.endswith(".pth") or "gan_lesson" in lowered or "gan-lesson" in lowered


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """A wheel of this checkout, built as pip would build it from the repository (its files copied first)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "gan-lesson"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "gan_lesson", source / "gan_lesson", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "--disable-pip-version-check", "-w", str(work / "dist"), str(source)],
                   check=True, capture_output=True, text=True, timeout=300)
    (built,) = (work / "dist").glob("gan_lesson-*.whl")
    return built


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """``(python, site_packages, kernels)`` of a new virtual environment that sees this machine's packages
    but not gan_lesson; ``kernels`` is a folder holding a kernelspec ``fresh`` for its Python."""
    work = tmp_path_factory.mktemp("fresh")
    view = work / "packages"
    view.mkdir()
    for folder in _site_folders():
        for entry in folder.iterdir():
            if not _hidden(entry.name) and not (view / entry.name).exists():
                (view / entry.name).symlink_to(entry)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(work / "venv")], check=True, timeout=120)
    python = work / "venv" / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             check=True, capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "machine_packages.pth").write_text(f"{view}\n")
    kernel = work / "kernels" / "fresh"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "fresh", "language": "python"}))
    return python, Path(purelib), work / "kernels"


def _env(**extra):
    """The kernel's environment: no Colab, no Kaggle, no gan_lesson on PYTHONPATH, pip offline."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("COLAB_RELEASE_TAG", "KAGGLE_KERNEL_RUN_TYPE", "GAN_LESSON_SOURCE")}
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and not (Path(p) / "gan_lesson").exists()]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.update(PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1", MPLBACKEND="Agg")
    env.update(extra)
    return env


PROBE = ("import importlib.util, importlib.metadata\n"
         "print('gan_lesson importable:', importlib.util.find_spec('gan_lesson') is not None)\n"
         "try:\n    importlib.metadata.distribution('gan-lesson')\n    print('gan-lesson listed: True')\n"
         "except importlib.metadata.PackageNotFoundError:\n    print('gan-lesson listed: False')")


def _run(fresh, sources, env, cwd, timeout=300):
    """Run ``sources`` as the code cells of one notebook in a kernel of the fresh environment; return
    the executed cells (errors do not stop the run)."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    km = KernelManager(kernel_name="fresh", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(fresh[2])]))
    NotebookClient(nb, km=km, timeout=timeout, allow_errors=True, kernel_name="fresh",
                   resources={"metadata": {"path": str(cwd)}}).execute(env=env)
    return nb.cells


def _stdout(cell):
    return "".join(o["text"] for o in cell.outputs if o["output_type"] == "stream" and o["name"] == "stdout")


def _errors(cell):
    return [o for o in cell.outputs if o["output_type"] == "error"]


def _installed(site_packages):
    return sorted(p.name for p in site_packages.iterdir() if "gan_lesson" in p.name.lower())


@pytest.mark.slow
def test_the_wheel_holds_every_file_of_the_package(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    files = {p.relative_to(ROOT).as_posix() for p in (ROOT / "gan_lesson").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"}
    assert files - names == set()
    assert "gan_lesson/training/records/classic_runs.json" in names


@pytest.mark.slow
def test_elsewhere_every_first_cell_prints_the_command_and_stops_with_one_line(fresh, tmp_path):
    cells = _run(fresh, [PROBE] + [first_cell(p) for p in NOTEBOOKS], _env(), tmp_path)
    assert _stdout(cells[0]) == "gan_lesson importable: False\ngan-lesson listed: False\n"
    for path, cell in zip(NOTEBOOKS, cells[1:]):
        printed = _stdout(cell)
        assert "In the repository's folder run:  pip install -r requirements.txt\n" in printed, path.name
        assert f"(or: pip install {set_source.SOURCE}), then restart the kernel" in printed, path.name
        assert "Installing" not in printed, path.name
        (error,) = _errors(cell)
        assert error["ename"] == "ModuleNotFoundError" and error["traceback"] == [NOT_INSTALLED], path.name
    assert _installed(fresh[1]) == []                  # nothing was installed


@pytest.mark.slow
@pytest.mark.parametrize("host", ["KAGGLE_KERNEL_RUN_TYPE", "COLAB_RELEASE_TAG"])
def test_on_kaggle_or_colab_a_source_pip_cannot_install_says_so(fresh, tmp_path, host):
    missing = tmp_path / "gan_lesson-1.0.0-py3-none-any.whl"
    env = _env(**{host: "Interactive", "GAN_LESSON_SOURCE": str(missing)})
    (cell,) = _run(fresh, [first_cell(NOTEBOOKS[1])], env, tmp_path)
    installing, *pip_says = _stdout(cell).splitlines()
    assert installing == f"Installing gan_lesson from {missing} with pip (up to a minute) ..."
    assert any(str(missing) in line for line in pip_says)                  # pip's own reason, printed under it
    (error,) = _errors(cell)
    assert error["ename"] == "ModuleNotFoundError" and error["traceback"] == [NOT_INSTALLED]
    assert _installed(fresh[1]) == []


@pytest.mark.slow
def test_on_colab_the_first_cell_installs_from_a_wheel_and_notebook_01_runs(fresh, wheel, tmp_path):
    colab = tmp_path / "colab"
    (colab / "google" / "colab").mkdir(parents=True)
    (colab / "google" / "colab" / "__init__.py").write_text('"""Stands in for the module every Colab runtime has."""\n')
    (colab / "google" / "__init__.py").write_text(            # other google.* packages stay importable
        "__path__ = __import__('pkgutil').extend_path(__path__, __name__)\n")
    env = _env(GAN_LESSON_SOURCE=str(wheel))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(colab), env["PYTHONPATH"]) if p)
    run = tmp_path / "content"
    run.mkdir()

    notebook01 = nbformat.read(NOTEBOOKS[0], as_version=4)
    sources = [c.source for c in notebook01.cells if c.cell_type == "code"]
    check = "import gan_lesson\nprint(gan_lesson.__file__)\nprint(len(gan_lesson.recorded.classic_runs()))"
    cells = _run(fresh, [PROBE] + sources + [first_cell(p) for p in NOTEBOOKS[1:]] + [check], env, run)

    assert _stdout(cells[0]) == "gan_lesson importable: False\ngan-lesson listed: False\n"
    assert _stdout(cells[1]) == f"Installing gan_lesson from {wheel} with pip (up to a minute) ...\n"
    failed = [(i, e["ename"], e["evalue"][:200]) for i, c in enumerate(cells) for e in _errors(c)]
    assert failed == []                           # notebook 01 top to bottom, then the imports of 02-11
    assert _installed(fresh[1]) == ["gan_lesson", "gan_lesson-1.0.0.dist-info"]
    assert _stdout(cells[-1]).startswith(str(fresh[1] / "gan_lesson" / "__init__.py"))
