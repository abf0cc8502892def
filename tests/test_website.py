"""The website of the series, read the way a student reads it with no network.

Builds the site with README's command (`python website/build.py`, into a temporary folder; the
build runs under the tests' network guard, so Sphinx reaching the internet fails the run), then
opens the landing page and every notebook's page from disk in Debian's Chromium driven by
Playwright, with every request that is not for a local file refused and recorded. Checks: no
page asks for anything from the internet and every local file it asks for exists; every figure
the notebook saved is on its page and loaded; every formula is typeset by MathJax; the sidebar
leads to all eleven notebooks in order; every widget has the live-kernel note above it and, when the
widget manager was bundled, is drawn from its saved state. Skipped without Jupyter Book 1,
Playwright or Chromium (`pip install -e ".[website]" playwright`, Debian's `chromium`).
"""
import json
import re
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from timing import measurement, scaled

pytest.importorskip("jupyter_book", reason="Jupyter Book 1 is not installed (pip install -e '.[website]')")
sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
NOTE = "runs only in a live kernel"
CDN_HOSTS = re.compile(r"cdn\.jsdelivr\.net|unpkg\.com|cdnjs\.cloudflare\.com|cdn\.mathjax\.org|"
                       r"fonts\.googleapis\.com|fonts\.gstatic\.com|code\.jquery\.com")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian package 'chromium')"),
]

# limits in seconds on the idle 2-core machine, stretched by the session's time factor
LIMITS = {"build": 180, "page loads": 60, "maths typeset": 60, "widgets drawn": 30}


def limit(name):
    return scaled(LIMITS[name])


def saved(notebook):
    """What a notebook's page should show: its PNG figures, whether its text has formulas, and
    how many cells show a widget."""
    nb = json.loads(notebook.read_text())
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])]
    markdown = "".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return {"figures": sum("image/png" in o.get("data", {}) and WIDGET_VIEW not in o.get("data", {})
                           for o in outputs),
            "maths": "$" in markdown,
            "widgets": sum(any(WIDGET_VIEW in o.get("data", {}) for o in c.get("outputs", []))
                           for c in nb["cells"] if c["cell_type"] == "code")}


class Fetches(HTMLParser):
    """Every address an HTML page's tags make the browser fetch while it renders the page, and the
    code of its inline scripts and styles (which could fetch more)."""

    ATTRIBUTES = {"script": "src", "img": "src", "iframe": "src", "source": "src", "video": "src", "audio": "src",
                  "embed": "src", "object": "data", "link": "href"}

    def __init__(self):
        super().__init__()
        self.addresses, self.code, self._in_code = [], [], False

    def handle_data(self, data):
        if self._in_code:
            self.code.append(data)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._in_code = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self._in_code = True
        wanted = self.ATTRIBUTES.get(tag)
        if tag == "link" and not set((attrs.get("rel") or "").split()) & {"stylesheet", "preload", "modulepreload",
                                                                         "icon", "prefetch", "manifest"}:
            return                                      # a link the reader may follow, not a resource
        if wanted and attrs.get(wanted):
            self.addresses.append(attrs[wanted])


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site built by README's command into a temporary folder: (html folder, build output)."""
    print(f"\n{measurement()[1]}")                 # how busy the machine is, before the build loads it
    out = tmp_path_factory.mktemp("website")
    started = time.monotonic()
    try:
        done = subprocess.run([sys.executable, "website/build.py", "--out", str(out)], cwd=ROOT,
                              capture_output=True, text=True, timeout=limit("build"))
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"website/build.py did not finish within {limit('build'):.0f} s:\n{(exc.stdout or '')[-3000:]}")
    print(f"website/build.py took {time.monotonic() - started:.1f} s")
    log = done.stdout + done.stderr
    assert done.returncode == 0, f"website/build.py failed ({done.returncode}):\n{log[-4000:]}"
    warnings = [line for line in log.splitlines() if "WARNING" in line]
    if warnings:
        print(f"Sphinx warnings ({len(warnings)}):\n  " + "\n  ".join(warnings[:20]))
    return out / "html", done.stdout


