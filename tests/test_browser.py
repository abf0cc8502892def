"""The dashboards in a real JupyterLab, in a real (headless) browser.

Starts JupyterLab on loopback with the classroom settings the README's lessons command uses
(``--config=classroom-lab/jupyter_lab_config.py``), opens a notebook in Debian's Chromium driven
by Playwright, checks that no "get notified about official Jupyter news?" pop-up shows, runs all
cells from the Run menu, checks that the dashboard's sliders and button render (not "Error
displaying widget"), moves a learning-rate slider, presses Train and checks that the figure
changes. In notebook 05 it also counts the live view's pictures a second during a run, presses
Train 30 times and checks that the kernel's memory stays flat, and switches to the dark theme
(screenshot ``05-6-dark-theme.png``; the figures there must be opaque). Screenshots go to
artifacts/browser/. Skipped where Chromium or Playwright is missing (`.ci/run` installs both).

Nothing here sleeps for a fixed time: every step waits for a condition (the server answers, the
kernel is idle and connected, a cell turns busy, a readout or a figure changes), and gives up
after a limit written for an idle machine and stretched by ``timing.factor()`` (measured once per
session). A failed step says what it waited for, what it saw (kernel state in the page and on the
server, the cells' prompts, page errors), where its screenshot is, and every limit in use.
"""
import base64
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from timing import WaitTimeout, factor, measurement, scaled, wait_until

ROOT = Path(__file__).resolve().parents[1]
#: The classroom settings the README's lessons command starts JupyterLab with.
CLASSROOM_CONFIG = ROOT / "classroom-lab" / "jupyter_lab_config.py"
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None
    PlaywrightError = Exception

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian package 'chromium')"),
    pytest.mark.skipif(sync_playwright is None, reason="Playwright's Python package is not installed"),
]

# Limits in seconds on the idle 2-core development machine (where a whole notebook runs in about
# 20 s); each is multiplied by the session's time factor before use.
LIMITS = {
    "server answers": 90,
    "server stops": 20,
    "notebook renders": 180,
    "kernel idle and connected": 120,
    "a cell turns busy after Run All": 20,      # per attempt; Run All is tried twice
    "all cells finish": 420,
    "slider readout changes": 20,
    "figure changes after Train": 60,
    "training run ends": 120,
    "scrubbed figure appears": 30,
    "live pictures arrive": 60,                  # 21 pictures of a long run
    "theme changes": 30,
    "any other page action": 60,                 # Playwright's default: clicks, locators
    "kernels shut down": 30,
}


def limit(name):
    return scaled(LIMITS[name])


