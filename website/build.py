"""Build the website of the series from the notebooks as they are committed.

    python website/build.py                 # the site lands in website/_build/html/
    python website/build.py --out DIR       # the site lands in DIR/html/

Nothing is executed: each page shows the outputs saved in its notebook. The script

1. copies _config.yml, _toc.yml, index.md and the eleven notebooks into DIR/source/ (the landing page
   gets its title, introduction, notebook table and start command from README.md; solution cells
   are folded; a note goes above every widget saying that it needs a live kernel);
2. puts local copies of MathJax 3 and of the Jupyter widget manager in DIR/source/_offline/ (the
   site's _static/), so the pages typeset maths and draw the saved widgets with no network;
3. builds the pages with Jupyter Book 1 (Sphinx + MyST-NB) into DIR/html/;
4. lists any script, style sheet, font or image the pages would still fetch from the internet.

MathJax 3.2.2 comes from the installed PyPI package `sphinx-mathjax-offline`, or else from the npm
package `mathjax`; the widget manager comes from the npm package `@jupyter-widgets/html-manager`.
npm packages are fetched once with `npm pack` into website/.cache/ and reused from there. Without
a widget manager the site still builds: the widgets' notes then say that this page cannot show
them. Without MathJax the build stops, since the formulas would not render.
"""
import argparse
import copy
import importlib.metadata
import json
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WEBSITE = ROOT / "website"
NOTEBOOKS = ROOT / "notebooks"
README = ROOT / "README.md"
DEFAULT_OUT = WEBSITE / "_build"
CACHE = WEBSITE / ".cache"

MATHJAX_PYPI = "sphinx-mathjax-offline"          # its wheel vendors MathJax 3.2.2 (static/mathjax/)
MATHJAX_NPM = ("mathjax", "3.2.2", "es5")        # package, version, folder holding the components
WIDGETS_NPM = ("@jupyter-widgets/html-manager", "1.0.15", "dist")
MATHJAX_ENTRY = "tex-mml-chtml.js"               # the component _config.yml's mathjax_path names
WIDGETS_ENTRY = "embed.js"                       # renders saved widget state on page load, no require.js
# MathJax 3 answering the widget manager's MathJax 2 calls; loaded before the manager
MATHJAX2_CALLS = "mathjax2-calls.js"
# The local scripts' folder in the staged source; Sphinx copies it into the site's _static/. It is
# not called _static because Jupyter Book would then add every .js file in it to every page.
STATIC = "_offline"

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# README.md's parts that the landing page shows: (line in index.md, README section heading)
README_SECTIONS = {
    "<!-- from README.md: section \"The notebooks\" -->": "The notebooks",
    "<!-- from README.md: section \"Start the lessons\" -->": "Start the lessons",
}
README_INTRO = "<!-- from README.md: title and introduction -->"

# tags of a resource fetched while a page renders, and the attribute holding its address
RESOURCE = re.compile(r"<(script|link|img|iframe|source|video|audio)\b[^>]*?\b(src|href)=\"(https?:)?//([^\"]+)\"",
                      re.IGNORECASE)


class BuildError(Exception):
    """A problem that stops the build, said in words a reader can act on."""


def say(message):
    print(message, flush=True)


# ----------------------------------------------------------------------------- the pages
def write_if_changed(path, data):
    """Write ``data`` (str or bytes) to ``path`` unless it already holds exactly that, so Sphinx
    rebuilds only the pages whose source changed."""
    data = data.encode() if isinstance(data, str) else data
    if path.exists() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def toc_files(toc_path):
    """The ``file:`` entries of _toc.yml, in order."""
    return re.findall(r"^\s*-?\s*file:\s*(\S+)\s*$", toc_path.read_text(), flags=re.MULTILINE)


def notebooks_in_order():
    """The notebooks of the series, in the order of _toc.yml; an error if the two disagree."""
    listed = [f for f in toc_files(WEBSITE / "_toc.yml") if f.startswith("notebooks/")]
    present = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    names = [f.split("/", 1)[1] for f in listed]
    missing_from_toc = [n for n in present if n not in names]
    missing_on_disk = [n for n in names if n not in present]
    if missing_from_toc or missing_on_disk:
        raise BuildError("website/_toc.yml and notebooks/ disagree: "
                         + "; ".join(part for part in (
                             missing_from_toc and f"not in the table of contents: {', '.join(missing_from_toc)}",
                             missing_on_disk and f"listed but not in notebooks/: {', '.join(missing_on_disk)}")
                                     if part)
                         + ". Add or remove the `- file: notebooks/NAME` lines of website/_toc.yml.")
    return [NOTEBOOKS / f"{n}.ipynb" for n in names]


