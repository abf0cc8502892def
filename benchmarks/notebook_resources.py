"""Time and memory of every notebook, as one student's kernel would use them.

    python benchmarks/notebook_resources.py                 # all notebooks, a table for README
    python benchmarks/notebook_resources.py 05_training_loop.ipynb
    python benchmarks/notebook_resources.py --write          # also store the outputs in the notebooks

Each notebook is executed top to bottom in a fresh kernel (nbconvert, outputs discarded). For
each: wall seconds (kernel start included), CPU seconds of the kernel, and the kernel's peak
resident memory. Run it on an otherwise idle machine. With ``--write`` the executed notebook,
outputs and all, replaces the file (run ``tools/tidy_outputs.py`` on it afterwards).
"""
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

RUNNER = r"""
import json, resource, sys, time
from nbclient import NotebookClient
import nbformat
nb = nbformat.read(sys.argv[1], as_version=4)
start = time.perf_counter()
client = NotebookClient(nb, timeout=900, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}})
client.execute()
wall = time.perf_counter() - start
child = resource.getrusage(resource.RUSAGE_CHILDREN)
if sys.argv[3] == "write":
    nbformat.write(nb, sys.argv[1])
print(json.dumps({"wall": wall, "cpu": child.ru_utime + child.ru_stime, "peak_mb": child.ru_maxrss / 1024}))
"""


def measure(path, write=False):
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(RUNNER)
    out = subprocess.run([sys.executable, f.name, str(path), str(path.parent),
                          "write" if write else "discard"], capture_output=True, text=True)
    Path(f.name).unlink()
    if out.returncode != 0:
        raise RuntimeError(f"{path.name} failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    write = "--write" in sys.argv[1:]
    names = [a for a in sys.argv[1:] if a != "--write"] or sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    rows, total_wall, total_cpu, peak = [], 0.0, 0.0, 0.0
    print("| notebook | wall time | kernel CPU time | kernel peak memory |")
    print("|---|---|---|---|")
    for name in names:
        m = measure(NOTEBOOKS / name, write)
        total_wall += m["wall"]
        total_cpu += m["cpu"]
        peak = max(peak, m["peak_mb"])
        print(f"| {name} | {m['wall']:.0f} s | {m['cpu']:.0f} s | {m['peak_mb']:.0f} MB |", flush=True)
    print(f"| **whole series** | {total_wall / 60:.1f} min | {total_cpu / 60:.1f} min | {peak:.0f} MB (largest) |")


if __name__ == "__main__":
    main()