@pytest.fixture(scope="module")
def pages(site):
    """Every page opened from disk in Chromium with the network refused: {page: what it showed}."""
    html, build_output = site
    bundled = "widget manager: npm" in build_output
    names = ["index.html"] + [f"notebooks/{nb.stem}.html" for nb in NOTEBOOKS]
    seen = {}
    started = time.monotonic()
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        context = browser.new_context(viewport={"width": 1300, "height": 900})
        refused = []

        def route(r):
            url = r.request.url
            if url.startswith(("file:", "data:", "blob:")) or re.match(r"https?://(localhost|127\.0\.0\.1)[:/]", url):
                r.continue_()
            else:
                refused.append(url)
                r.abort()

        context.route("**/*", route)
        for name in names:
            opened = time.monotonic()
            page = context.new_page()
            page.set_default_timeout(limit("page loads") * 1000)
            record = {"refused": [], "missing": [], "errors": []}
            refused.clear()
            page.on("requestfailed", lambda req, rec=record: rec["missing"].append(req.url)
                    if req.url.startswith("file:") else None)
            page.on("pageerror", lambda exc, rec=record: rec["errors"].append(str(exc)[:300]))
            page.goto((html / name).as_uri(), wait_until="load", timeout=limit("page loads") * 1000)
            # MathJax itself (a page with no formula has only the widget manager's mathjax2-calls.js shim)
            if page.evaluate("() => !!document.querySelector('script[src*=\"/mathjax/\"]')"):
                page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                       timeout=limit("maths typeset") * 1000)
                page.evaluate("() => MathJax.startup.promise.then(() => true)")
            if bundled and page.evaluate(f"() => !!document.querySelector('script[type=\"{WIDGET_VIEW}\"]')"):
                page.wait_for_function(
                    f"() => [...document.querySelectorAll('script[type=\"{WIDGET_VIEW}\"]')]"
                    ".every(s => s.parentElement.querySelector('.jupyter-widgets'))",
                    timeout=limit("widgets drawn") * 1000)
            page.wait_for_function("() => [...document.images].every(i => i.complete)",
                                   timeout=limit("page loads") * 1000)
            record.update(page.evaluate("""() => {
              const outputs = [...document.querySelectorAll('.cell_output img')].filter(i => !i.closest('.jupyter-widgets'));
              const views = [...document.querySelectorAll('script[type="application/vnd.jupyter.widget-view+json"]')];
              return {
                title: document.title,
                figures: outputs.map(i => [i.getAttribute('src'), i.naturalWidth]),
                broken_images: [...document.images].filter(i => i.naturalWidth === 0).map(i => i.getAttribute('src')),
                maths: document.querySelectorAll('.math').length,
                typeset: document.querySelectorAll('mjx-container').length,
                untypeset: [...document.querySelectorAll('.math')].filter(m => !m.querySelector('mjx-container'))
                             .map(m => m.textContent.slice(0, 80)),
                tex_errors: [...document.querySelectorAll('mjx-merror')].map(m => m.textContent.slice(0, 80)),
                nav: [...document.querySelectorAll('nav.bd-docs-nav a.reference.internal')]
                       .map(a => new URL(a.href).pathname.split('/').slice(-2).join('/')),
                widgets: views.map(s => {
                  const cell = s.closest('.cell');
                  const before = cell && cell.previousElementSibling;
                  return {note: !!before && before.matches('.admonition') ? before.textContent : null,
                          drawn: s.parentElement.querySelectorAll('.jupyter-widgets').length};
                }),
                widget_errors: document.body.innerText.includes('Error displaying widget'),
              };
            }"""))
            record["refused"] = list(refused)
            record["seconds"] = time.monotonic() - opened
            seen[name] = record
            page.close()
        browser.close()
    print(f"{len(names)} pages read in {time.monotonic() - started:.1f} s ("
          + ", ".join(f"{name.split('/')[-1][:2]} {r['seconds']:.1f}" for name, r in seen.items()) + ")")
    return seen, bundled