def readme_parts(text):
    """README.md's title and introduction (everything before its first ``##`` heading) and its
    ``##`` sections by heading, each without the HTML comments that mark places for tools."""
    text = re.sub(r"^<!--.*?-->\s*$\n?", "", text, flags=re.MULTILINE)
    chunks = re.split(r"^(?=## )", text, flags=re.MULTILINE)
    intro, sections = chunks[0].strip(), {}
    for chunk in chunks[1:]:
        heading = chunk.splitlines()[0][3:].strip()
        sections[heading] = chunk.strip()
    return intro, sections


def notebook_title(path):
    """The first heading of the notebook's first markdown cell (its title), or its file name."""
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] == "markdown":
            match = re.search(r"^#\s+(.+)$", "".join(cell["source"]), flags=re.MULTILINE)
            if match:
                return match.group(1).strip()
    return path.stem


def landing_page(notebooks):
    """index.md with README.md's parts put in; where README lacks one, a stand-in says less but
    still leads to every notebook."""
    page = (WEBSITE / "index.md").read_text()
    page = re.sub(r"\A<!--.*?-->\s*", "", page, flags=re.DOTALL)        # the note to editors
    readme = README.read_text() if README.exists() else ""
    intro, sections = readme_parts(readme)
    if not intro.startswith("# "):
        say("README.md has no title line: the landing page uses the site's title instead")
        intro = "# gan-lesson: GANs from first principles\n\n" + intro
    page = page.replace(README_INTRO, intro)
    for marker, heading in README_SECTIONS.items():
        section = sections.get(heading)
        if section is None:
            say(f"README.md has no section '## {heading}': the landing page goes without it")
            if heading == "The notebooks":
                section = "## The notebooks\n\n" + "\n".join(
                    f"- [{notebook_title(nb)}](notebooks/{nb.name})" for nb in notebooks)
            else:
                section = ""
        page = page.replace(marker, section)
    return page


def widget_note(notebook, can_draw):
    where = f"open `notebooks/{notebook.name}` in JupyterLab and run the notebook"
    if can_draw:
        return ("```{note}\n**This widget runs only in a live kernel.** Below is how it looked when the notebook "
                "was saved; on this page no Python runs behind it, so moving a slider or pressing a button trains "
                f"and redraws nothing. To use it, {where}.\n```")
    return ("```{note}\n**This widget runs only in a live kernel**, and this build of the site could not "
            f"bundle the widget manager that would draw its saved state. To use it, {where}.\n```")


def page_notebook(notebook, can_draw):
    """The copy of ``notebook`` that the site shows: its cells and outputs as committed, with the
    solution cells folded (a "Show code cell source" button, as JupyterLab shows a collapsed
    input) and a note above every cell whose output is a widget. Returns (json text, widgets)."""
    nb = json.loads(notebook.read_text())
    cells, widgets = [], 0
    for cell in nb["cells"]:
        cell = copy.deepcopy(cell)
        meta = cell.setdefault("metadata", {})
        if cell["cell_type"] == "code":
            if meta.get("jupyter", {}).get("source_hidden"):
                tags = meta.setdefault("tags", [])
                if "hide-input" not in tags:
                    tags.append("hide-input")
            if any(WIDGET_VIEW in out.get("data", {}) for out in cell.get("outputs", [])):
                widgets += 1
                cells.append({"cell_type": "markdown", "id": f"live-kernel-note-{widgets}", "metadata": {},
                              "source": widget_note(notebook, can_draw)})
        cells.append(cell)
    nb["cells"] = cells
    if not can_draw:
        nb["metadata"].pop("widgets", None)       # no state to ship when nothing can draw it
    return json.dumps(nb, ensure_ascii=False, indent=1), widgets


