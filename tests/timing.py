"""How slow is this machine right now? One factor, measured once per test process, that stretches
every time limit of the tests which wait on another thread or process.

The factor compares a fixed small workload (a pure-Python loop and a few steps of a tiny torch
model) with the time the same workload took on the 2-core development machine when it was idle
(``REFERENCE_SECONDS``). The workload runs in one worker process per CPU core, all started
together, and the slowest worker counts: the browser tests share the machine between a JupyterLab
server, a kernel, Chromium and pytest, so what matters is how much of *every* core is free, not
how fast one core is. The factor is clamped to [``LOWEST``, ``HIGHEST``], so a machine that is
idle never gets shorter limits than the ones written in the tests, and a stalled one never waits
for ever. ``GAN_LESSON_TIME_FACTOR`` overrides the measurement (e.g. ``=3`` on a slow CI runner).

Waits are on conditions (``wait_until``); the factor only decides how long to keep trying before
failing with a message that says what was seen and which limits were used.
"""
import functools
import os
import subprocess
import sys
import time

REFERENCE_SECONDS = 0.28    # the slowest worker on the idle 2-core development machine (median of 3 runs)
LOWEST, HIGHEST = 1.0, 4.0

# The worker imports first, says "ready", then waits for "go" on stdin, so every worker times the
# same stretch of work at the same moment (the imports are not part of the measurement).
_WORKER = r"""
import sys, time
import torch
torch.set_num_threads(1)
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(8, 64), torch.nn.ReLU(), torch.nn.Linear(64, 1))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
x = torch.randn(128, 8)
print("ready", flush=True)
sys.stdin.readline()
start = time.perf_counter()
total = 0
for i in range(2_000_000):
    total += i * i % 7
for _ in range(400):
    opt.zero_grad()
    loss = model(x).pow(2).mean()
    loss.backward()
    opt.step()
print(time.perf_counter() - start, flush=True)
"""


def measure_workload(workers=None, timeout=120):
    """Seconds the slowest of ``workers`` (default: one per core) simultaneous workers took."""
    workers = workers or os.cpu_count() or 1
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(workers)]
    try:
        for p in procs:
            line = p.stdout.readline()
            if line.strip() != "ready":
                raise RuntimeError(f"timing worker did not start: {line!r} {p.stderr.read()[-1000:]}")
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        times = []
        for p in procs:
            out, err = p.communicate(timeout=timeout)
            if p.returncode != 0:
                raise RuntimeError(f"timing worker failed ({p.returncode}): {err[-1000:]}")
            times.append(float(out.strip().splitlines()[-1]))
        return max(times)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()


@functools.lru_cache(maxsize=None)
def measurement():
    """(factor, how it was obtained) — computed on first use, then reused for the whole session."""
    override = os.environ.get("GAN_LESSON_TIME_FACTOR")
    if override:
        factor = min(max(float(override), LOWEST), HIGHEST)
        return factor, f"time factor {factor:.2f} (from GAN_LESSON_TIME_FACTOR={override})"
    try:
        seconds = measure_workload()
    except (OSError, RuntimeError, ValueError, subprocess.TimeoutExpired) as exc:
        # cannot measure: assume the machine is slow rather than fast
        return HIGHEST, f"time factor {HIGHEST:.2f} (the reference workload failed: {exc})"
    ratio = seconds / REFERENCE_SECONDS
    factor = min(max(ratio, LOWEST), HIGHEST)
    return factor, (f"time factor {factor:.2f} (reference workload {seconds:.2f} s here against "
                    f"{REFERENCE_SECONDS:.2f} s idle, ratio {ratio:.2f}, clamped to [{LOWEST:g}, {HIGHEST:g}])")


def factor():
    return measurement()[0]


def scaled(seconds):
    """A time limit written for the idle machine, stretched for this one."""
    return seconds * factor()


class WaitTimeout(AssertionError):
    pass


def wait_until(condition, timeout, what, interval=0.05, max_interval=1.0):
    """Poll ``condition()`` until it returns something truthy (which is returned) or ``timeout``
    seconds pass; then fail with ``what`` and the last value seen. The pause between polls starts
    short and grows, so a quick condition costs little and a slow one little CPU."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = condition()
        if last:
            return last
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WaitTimeout(f"{what}: not reached within {timeout:.1f} s (last seen: {last!r}; "
                              f"{measurement()[1]})")
        time.sleep(min(interval, remaining))
        interval = min(interval * 1.5, max_interval)


def wait_scaled(condition, base, what, **kwargs):
    """``wait_until`` with a limit of ``base`` seconds (written for the idle machine) stretched by
    the time factor, which is only measured if the condition is not met within ``base`` seconds:
    a quick pass on an idle machine costs no measurement."""
    try:
        return wait_until(condition, base, what, **kwargs)
    except WaitTimeout:
        pass
    extra = base * (factor() - 1)
    try:
        if extra <= 0:
            raise WaitTimeout(what)
        return wait_until(condition, extra, what, **kwargs)
    except WaitTimeout:
        raise WaitTimeout(f"{what}: not reached within {base + max(extra, 0):.1f} s ({base:g} s written for "
                          f"the idle machine, stretched by {measurement()[1]}); last seen: {condition()!r}") from None
