"""The dashboards in a real JupyterLab, in a real (headless) browser.

Starts JupyterLab on loopback, opens a notebook in Debian's Chromium driven by Playwright, runs
all cells from the Run menu, checks that the dashboard's sliders and button render (not "Error
displaying widget"), moves a learning-rate slider, presses Train and checks that the figure
changes. Screenshots go to artifacts/browser/. Skipped where Chromium or Playwright is missing
(`.ci/run` installs both).
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian package 'chromium')"),
    pytest.mark.skipif(sync_playwright is None, reason="Playwright's Python package is not installed"),
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on loopback serving a copy of the notebooks; yields (url, token, folder)."""
    folder = tmp_path_factory.mktemp("lab")
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy(nb, folder / nb.name)
    home = tmp_path_factory.mktemp("home")
    port, token = free_port(), uuid.uuid4().hex
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), MPLBACKEND="module://matplotlib_inline.backend_inline")
    news = home / "settings" / "@jupyterlab" / "apputils-extension"
    news.mkdir(parents=True)
    (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false", "checkForUpdates": false}')
    # render every cell (JupyterLab 4 otherwise hides cells outside the viewport, and a busy
    # machine can leave the dashboard "not visible" when the test looks for it)
    tracker = home / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    log = open(home / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", f"--port={port}",
         "--ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"JupyterLab exited: {(home / 'lab.log').read_text()[-2000:]}")
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("JupyterLab did not start within 90 s")
    yield url, token, folder
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


def shut_down_kernels(url, token):
    """Stop every kernel the server runs, so the next notebook does not share the CPU with them."""
    auth = {"Authorization": f"token {token}"}
    with urllib.request.urlopen(urllib.request.Request(f"{url}/api/kernels", headers=auth), timeout=10) as r:
        kernels = json.loads(r.read())
    for kernel in kernels:
        request = urllib.request.Request(f"{url}/api/kernels/{kernel['id']}", headers=auth, method="DELETE")
        urllib.request.urlopen(request, timeout=30).close()


def shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def run_all_cells(page, timeout=420):
    """Run → Run All Cells, then wait until no cell is busy ([*])."""
    page.locator(".jp-Notebook").first.wait_for(timeout=180_000)
    page.wait_for_function("() => document.querySelector('.jp-Notebook .jp-Cell') !== null", timeout=60_000)
    time.sleep(2)   # let the kernel connect
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'))",
        timeout=30_000)
    page.wait_for_function(
        "() => ![...document.querySelectorAll('.jp-InputPrompt')].some(p => p.textContent.includes('*'))",
        timeout=timeout * 1000, polling=1000)


def dashboard_check(page, name):
    """The first dashboard on the page: controls render; a slider move and Train change the figure."""
    assert page.locator("text=Error displaying widget").count() == 0, "a widget failed to render"
    train = page.locator(".jupyter-widgets button", has_text="Train").first
    train.scroll_into_view_if_needed()
    dash = train.locator("xpath=ancestor::div[contains(@class,'widget-vbox')][last()]")
    assert dash.locator(".widget-slider").count() >= 3          # lr of D, lr of G, epochs, ...
    assert dash.locator(".widget-hslider", has_text="lr of D").count() == 1
    shot(page, f"{name}-1-dashboard")

    image = dash.locator(".widget-image").first
    before = image.get_attribute("src")
    lr_d = dash.locator(".widget-hslider", has_text="lr of D").first
    readout = lr_d.locator(".widget-readout")
    old_readout = readout.inner_text()
    lr_d.locator(".noUi-handle, .ui-slider-handle, [role=slider]").first.focus()
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    page.wait_for_function("([el, old]) => el.innerText !== old", arg=[readout.element_handle(), old_readout],
                           timeout=10_000)
    epochs = dash.locator(".widget-hslider", has_text="epochs").first
    epochs.locator(".noUi-handle, .ui-slider-handle, [role=slider]").first.focus()
    page.keyboard.press("Home")                                   # the shortest run
    time.sleep(1)
    shot(page, f"{name}-2-slider-moved")
    train.click()
    page.wait_for_function("([el, old]) => el.getAttribute('src') !== old",
                           arg=[image.element_handle(), before], timeout=60_000)
    status = dash.locator(".widget-html", has_text="epochs").first
    dash.locator(".widget-html", has_text="finished").first.wait_for(timeout=120_000)
    after = image.get_attribute("src")
    assert after != before
    shot(page, f"{name}-3-trained")

    # the scrubber: back to the first stored snapshot, and the figure shows that moment instead
    scrub = dash.locator(".widget-hslider", has_text="snapshot").first
    scrub.locator(".noUi-handle, .ui-slider-handle, [role=slider]").first.focus()
    page.keyboard.press("Home")
    page.wait_for_function("([el, old]) => el.getAttribute('src') !== old",
                           arg=[image.element_handle(), after], timeout=30_000)
    shot(page, f"{name}-4-scrubbed")
    return readout.inner_text(), old_readout, status


@pytest.mark.parametrize("notebook", ["05_training_loop.ipynb", "06_when_training_fails.ipynb", "07_gan_in_2d.ipynb"])
def test_dashboard_in_jupyterlab(lab, browser, notebook):
    url, token, folder = lab
    if not (folder / notebook).exists():
        pytest.skip(f"{notebook} is not in notebooks/")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(120_000)          # generous: a shared classroom machine can be slow
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # a workspace of its own, reset: JupyterLab would otherwise reopen the notebooks of the
    # earlier tests beside this one
    try:
        page.goto(f"{url}/lab/workspaces/{notebook[:2]}/tree/{notebook}?token={token}&reset",
                  wait_until="domcontentloaded")
        run_all_cells(page)
        shot(page, f"{notebook[:2]}-0-ran")
        assert page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                            has_text="Traceback").count() == 0
        new, old, _ = dashboard_check(page, notebook[:2])
        assert new != old
    finally:
        page.close()
        shut_down_kernels(url, token)
