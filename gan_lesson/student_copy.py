"""Make the students' copy of the notebooks: every solution removed.

    python -m gan_lesson.student_copy notebooks student

Cells tagged ``solution`` are replaced by a short note; the outputs of cells tagged
``solution-check`` (the check run on the solution) are cleared. Everything else, outputs
included, is kept, so the copy reads as well as the original. Notebooks are written to the
output folder under the same names; the source folder is never changed.
"""
import argparse
import json
import sys
from pathlib import Path

__all__ = ["strip_solutions", "make_student_copy"]

NOTE = ("*The solution is not included in this copy. Ask your instructor, or compare your "
        "answer with the checker's message above.*")


def strip_solutions(nb):
    """Return ``(notebook, removed)``: a notebook dict without solution cells, and how many went."""
    cells, removed = [], 0
    for cell in nb.get("cells", []):
        tags = cell.get("metadata", {}).get("tags", [])
        if "solution" in tags:
            removed += 1
            cells.append({"cell_type": "markdown", "metadata": {"tags": ["solution-removed"]},
                          "source": NOTE, "id": cell.get("id", f"removed-{removed}")})
            continue
        if "solution-check" in tags and cell.get("cell_type") == "code":
            cell = dict(cell, outputs=[], execution_count=None)
        cells.append(cell)
    return dict(nb, cells=cells), removed


def make_student_copy(source, destination):
    """Write solution-free copies of every notebook in ``source`` to ``destination``."""
    source, destination = Path(source), Path(destination)
    if not source.is_dir():
        raise FileNotFoundError(f"source must be a folder of notebooks; {str(source)!r} is not a folder.")
    if destination.resolve() == source.resolve():
        raise ValueError("destination must differ from source; the copy must not overwrite the originals.")
    books = sorted(p for p in source.glob("*.ipynb"))
    if not books:
        raise FileNotFoundError(f"no notebooks (*.ipynb) in {str(source)!r}.")
    destination.mkdir(parents=True, exist_ok=True)
    report = []
    for path in books:
        nb, removed = strip_solutions(json.loads(path.read_text(encoding="utf-8")))
        (destination / path.name).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        report.append((path.name, removed))
    return report


def main(argv=None):
    ap = argparse.ArgumentParser(description="Copy the notebooks without their solutions.")
    ap.add_argument("source", nargs="?", default="notebooks", help="folder of notebooks (default: notebooks)")
    ap.add_argument("destination", nargs="?", default="student", help="folder for the copies (default: student)")
    args = ap.parse_args(argv)
    try:
        report = make_student_copy(args.source, args.destination)
    except (FileNotFoundError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for name, removed in report:
        print(f"{name}: {removed} solution(s) removed")
    print(f"wrote {len(report)} notebooks to {args.destination}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