def limits_used():
    return ", ".join(f"{name} {limit(name):.0f} s" for name in LIMITS)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    """A running JupyterLab server and its REST API."""

    def __init__(self, url, token, folder, log_path):
        self.url, self.token, self.folder, self.log_path = url, token, folder, log_path

    def api(self, path, method="GET", timeout=10):
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as r:
            body = r.read()
        return json.loads(body) if body else None

    def kernels(self):
        return self.api("kernels")

    def kernel_of(self, notebook):
        """The server's record of the kernel of ``notebook`` (execution_state, connections, ...), or None."""
        for session in self.api("sessions"):
            if session.get("path") == notebook or session.get("notebook", {}).get("path") == notebook:
                return session.get("kernel")
        return None

    def log_tail(self, chars=2000):
        return self.log_path.read_text(errors="replace")[-chars:]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on loopback serving a copy of the notebooks."""
    print(f"\n{measurement()[1]}")                 # measured before anything of ours loads the machine
    for old in ARTIFACTS.glob("*.png"):              # the screenshots are this run's, none left from an earlier one
        old.unlink()
    folder = tmp_path_factory.mktemp("lab")
    for nb in (ROOT / "notebooks").glob("*.ipynb"):
        shutil.copy(nb, folder / nb.name)
    home = tmp_path_factory.mktemp("home")
    port, token = free_port(), uuid.uuid4().hex
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"), MPLBACKEND="module://matplotlib_inline.backend_inline")
    # no setting about news here: the classroom settings must keep the news pop-up away by themselves
    # render every cell (JupyterLab 4 otherwise hides cells outside the viewport, and a busy
    # machine can leave the dashboard "not visible" when the test looks for it)
    tracker = home / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    log_path = home / "lab.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", f"--config={CLASSROOM_CONFIG}", "--no-browser", "--allow-root",
         f"--port={port}", "--ip=127.0.0.1", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={folder}",
         "--LabApp.expose_app_in_browser=True"],    # window.jupyterapp: the theme command
        env=env, stdout=log, stderr=subprocess.STDOUT)
    server = Lab(f"http://127.0.0.1:{port}", token, folder, log_path)

    def answers():
        if proc.poll() is not None:
            raise RuntimeError(f"JupyterLab exited with code {proc.returncode}:\n{server.log_tail()}")
        try:
            return server.api("status", timeout=5) is not None
        except (OSError, ValueError):
            return False

    started = time.monotonic()
    try:
        wait_until(answers, limit("server answers"), f"JupyterLab answering on {server.url}/api/status")
    except WaitTimeout as exc:
        proc.kill()
        proc.wait()
        log.close()
        raise RuntimeError(f"{exc}\nserver log:\n{server.log_tail()}") from None
    print(f"JupyterLab answered after {time.monotonic() - started:.1f} s")
    yield server
    proc.terminate()
    try:
        proc.wait(timeout=limit("server stops"))
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield b
        b.close()


def shut_down_kernels(lab):
    """Stop every kernel the server runs, and wait until it lists none, so the next notebook does
    not share the CPU with them."""
    for kernel in lab.kernels():
        try:
            lab.api(f"kernels/{kernel['id']}", method="DELETE", timeout=limit("kernels shut down"))
        except urllib.error.HTTPError as exc:
            if exc.code != 404:                      # 404: it was already gone
                raise
    wait_until(lambda: not lab.kernels(), limit("kernels shut down"), "every kernel shut down")


def shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


PROMPTS = "() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim())"
# the notebook toolbar's kernel indicator: data-status is the kernel status the page knows
# (idle, busy, starting, connecting, disconnected, unknown, ...)
PAGE_KERNEL = """() => {
  const el = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
  return el ? el.getAttribute('data-status') : null;
}"""
DIALOGS = "() => [...document.querySelectorAll('.jp-Dialog')].map(d => d.innerText.slice(0, 200))"
NEWS_PLUGIN = "@jupyterlab/apputils-extension:announcements"
PAGE_DISABLED = """() => {
  const data = JSON.parse(document.getElementById('jupyter-config-data').textContent);
  const disabled = data.disabledExtensions || [];
  return Array.isArray(disabled) ? disabled : Object.keys(disabled).filter(k => disabled[k]);
}"""
# the times (ms) at which the dashboard's image got a new picture
WATCH_SRC = """(img) => {
  window.ganLessonSrcTimes = [];
  new MutationObserver(() => window.ganLessonSrcTimes.push(performance.now()))
    .observe(img, {attributes: true, attributeFilter: ['src']});
}"""
#: Pictures a second the live view gives on the idle machine (divided by the time factor when busy).
LIVE_RATE = 4.0
#: The kernel may grow by at most this many MB from the 10th to the 30th press of Train. Measured
#: in a kernel at load 6.5 (headless, 30 presses of the shortest run): +12.6 MB over those presses,
#: slowing down (+7.7 MB from the 10th to the 20th, +4.9 MB to the 30th): the memory allocator and
#: matplotlib's text caches filling up. Keeping every run would add ~24 MB over 20 presses, a live
#: figure kept per press ~90 MB.
MEMORY_GROWTH_MB = 25


class Session:
    """One notebook open in the browser: its steps, and what to say when one of them fails."""

    def __init__(self, page, lab, notebook):
        self.page, self.lab, self.notebook, self.name = page, lab, notebook, notebook[:2]
        self.page_errors = []
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))

    def page_kernel(self):
        return self.page.evaluate(PAGE_KERNEL)

    def server_kernel(self):
        return self.lab.kernel_of(self.notebook)

    def prompts(self):
        return self.page.evaluate(PROMPTS)

    def seen(self):
        """What the page and the server show now, for failure messages (never raises)."""
        parts = []
        for label, probe in (("kernel in the page", self.page_kernel),
                             ("kernel on the server", lambda: {k: v for k, v in (self.server_kernel() or {}).items()
                                                               if k in ("execution_state", "connections",
                                                                        "last_activity")} or None),
                             ("prompts", lambda: self.prompts()[:60]), ("dialogs", lambda: self.page.evaluate(DIALOGS))):
            try:
                value = probe()
            except Exception as exc:  # noqa: BLE001 - a report must not hide the original failure
                value = f"<could not read: {type(exc).__name__}: {exc}>"
            parts.append(f"  {label}: {value}")
        parts.append(f"  page errors: {self.page_errors[-5:] or 'none'}")
        return "\n".join(parts)

    def fail(self, step, detail):
        try:
            where = shot(self.page, f"{self.name}-FAILED-{step.replace(' ', '-')}")
        except Exception as exc:  # noqa: BLE001
            where = f"<no screenshot: {exc}>"
        pytest.fail(f"{self.notebook}: {step}: {detail}\n{self.seen()}\n  screenshot: {where}\n"
                    f"  {measurement()[1]}\n  limits used: {limits_used()}", pytrace=False)

    def wait_js(self, step, expression, arg=None, polling=250):
        """Wait until ``expression`` is truthy in the page, for ``LIMITS[step]`` (scaled)."""
        try:
            return self.page.wait_for_function(expression, arg=arg, timeout=limit(step) * 1000, polling=polling)
        except PlaywrightError as exc:
            problem = f"not reached within {limit(step):.0f} s ({str(exc).splitlines()[0]})"
        self.fail(step, problem)

    def wait(self, step, condition, what, **kwargs):
        """Wait until ``condition()`` is truthy, for ``LIMITS[step]`` (scaled)."""
        try:
            return wait_until(condition, limit(step), what, **kwargs)
        except WaitTimeout as exc:
            problem = str(exc)
        self.fail(step, problem)

    # ------------------------------------------------------------------ steps
    def open(self):
        # a workspace of its own, reset: JupyterLab would otherwise reopen the notebooks of the
        # earlier tests beside this one
        self.page.goto(f"{self.lab.url}/lab/workspaces/{self.name}/tree/{self.notebook}?token={self.lab.token}&reset",
                       wait_until="domcontentloaded")
        self.wait_js("notebook renders", "() => document.querySelector('.jp-Notebook .jp-CodeCell .jp-InputPrompt') !== null")

    def kernel_ready(self):
        """True once the page shows the kernel idle and the server has it idle with a connection."""
        kernel = self.server_kernel()
        return (self.page_kernel() == "idle" and kernel is not None and kernel.get("execution_state") == "idle"
                and kernel.get("connections", 0) >= 1)

    def wait_kernel_ready(self):
        self.wait("kernel idle and connected", self.kernel_ready,
                  "the kernel idle in the page and on the server, with a connection")

    def click_run_all(self):
        self.page.get_by_role("menuitem", name="Run", exact=True).click()
        self.page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

    def started(self, before):
        """Run All took: a prompt shows [*] (JupyterLab marks every queued cell at once) or the
        prompts changed. A busy kernel is no proof: widgets talk to it on their own."""
        prompts = self.prompts()
        return any("*" in p for p in prompts) or prompts != before

    def run_all_cells(self):
        """Run → Run All Cells once the kernel is ready (retried once if no cell turns busy), then
        wait until no cell is busy and the kernel is idle again."""
        self.wait_kernel_ready()
        before = self.prompts()
        self.click_run_all()
        try:
            wait_until(lambda: self.started(before), limit("a cell turns busy after Run All"), "a cell turning busy")
            started = True
        except WaitTimeout:
            started = False
        if not started:
            first_shot = shot(self.page, f"{self.name}-run-all-did-not-start")
            print(f"{self.notebook}: no cell turned busy after Run All; retrying the menu once "
                  f"(screenshot {first_shot})\n{self.seen()}")
            self.page.keyboard.press("Escape")          # close a menu left open, if any
            self.wait_kernel_ready()
            self.click_run_all()
            self.wait("a cell turns busy after Run All", lambda: self.started(before),
                      "a cell turning busy after Run All was chosen twice")
        self.wait_js("all cells finish",
                     "() => ![...document.querySelectorAll('.jp-Notebook .jp-InputPrompt')]"
                     ".some(p => p.textContent.includes('*'))", polling=1000)
        self.wait("all cells finish", lambda: (self.server_kernel() or {}).get("execution_state") == "idle",
                  "the kernel idle on the server after the last cell")

    def check_no_tracebacks(self):
        errors = self.page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
                                   has_text="Traceback")
        if errors.count():
            self.fail("cells ran without errors", f"{errors.count()} traceback(s); the first:\n"
                                                  f"{errors.first.inner_text()[-1500:]}")

    def dashboard_check(self):
        """The first dashboard on the page: controls render; a slider move and Train change the figure."""
        page, name = self.page, self.name
        if page.locator("text=Error displaying widget").count():
            self.fail("widgets render", "a widget shows 'Error displaying widget'")
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
        self.wait_js("slider readout changes", "([el, old]) => el.innerText !== old",
                     arg=[readout.element_handle(), old_readout])
        epochs = dash.locator(".widget-hslider", has_text="epochs").first
        epochs_readout = epochs.locator(".widget-readout")
        old_epochs = epochs_readout.inner_text()
        epochs.locator(".noUi-handle, .ui-slider-handle, [role=slider]").first.focus()
        page.keyboard.press("Home")                                   # the shortest run
        self.wait_js("slider readout changes", "([el, old]) => el.innerText !== old",
                     arg=[epochs_readout.element_handle(), old_epochs])
        shot(page, f"{name}-2-slider-moved")
        train.click()
        self.wait_js("figure changes after Train", "([el, old]) => el.getAttribute('src') !== old",
                     arg=[image.element_handle(), before])
        # the status line ends with the wall time once the run is over, however it ended
        status = dash.locator(".widget-html", has_text="wall time").first
        try:
            status.wait_for(timeout=limit("training run ends") * 1000)
            problem = None
        except PlaywrightError as exc:
            problem = f"no status line with 'wall time' within {limit('training run ends'):.0f} s ({str(exc).splitlines()[0]})"
        if problem:
            self.fail("training run ends", problem)
        if "finished" not in status.inner_text():
            self.fail("training run ends", f"the run did not finish: {status.inner_text()!r}")
        after = image.get_attribute("src")
        assert after != before
        shot(page, f"{name}-3-trained")

        # the scrubber: back to the first stored snapshot, and the figure shows that moment instead
        scrub = dash.locator(".widget-hslider", has_text="snapshot").first
        scrub.locator(".noUi-handle, .ui-slider-handle, [role=slider]").first.focus()
        page.keyboard.press("Home")
        self.wait_js("scrubbed figure appears", "([el, old]) => el.getAttribute('src') !== old",
                     arg=[image.element_handle(), after])
        shot(page, f"{name}-4-scrubbed")
        return readout.inner_text(), old_readout


    # ------------------------------------------------------------------ the classroom
    def check_no_news_popup(self):
        """The classroom settings reached the page (the announcements plugin is disabled) and no
        "official Jupyter news" pop-up shows (checked once the notebook has run: long after start)."""
        disabled = self.page.evaluate(PAGE_DISABLED)
        if NEWS_PLUGIN not in disabled:
            self.fail("the news pop-up is switched off", f"the page's disabled extensions are {disabled}")
        asked = self.page.locator(".Toastify__toast, .jp-Notification-Toast", has_text="Jupyter news")
        if asked.count() or self.page.get_by_text("official Jupyter news").count():
            self.fail("the news pop-up is switched off", "the pop-up asking about official Jupyter news shows")

    def dashboard(self):
        train = self.page.locator(".jupyter-widgets button", has_text="Train").first
        train.scroll_into_view_if_needed()
        return train, train.locator("xpath=ancestor::div[contains(@class,'widget-vbox')][last()]")

    def set_epochs(self, dash, key):
        """Move the epochs slider with ``key`` ("Home": the fewest, "End": the most). The kernel
        handles the slider's message before a later press of Train (messages keep their order)."""
        epochs = dash.locator(".widget-hslider", has_text="epochs").first
        epochs.locator(".noUi-handle, .ui-slider-handle, [role=slider]").first.focus()
        self.page.keyboard.press(key)

    def live_updates(self):
        """Pictures a second in the page while a long run trains: the image's src changes between
        the 2nd and the 21st new picture (the first may come before training starts), then Stop."""
        page = self.page
        train, dash = self.dashboard()
        image = dash.locator(".widget-image").first
        self.set_epochs(dash, "End")
        page.evaluate(WATCH_SRC, image.element_handle())
        train.click()
        self.wait_js("live pictures arrive", "() => window.ganLessonSrcTimes.length >= 21", polling=100)
        dash.locator(".jupyter-widgets button", has_text="Stop").first.click()
        self.wait_run_end(train, dash)
        times = page.evaluate("() => window.ganLessonSrcTimes.slice(1, 21)")
        return (len(times) - 1) / ((times[-1] - times[0]) / 1000)

    def wait_run_end(self, train, dash, old_src=None):
        """Until the run ended: Train enabled again, the status says the wall time (and, given
        ``old_src``, the figure changed since then: the run really happened)."""
        image = dash.locator(".widget-image").first
        self.wait_js("training run ends",
                     "([button, img, old]) => !button.disabled && (old === null || img.getAttribute('src') !== old)"
                     " && [...document.querySelectorAll('.widget-html')].some(h => h.innerText.includes('wall time'))",
                     arg=[train.element_handle(), image.element_handle(), old_src], polling=100)

    def kernel_rss_mb(self):
        """The resident memory of the notebook's kernel process (MB), read from /proc."""
        kernel_id = (self.server_kernel() or {}).get("id")
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if kernel_id and f"kernel-{kernel_id}".encode() in cmdline.read_bytes():
                    status = (cmdline.parent / "status").read_text()
                    return next(int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS"))
            except OSError:
                continue
        self.fail("kernel memory", f"no process of kernel {kernel_id} in /proc")

    def memory_over_presses(self, presses=30, marks=(10, 30)):
        """Press Train ``presses`` times (the shortest run each time), each after the last run ended;
        the kernel's memory (MB) after the presses in ``marks``."""
        train, dash = self.dashboard()
        image = dash.locator(".widget-image").first
        self.set_epochs(dash, "Home")
        seen = {}
        for press in range(1, presses + 1):
            old = image.get_attribute("src")
            train.click()
            self.wait_run_end(train, dash, old)
            if press in marks:
                seen[press] = self.kernel_rss_mb()
        return seen

    def dark_theme(self):
        """Switch to JupyterLab Dark (the command of the Settings menu's Theme entry), photograph a figure of the notebook and
        the dashboard, return the figures' lowest alpha (255: opaque), and switch back."""
        page = self.page

        def theme(name, light):      # the command behind Settings -> Theme -> name
            page.evaluate("(name) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: name})", name)
            self.wait_js("theme changes", f"() => document.body.dataset.jpThemeLight === '{light}'")

        theme("JupyterLab Dark", "false")
        try:
            figures = page.locator(".jp-RenderedImage img[src^='data:image/png']")
            figures.first.scroll_into_view_if_needed()
            shot(page, f"{self.name}-6-dark-theme")
            self.dashboard()[0].scroll_into_view_if_needed()
            shot(page, f"{self.name}-7-dark-theme-dashboard")
            lowest = 255
            from PIL import Image
            for src in figures.evaluate_all("imgs => imgs.map(i => i.getAttribute('src'))"):
                png = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1]))).convert("RGBA")
                lowest = min(lowest, png.getextrema()[3][0])
            return lowest, figures.count()
        finally:
            theme("JupyterLab Light", "true")