def notebook_pages():
    return [pytest.param(nb, id=nb.stem[:2]) for nb in NOTEBOOKS]


def test_the_built_pages_name_nothing_on_the_internet_that_they_fetch(site):
    html, build_output = site
    assert "nothing on the pages is fetched from the internet" in build_output, build_output[-2000:]
    for page in html.rglob("*.html"):
        text = page.read_text(errors="replace")
        parser = Fetches()
        parser.feed(text)
        external = [a for a in parser.addresses if re.match(r"(https?:)?//", a)]
        assert not external, f"{page.relative_to(html)} fetches {external}"
        cdn = sorted(set(CDN_HOSTS.findall(" ".join(parser.code))))
        assert not cdn, f"{page.relative_to(html)} has scripts or styles that name {cdn}"


def test_every_page_reads_with_the_network_refused(pages):
    seen, _ = pages
    for name, record in seen.items():
        assert not record["refused"], f"{name} tried to reach the internet: {record['refused']}"
        assert not record["missing"], f"{name} asked for local files that are not in the site: {record['missing']}"
        assert not record["errors"], f"{name} raised in the browser: {record['errors']}"
        assert not record["broken_images"], f"{name} has images that did not load: {record['broken_images']}"


def test_the_sidebar_leads_to_all_eleven_notebooks_in_order(pages):
    seen, _ = pages
    expected = [f"notebooks/{nb.stem}.html" for nb in NOTEBOOKS]
    assert len(expected) == 11, f"notebooks/ holds {len(expected)} notebooks, not 11"
    assert seen["index.html"]["nav"] == expected
    for nb in NOTEBOOKS:
        record = seen[f"notebooks/{nb.stem}.html"]
        assert record["nav"] == expected, f"{nb.stem}'s sidebar: {record['nav']}"
        assert record["title"].startswith(nb.stem[:2]), record["title"]


@pytest.mark.parametrize("notebook", notebook_pages())
def test_a_page_shows_every_saved_figure_and_typesets_every_formula(pages, notebook):
    seen, _ = pages
    record, expect = seen[f"notebooks/{notebook.stem}.html"], saved(notebook)
    figures = record["figures"]
    assert len(figures) == expect["figures"], (f"{notebook.name} saved {expect['figures']} figures; "
                                               f"its page shows {len(figures)}")
    assert all(width > 0 for _, width in figures), f"figures that did not load: {figures}"
    if expect["maths"]:
        assert record["maths"] > 0 and record["typeset"] >= record["maths"], record
    assert not record["untypeset"], f"formulas MathJax did not typeset: {record['untypeset'][:5]}"
    assert not record["tex_errors"], f"formulas MathJax could not read: {record['tex_errors'][:5]}"


def test_at_least_two_notebook_pages_have_figures_and_maths(pages):
    seen, _ = pages
    both = [name for name, r in seen.items() if r["figures"] and r["typeset"]]
    assert len(both) >= 2, both


@pytest.mark.parametrize("notebook", [nb for nb in NOTEBOOKS if saved(nb)["widgets"]] or
                         [pytest.param(None, marks=pytest.mark.skip(reason="no notebook shows a widget"))])
def test_every_widget_has_the_live_kernel_note_and_its_saved_state(pages, notebook):
    seen, bundled = pages
    widgets = seen[f"notebooks/{notebook.stem}.html"]["widgets"]
    assert len(widgets) == saved(notebook)["widgets"]
    for widget in widgets:
        assert widget["note"] and NOTE in widget["note"], f"no live-kernel note above a widget: {widget}"
        assert f"notebooks/{notebook.name}" in widget["note"]
        if bundled:
            assert widget["drawn"] > 0, "the saved widget state was not drawn"
        else:
            assert "could not bundle" in widget["note"]
    assert not seen[f"notebooks/{notebook.stem}.html"]["widget_errors"]