def stage_pages(source, notebooks, can_draw):
    """Write the book's source into ``source``; return {notebook name: widgets on its page}."""
    for name in ("_toc.yml",):
        write_if_changed(source / name, (WEBSITE / name).read_bytes())
    write_if_changed(source / "index.md", landing_page(notebooks))
    staged = source / "notebooks"
    staged.mkdir(parents=True, exist_ok=True)
    wanted = {nb.name for nb in notebooks}
    for old in staged.glob("*.ipynb"):
        if old.name not in wanted:
            old.unlink()
    widgets = {}
    for notebook in notebooks:
        text, widgets[notebook.name] = page_notebook(notebook, can_draw)
        write_if_changed(staged / notebook.name, text)
    return widgets


def stage_config(source, widget_scripts):
    """_config.yml with the scripts that draw saved widgets (paths inside _static) filled in."""
    import yaml

    config = yaml.safe_load((WEBSITE / "_config.yml").read_text())
    config["sphinx"]["config"]["nb_ipywidgets_js"] = {script: {} for script in widget_scripts}
    text = "# written by website/build.py from website/_config.yml\n" + yaml.safe_dump(config, sort_keys=False)
    write_if_changed(source / "_config.yml", text)


# ----------------------------------------------------------------------------- local scripts
def npm_package(name, version):
    """The unpacked npm package ``name@version`` in website/.cache/, fetched with ``npm pack`` the
    first time. Returns (folder or None, where it came from or why it could not be had)."""
    folder = CACHE / f"{name.replace('/', '+')}-{version}"
    if (folder / "package" / "package.json").exists():
        return folder / "package", f"npm {name}@{version} (cached in {folder.relative_to(ROOT)})"
    npm = shutil.which("npm")
    if npm is None:
        return None, f"npm {name}@{version} is not cached and npm is not installed"
    CACHE.mkdir(parents=True, exist_ok=True)
    say(f"fetching npm {name}@{version} into {CACHE.relative_to(ROOT)}/ (once) ...")
    try:
        done = subprocess.run([npm, "pack", f"{name}@{version}", "--pack-destination", str(CACHE), "--json"],
                              capture_output=True, text=True, timeout=300, cwd=CACHE)
    except subprocess.TimeoutExpired:
        return None, f"`npm pack {name}@{version}` did not finish within 300 s"
    if done.returncode != 0:
        return None, f"`npm pack {name}@{version}` failed: {done.stderr.strip()[-400:]}"
    tarball = CACHE / json.loads(done.stdout)[0]["filename"]
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    with tarfile.open(tarball) as tar:
        try:
            tar.extractall(partial, filter="data")     # refuses links and paths leaving the folder
        except TypeError:                              # Python before 3.10.12 / 3.11.4: no filters
            tar.extractall(partial)
    tarball.unlink()
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return folder / "package", f"npm {name}@{version} (fetched into {folder.relative_to(ROOT)})"


def mathjax_source():
    """The folder holding MathJax 3's components, and where it came from."""
    try:
        files = importlib.metadata.files(MATHJAX_PYPI) or []
    except importlib.metadata.PackageNotFoundError:
        files = []
    for f in files:
        if f.name == MATHJAX_ENTRY:
            return Path(f.locate()).parent, f"PyPI {MATHJAX_PYPI} {importlib.metadata.version(MATHJAX_PYPI)}"
    name, version, sub = MATHJAX_NPM
    package, origin = npm_package(name, version)
    if package is None:
        raise BuildError(f"no local MathJax: `pip install {MATHJAX_PYPI}` (or make npm available); {origin}")
    return package / sub, origin


def copy_mathjax(static):
    """MathJax's tex-mml-chtml component and what it loads on demand (fonts, TeX extensions,
    menu, accessibility) into ``static``/mathjax; the other combined components are left out."""
    folder, origin = mathjax_source()
    other_components = {p.name for p in folder.glob("*.js")} - {MATHJAX_ENTRY, "latest.js"}

    def leave_out(directory, names):
        here = Path(directory)
        return [n for n in names if (here == folder and n in other_components)
                or (here == folder / "output" and n.startswith("svg"))]

    target = static / "mathjax"
    if not (target / MATHJAX_ENTRY).exists():
        shutil.copytree(folder, target, ignore=leave_out, dirs_exist_ok=True)
    return origin


