"""Real Ctrl-C for tests: a SIGINT sent to a fresh Python process at a chosen moment.

``run_interrupted(setup, action, after, follow_up)`` starts a new interpreter and runs ``setup``;
once the child says it is ready, this process waits ``after`` seconds and sends it SIGINT, as
the notebook server does to a kernel when the stop button is pressed. A KeyboardInterrupt that
escapes ``action`` is caught, as a notebook cell would end. Then ``follow_up`` runs: the
process must still work. Each snippet may set ``out[...]``; the dict comes back (JSON), with
``out["escaped"]`` saying whether the KeyboardInterrupt escaped the action, ``out["error"]``
any other exception, ``out["follow_up_error"]`` one from the follow-up. ``after=None`` sends
no signal (the action sends its own).
"""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_TEMPLATE = '''
import json, os, signal, sys, time, traceback
out = {{"escaped": False, "error": None, "follow_up_error": None}}
{setup}
try:
    try:
        print("READY", flush=True)        # inside the try: a signal right after it counts as in the action
{action}
    except KeyboardInterrupt:
        out["escaped"] = True
except KeyboardInterrupt:
    out["escaped"] = True
except Exception:
    out["error"] = traceback.format_exc()
# the parent closes stdin once the signal is sent: by then it has arrived, and one that lands
# here (after a short action) ends up here, not in the follow-up
while True:
    try:
        if sys.stdin.readline() == "":
            break
    except KeyboardInterrupt:
        pass
try:
{follow_up}
except BaseException:
    out["follow_up_error"] = traceback.format_exc()
print("RESULT " + json.dumps(out, default=str), flush=True)
'''


def run_interrupted(setup, action, after, follow_up="pass", timeout=240):
    """Run the snippets in a fresh process with a SIGINT ``after`` seconds into ``action``."""
    indent = lambda code, n: textwrap.indent(textwrap.dedent(code).strip() or "pass", " " * n)  # noqa: E731
    script = _TEMPLATE.format(setup=indent(setup, 0), action=indent(action, 8), follow_up=indent(follow_up, 4))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
               MPLBACKEND="Agg", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        ready = proc.stdout.readline()          # blocks until the setup is done (or the child died)
        if ready.strip() == "READY" and after is not None:
            time.sleep(after)
            proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(input="", timeout=timeout)     # closes its stdin
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
        raise AssertionError(f"the interrupted process did not finish within {timeout} s (it hangs):\n"
                             f"{stdout[-2000:]}\n{stderr[-3000:]}") from None
    lines = [line for line in stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        raise AssertionError(f"the interrupted process printed no result (exit {proc.returncode}):\n"
                             f"{ready}{stdout[-2000:]}\n{stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT "):])