@pytest.mark.parametrize("notebook", ["05_training_loop.ipynb", "07_diagnosing_failures.ipynb", "08_gan_in_2d.ipynb"])
def test_dashboard_in_jupyterlab(lab, browser, notebook):
    if not (lab.folder / notebook).exists():
        pytest.skip(f"{notebook} is not in notebooks/")
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(limit("any other page action") * 1000)
    page.set_default_navigation_timeout(limit("notebook renders") * 1000)
    session = Session(page, lab, notebook)
    try:
        session.open()
        session.run_all_cells()
        shot(page, f"{session.name}-0-ran")
        session.check_no_tracebacks()
        session.check_no_news_popup()
        new, old = session.dashboard_check()
        assert new != old, f"the lr of D readout still shows {old!r} after five ArrowLeft presses"
        if session.name != "05":
            return
        rate = session.live_updates()
        print(f"live view: {rate:.1f} pictures a second in the page ({measurement()[1]})")
        assert rate >= LIVE_RATE / factor(), (f"the live view showed {rate:.1f} pictures a second; at least "
                                              f"{LIVE_RATE} on the idle machine ({measurement()[1]})")
        memory = session.memory_over_presses()
        print(f"kernel memory after 10 and 30 presses of Train: {memory[10]:.1f} MB, {memory[30]:.1f} MB")
        assert memory[30] - memory[10] < MEMORY_GROWTH_MB, (
            f"the kernel grew by {memory[30] - memory[10]:.1f} MB from the 10th to the 30th press of Train "
            f"({memory[10]:.1f} -> {memory[30]:.1f} MB); at most {MEMORY_GROWTH_MB} MB is allowed")
        lowest, count = session.dark_theme()
        assert count, "no figure of the notebook in the page"
        assert lowest == 255, f"a figure of the notebook is not opaque (lowest alpha {lowest}): unreadable in the dark theme"
    finally:
        page.close()
        shut_down_kernels(lab)