def copy_widget_manager(static):
    """The widget manager's standalone bundle and its icon fonts into ``static``/widgets, with
    mathjax2-calls.js beside it; returns (the scripts to load, in order, as paths inside _static
    (none when the manager is missing), where it came from or why it is missing)."""
    name, version, sub = WIDGETS_NPM
    package, origin = npm_package(name, version)
    if package is None:
        return [], origin
    dist, target = package / sub, static / "widgets"
    target.mkdir(parents=True, exist_ok=True)
    for f in dist.iterdir():
        if f.name in (WIDGETS_ENTRY, WIDGETS_ENTRY + ".LICENSE.txt") or f.suffix in (".woff2", ".woff", ".ttf",
                                                                                     ".eot", ".svg"):
            if not (target / f.name).exists():
                shutil.copy2(f, target / f.name)
    write_if_changed(target / MATHJAX2_CALLS, (WEBSITE / MATHJAX2_CALLS).read_bytes())
    return [f"widgets/{MATHJAX2_CALLS}", f"widgets/{WIDGETS_ENTRY}"], origin


# ----------------------------------------------------------------------------- build and check
def external_resources(html_dir):
    """{page: [address]} of every script, style sheet, image or frame a built page would fetch
    from another machine (links the reader may follow are not counted)."""
    found = {}
    for page in sorted(html_dir.rglob("*.html")):
        hits = [f"//{m.group(4)}" for m in RESOURCE.finditer(page.read_text(errors="replace"))]
        if hits:
            found[str(page.relative_to(html_dir))] = hits
    return found


def run_sphinx(source, out, verbose):
    from jupyter_book.sphinx import build_sphinx

    result = build_sphinx(source, out / "html", doctreedir=out / "doctrees", use_external_toc=True,
                          noconfig=True, path_config=source / "_config.yml",
                          confoverrides={"external_toc_path": (source / "_toc.yml").as_posix(),
                                         "latex_individualpages": False},
                          builder="html", quiet=not verbose)
    if result != 0:
        raise BuildError(f"Jupyter Book stopped with {result!r}; run with --verbose to see Sphinx's output")


def build(out=DEFAULT_OUT, verbose=False):
    """Build the site into ``out``/html; returns a summary dict (pages, widgets, scripts, external)."""
    try:
        version = importlib.metadata.version("jupyter-book")
    except importlib.metadata.PackageNotFoundError:
        raise BuildError("Jupyter Book 1 is not installed: pip install -e '.[website]'") from None
    if not version.startswith("1."):
        raise BuildError(f"this site is built with Jupyter Book 1 (Sphinx), found jupyter-book {version}: "
                         "pip install 'jupyter-book>=1.0,<2'")
    started = time.monotonic()
    out = Path(out).resolve()
    source = out / "source"
    static = source / STATIC
    notebooks = notebooks_in_order()
    mathjax = copy_mathjax(static)
    widget_scripts, widgets_origin = copy_widget_manager(static)
    if not widget_scripts:
        say(f"no widget manager ({widgets_origin}): the widgets' notes say the page cannot show them")
    widgets = stage_pages(source, notebooks, can_draw=bool(widget_scripts))
    stage_config(source, widget_scripts)
    say(f"building {len(notebooks)} notebooks and the landing page into {out / 'html'} ...")
    run_sphinx(source, out, verbose)
    external = external_resources(out / "html")
    seconds = time.monotonic() - started
    say(f"MathJax: {mathjax}")
    say(f"widget manager: {widgets_origin if widget_scripts else 'none: ' + widgets_origin}")
    say("widgets with a live-kernel note: "
        + (", ".join(f"{name[:2]} ({n})" for name, n in widgets.items() if n) or "none"))
    if external:
        say("still fetched from the internet:")
        for page, hits in external.items():
            say(f"  {page}: {', '.join(sorted(set(hits)))}")
    else:
        say("nothing on the pages is fetched from the internet")
    say(f"done in {seconds:.0f} s: open {out / 'html' / 'index.html'}")
    return {"html": out / "html", "notebooks": [nb.name for nb in notebooks], "widgets": widgets,
            "widget_manager": bool(widget_scripts), "mathjax": mathjax, "external": external}


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build the website of the notebook series (no execution).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="folder for the staged source and the site (default: website/_build); "
                             "the site is OUT/html/index.html")
    parser.add_argument("--verbose", action="store_true", help="show Sphinx's progress, not only its warnings")
    args = parser.parse_args(argv)
    try:
        build(args.out, verbose=args.verbose)
    except BuildError as exc:
        print(f"website/build.py: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
