"""Make the students' copy of the notebooks: every solution removed.

    python -m gan_lesson.student_copy notebooks student

Cells tagged ``solution`` are replaced by a short note; the outputs of cells tagged
``solution-check`` (the check run on the solution) are cleared. Everything else, outputs
included, is kept, so the copy reads as well as the original. Notebooks are written to the
output folder under the same names; the source folder is never changed.

The stubs of the exercises (cells tagged ``exercise``) are rewritten so that "Run All" stops at
the first exercise the student has not done, with one line naming it, instead of running on
into a cascade of errors: a ``raise NotImplementedError`` in a function becomes
``raise Unfinished("name", notebook="NN")``, and assignments whose value still holds ``...``
are followed, after a blank line, by ``Unfinished.unless_filled_in(name, "name", notebook="NN")``.
``Unfinished`` is a ``BaseException``, so neither a checker nor an ``except Exception`` swallows
it, and the notebook shows only its message, not a traceback. A stubbed function gets a blank
line below its docstring: there, and above the ``unless_filled_in`` lines, the nbgrader course
(``gan_lesson.nbgrader_course``) puts the reference solution, and nbgrader's student version of
the cell is then this copy's cell exactly.

The copy never destroys work. Each notebook it writes carries a marker in its metadata,
``metadata["gan_lesson"]["student_copy"]``, with the source notebook's name and hash and a hash
of the cells as written. With that marker the copy knows its own output, and whether a student
has edited it since (any change to a cell's source or outputs; Jupyter's reformatting on save is
not an edit). So, before anything is written:

* every source notebook is read and checked; a broken one is named and nothing is written;
* a source folder that is itself a students' copy (its notebooks carry the marker, or have
  removed-solution notes and no solutions) is refused: the arguments are probably swapped;
* a destination that is a file, cannot be written, holds notebooks with solutions, or holds
  notebooks the copy did not write is refused.

Then each notebook is *written* (new), *refreshed* (the earlier copy was not edited),
*unchanged*, or, when a student has edited the earlier copy, that copy is kept and the new
version is written beside it as ``NAME.new.ipynb``. Every error exits with code 2.
"""
import argparse
import ast
import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["strip_solutions", "make_student_copy", "rewrite_stubs", "Unfinished", "StudentCopyError", "Copied",
           "MARKER"]

NOTE = ("*The solution is not included in this copy. Ask your instructor, or compare your "
        "answer with the checker's message above.*")
MARKER = "student_copy"            # metadata["gan_lesson"]["student_copy"] in every notebook written
COMMAND = "python -m gan_lesson.student_copy"
USAGE = f"{COMMAND} NOTEBOOKS_WITH_SOLUTIONS STUDENT_FOLDER   (for example: {COMMAND} notebooks student)"


class StudentCopyError(ValueError):
    """The copy was refused; the message names the argument or file, the value and what to do."""


class SourceNotFound(StudentCopyError, FileNotFoundError):
    """The source folder is missing or holds no notebooks."""


@dataclass(frozen=True)
class Copied:
    """What happened to one notebook: ``status`` is written, refreshed, unchanged or kept."""
    name: str
    removed: int
    status: str
    detail: str
    written: Path = None            # the file written, if any

    def line(self):
        return f"{self.name}: {self.removed} solution(s) removed; {self.detail}"


class Unfinished(BaseException):
    """An exercise the student has not done yet: "Run All" stops here, showing one line.

    Raised by the stubs of the students' copy (see ``rewrite_stubs``). A ``BaseException``, like
    ``KeyboardInterrupt``, so that the checkers (which report other errors as mistakes) and any
    ``except Exception`` let it through to the cell, which then fails and stops "Run All".
    IPython shows ``_render_traceback_`` instead of a traceback: the message alone.
    """

    def __init__(self, name, notebook=None, where="function"):
        self.name, self.notebook, self.where = name, notebook, where
        book = f" (notebook {notebook})" if notebook else ""
        if where == "function":
            text = (f"Exercise {name!r}{book} is not done yet: write your code in its cell, in place of the line "
                    f"`raise Unfinished(...)`, run that cell, then run this one again and carry on from here.")
        else:
            text = (f"Exercise {name!r}{book} is not done yet: replace the `...` in this cell with your answer, "
                    f"run the cell, then carry on from here.")
        super().__init__(text)
        self.message = text

    def _render_traceback_(self):
        return [self.message]

    @classmethod
    def unless_filled_in(cls, value, name, notebook=None):
        """Raise ``Unfinished`` if ``value`` is still the stub: ``...``, or a list, tuple or dict
        whose every entry is ``...`` (a partly filled-in answer is left to its checker)."""
        if _untouched(value):
            raise cls(name, notebook, where="value")
        return value


def _untouched(value):
    if value is Ellipsis:
        return True
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(_untouched(v) for v in value)


IMPORT_LINE = 'from gan_lesson.student_copy import Unfinished   # stops "Run All" at an exercise not done yet'


def _notebook_label(name):
    """``"05"`` for ``05_training_loop.ipynb``; the file's stem when it has no number."""
    stem = Path(str(name)).name.split(".")[0]
    head = stem.split("_")[0]
    return head if head.isdigit() else stem


def _is_stub_raise(node):
    exc = node.exc
    if isinstance(exc, ast.Call):
        exc = exc.func
    return isinstance(exc, ast.Name) and exc.id == "NotImplementedError"


def _is_ellipsis(node):
    return isinstance(node, ast.Constant) and node.value is Ellipsis


# A line the rewrite leaves blank on purpose, as a "slot": where the nbgrader course
# (gan_lesson.nbgrader_course) puts the reference solution between ``### BEGIN SOLUTION`` and
# ``### END SOLUTION``. nbgrader turns such a region back into one blank line, so its student
# version is this rewrite exactly. Slots: one after the docstring (or the ``def`` line) of each
# stubbed function defined at the top of the cell or in a class; one before the
# ``Unfinished.unless_filled_in`` lines; and the line after the import.
_SLOT = "\x00gan_lesson-slot\x00"


def _stub_edits(tree, label, lines):
    """``[(start, end, text)]``: the spans of a parsed exercise cell to replace, as (line, column)
    positions as ``ast`` gives them (1-based lines, UTF-8 byte columns); an empty ``start == end``
    span is an insertion. ``lines`` are the cell's lines (to find where a signature ends)."""
    edits = []
    book = f', notebook="{label}"' if label else ""

    def visit_function(fn, name, reachable):       # nested functions are visited on their own
        stubbed = False
        for node in _walk_own(fn):
            replace = (isinstance(node, ast.Raise) and _is_stub_raise(node)) or \
                      (isinstance(node, ast.Return) and node.value is not None and _is_ellipsis(node.value)) or \
                      (isinstance(node, ast.Expr) and _is_ellipsis(node.value) and node in fn.body)
            if replace:
                stubbed = True
                edits.append(((node.lineno, node.col_offset), (node.end_lineno, node.end_col_offset),
                              f'raise Unfinished("{name}"{book})'))
        if stubbed and reachable:
            line = _body_start(fn, lines)
            if line is not None:
                edits.append(((line, 0), (line, 0), f"{_SLOT}body\x00{name}\n"))

    def visit(node, prefix="", reachable=True):   # a method is named with its class: "Generator.forward"
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit_function(child, prefix + child.name, reachable)
                visit(child, prefix + child.name + ".", False)
            elif isinstance(child, ast.ClassDef):
                visit(child, prefix + child.name + ".", reachable)
            else:
                visit(child, prefix, False)

    visit(tree)
    answers = []                        # top-level answers: prediction = ..., answers = {"a": ..., ...}
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None \
                and any(_is_ellipsis(n) for n in ast.walk(stmt.value)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Name):
                answers.append((stmt, targets[0].id))
    if answers:                         # checked together, after a blank line, below the last answer
        after = answers[-1][0].end_lineno + 1
        checks = "".join(f'Unfinished.unless_filled_in({name}, "{name}"{book})\n' for _, name in answers)
        edits.append(((after, 0), (after, 0), f"{_SLOT}answers\x00\n" + checks))
    return edits


def _body_start(fn, lines):
    """The 1-based line where a function's body starts below its docstring (or its ``def`` line),
    or None when the body shares the ``def`` line."""
    body = fn.body
    if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[0].end_lineno + 1
    line = body[0].lineno                # comments between the signature and the body stay below the slot
    while line - 1 > fn.lineno and lines[line - 2].strip()[:1] in ("", "#"):
        line -= 1
    return line if line > fn.lineno else None


def _walk_own(fn):
    """The nodes of a function's body, not descending into nested functions or classes."""
    stack = list(fn.body)
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                stack.append(child)


def rewrite_stubs(source, notebook=None):
    """The students' version of an exercise cell's ``source``: its stubs stop "Run All" with one line.

    ``raise NotImplementedError`` (and ``return ...`` or a bare ``...`` body) in a function becomes
    ``raise Unfinished("function", notebook=...)``; top-level assignments whose value holds ``...``
    are followed, after a blank line, by ``Unfinished.unless_filled_in(name, "name", notebook=...)``;
    the import of ``Unfinished`` goes first. A stubbed function gets a blank line below its
    docstring (where the nbgrader course puts the reference body). ``notebook`` is the notebook's
    file name (its number is used). Source that is not plain Python (a magic), or has no stub,
    comes back unchanged.
    """
    return _rewrite(source, notebook)[0]


def _rewrite(source, notebook=None):
    """``(text, slots)``: ``rewrite_stubs``'s text, and its blank slot lines as
    ``[(index, kind, name)]``: the 0-based line in ``text.split("\\n")``; ``kind`` is ``"body"``
    (``name`` is the function, "Class.method" for a method), ``"answers"`` (before the
    ``unless_filled_in`` lines) or ``"top"`` (below the import). No stub: ``(source, [])``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source, []
    label = _notebook_label(notebook) if notebook else None
    lines = source.splitlines(keepends=True)
    edits = _stub_edits(tree, label, [line.rstrip("\r\n") for line in lines])
    if not edits:
        return source, []
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"

    def offset(line, col):
        """Character offset in the joined text of (1-based line, UTF-8 byte column)."""
        before = sum(len(x) for x in lines[:line - 1])
        if line - 1 >= len(lines):
            return before
        return before + len(lines[line - 1].encode("utf-8")[:col].decode("utf-8", errors="replace"))

    text = "".join(lines)
    for start, end, new in sorted(edits, key=lambda e: offset(*e[0]), reverse=True):
        a, b = offset(*start), offset(*end)
        text = text[:a] + new + text[b:]
    out, slots = [IMPORT_LINE, ""], [(1, "top", "")]
    for line in text.rstrip("\n").split("\n"):
        if line.startswith(_SLOT):
            kind, name = line[len(_SLOT):].split("\x00")
            slots.append((len(out), kind, name))
            line = ""
        out.append(line)
    return "\n".join(out), slots


def strip_solutions(nb, notebook=None):
    """Return ``(notebook, removed)``: a notebook dict without solution cells, and how many went.

    The stubs of cells tagged ``exercise`` are rewritten (``rewrite_stubs``) so that "Run All"
    stops at the first exercise not done; ``notebook`` (the file name) goes into their message.
    """
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
        if "exercise" in tags and cell.get("cell_type") == "code":
            source = _text(cell.get("source", ""))
            rewritten = rewrite_stubs(source, notebook)
            if rewritten != source:
                cell = dict(cell, source=rewritten, outputs=[], execution_count=None)
        cells.append(cell)
    return dict(nb, cells=cells), removed


# ---------------------------------------------------------------------------------------------
# Recognising notebooks: solutions, removed-solution notes, the marker, edits.

def _tags(cell):
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    tags = meta.get("tags") if isinstance(meta, dict) else None
    return tags if isinstance(tags, list) else []


KNOWN_TAGS = ("solution", "solution-check", "solution-removed")


def _near(tag):
    """The known solution tag (folded: "solution" or "solutioncheck") that ``tag`` is a slip of, if any:
    the same but for case, separators, a plural, or up to two letters typed wrong (``soluton``)."""
    folded = "".join(ch for ch in tag.lower() if ch.isalnum())
    for known in ("solution", "solutioncheck"):
        for candidate in (folded, folded[:-1] if folded.endswith("s") else folded):
            if _edits(candidate, known) <= 2:
                return known
    return folded


def _edits(a, b):
    """How many letters must be inserted, deleted, changed or swapped to turn ``a`` into ``b``."""
    rows = [list(range(len(b) + 1))]
    for i, x in enumerate(a, 1):
        row = [i]
        for j, y in enumerate(b, 1):
            best = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                best = min(best, rows[-2][j - 2] + 1)
            row.append(best)
        rows.append(row)
    return rows[-1][-1]


def _misspelt_tags(parsed):
    """``["NAME cell N (tag 'Solution')", ...]``: tags in ``{name: (raw, notebook)}`` that look like
    'solution' or 'solution-check' but are not spelt so."""
    return [f"{name} cell {i + 1} (tag {tag!r})" for name, (_, nb) in parsed.items()
            for i, cell in enumerate(nb.get("cells", [])) for tag in _tags(cell)
            if isinstance(tag, str) and tag not in KNOWN_TAGS and _near(tag) in ("solution", "solutioncheck")]


def _count_tag(nb, tag):
    return sum(tag in _tags(cell) for cell in nb.get("cells", []))


def _marker(nb):
    """The students'-copy marker of a notebook dict, or None."""
    meta = nb.get("metadata")
    ours = meta.get("gan_lesson") if isinstance(meta, dict) else None
    mark = ours.get(MARKER) if isinstance(ours, dict) else None
    return mark if isinstance(mark, dict) else None


def _text(value):
    return "".join(value) if isinstance(value, list) else value


def _outputs(outputs):
    """Outputs as Jupyter shows them: multi-line strings joined, consecutive streams merged."""
    merged = []
    for out in outputs if isinstance(outputs, list) else [outputs]:
        if not isinstance(out, dict):
            merged.append(out)
            continue
        kind = out.get("output_type")
        if kind == "stream":
            text = _text(out.get("text", ""))
            if merged and isinstance(merged[-1], dict) and merged[-1].get("output_type") == "stream" \
                    and merged[-1].get("name") == out.get("name"):
                merged[-1]["text"] += text
            else:
                merged.append({"output_type": "stream", "name": out.get("name"), "text": text})
        elif kind in ("display_data", "execute_result"):
            data = out.get("data", {})
            data = {k: _text(v) for k, v in data.items()} if isinstance(data, dict) else data
            merged.append({"output_type": kind, "data": data})
        elif kind == "error":
            merged.append({"output_type": kind, "ename": out.get("ename"), "evalue": out.get("evalue"),
                           "traceback": out.get("traceback")})
        else:
            merged.append(out)
    return merged


def cells_hash(cells):
    """A hash of what a student can change: each cell's type, source, attachments and outputs.

    Multi-line strings are joined and consecutive streams merged, so Jupyter saving a notebook
    it did not change (other line splitting, key order, indentation, cell metadata) is no edit.
    """
    canon = []
    for cell in cells if isinstance(cells, list) else [cells]:
        if not isinstance(cell, dict):
            canon.append(cell)
            continue
        item = {"cell_type": cell.get("cell_type"), "source": _text(cell.get("source", ""))}
        if cell.get("attachments"):
            item["attachments"] = cell["attachments"]
        if cell.get("cell_type") == "code":
            item["outputs"] = _outputs(cell.get("outputs", []))
        canon.append(item)
    blob = json.dumps(canon, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _edited(nb, expected_source):
    """Whether a notebook the copy wrote (it has the marker) was changed since."""
    mark = _marker(nb)
    return mark.get("source") != expected_source or mark.get("cells_sha256") != cells_hash(nb.get("cells"))


def _students_notebook(nb, name, raw):
    """The students' version of a source notebook, with its marker, and its text as written."""
    copy, removed = strip_solutions(nb, name)
    meta = dict(copy.get("metadata") or {})
    ours = dict(meta.get("gan_lesson") or {})
    ours[MARKER] = {"source": name,
                    "source_sha256": hashlib.sha256(raw).hexdigest(),
                    "cells_sha256": cells_hash(copy["cells"]),
                    "solutions_removed": removed,
                    "written_by": f"{COMMAND}; a student's edits are never overwritten"}
    meta["gan_lesson"] = ours
    copy["metadata"] = meta
    return copy, removed, json.dumps(copy, indent=1, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------
# Reading and checking, before anything is written.

def _read_notebook(path):
    """``(raw bytes, notebook dict, None)`` or ``(None, None, what is wrong)``."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, None, f"cannot be read ({exc.strerror or exc})"
    try:
        nb = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return raw, None, f"is not UTF-8 text (byte {exc.start})"
    except json.JSONDecodeError as exc:
        return raw, None, f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return raw, None, "is not a notebook: it has no list of cells"
    bad = [i for i, cell in enumerate(nb["cells"], 1) if not isinstance(cell, dict)]
    if bad:
        return raw, None, f"is not a notebook: cell {bad[0]} is not a JSON object"
    return raw, nb, None


def _check_destination_path(destination):
    """Refuse a destination that is a file, sits under a file, or cannot be written."""
    if destination.exists() and not destination.is_dir():
        raise StudentCopyError(
            f"destination {str(destination)!r} is an existing file, not a folder. The copies go into a "
            f"folder: give a folder name (a new one is created), for example: {COMMAND} notebooks student")
    existing = destination
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise StudentCopyError(
            f"destination {str(destination)!r} cannot be created: {str(existing)!r} is a file, not a folder. "
            f"Choose a destination folder elsewhere, for example: {COMMAND} notebooks student")
    if not os.access(existing, os.W_OK | os.X_OK):
        what = "folder" if existing == destination else f"folder {str(existing)!r}, where it would be created,"
        raise StudentCopyError(
            f"destination {str(destination)!r} cannot be written: the {what} is not writable by you. "
            f"Choose a folder you can write to, or ask its owner for write access.")


def _plural(items, limit=6):
    names = [str(i) for i in items]
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def make_student_copy(source, destination):
    """Write solution-free copies of every notebook in ``source`` to ``destination``.

    Returns a list of :class:`Copied`, one per source notebook. Raises :class:`StudentCopyError`
    (nothing written) when a source notebook is broken, the source looks like a students' copy,
    or the destination is a file, unwritable, or holds notebooks with solutions or notebooks this
    copy did not write.
    """
    source, destination = Path(source), Path(destination)
    if not source.is_dir():
        raise SourceNotFound(
            f"source must be a folder of notebooks; {str(source)!r} is not a folder. "
            f"Give the folder of notebooks with solutions first: {USAGE}")
    if destination.resolve() == source.resolve():
        raise StudentCopyError(
            f"destination must differ from source (both are {str(source)!r}); the copy must not overwrite "
            f"the originals. Give another folder for the students' copy: {USAGE}")
    books = sorted(source.glob("*.ipynb"))
    if not books:
        raise SourceNotFound(f"no notebooks (*.ipynb) in {str(source)!r}. Give the folder of notebooks "
                             f"with solutions first: {USAGE}")
    _check_destination_path(destination)

    # 1. every source notebook, read and checked before anything is written
    parsed, broken = {}, []
    for path in books:
        raw, nb, problem = _read_notebook(path)
        if problem:
            broken.append(f"{path} {problem}")
        else:
            parsed[path.name] = (raw, nb)
    if broken:
        raise StudentCopyError(
            ("source notebook " if len(broken) == 1 else "source notebooks: ")
            + "; ".join(broken) + ". Nothing was written. Fix or restore "
            + ("that notebook (for example with `git checkout -- FILE`, or open it" if len(broken) == 1
               else "these notebooks (for example with `git checkout -- FILE`, or open them")
            + " in a text editor) and run the copy again.")

    # 1b. a solution whose tag is misspelt would reach the students: refuse, naming the cell
    misspelt = _misspelt_tags(parsed)
    if misspelt:
        raise StudentCopyError(
            f"source {str(source)!r} has cells whose tag looks like 'solution' or 'solution-check' but is not "
            f"spelt so: {_plural(misspelt)}. Such a cell would be copied to the students with its solution. "
            "Nothing was written. Correct the tag (JupyterLab: the property inspector, gear icon on the right) "
            "and run the copy again.")

    # what the destination already holds (only read here)
    present = {}
    if destination.is_dir():
        for path in sorted(destination.glob("*.ipynb")):
            _, nb, problem = _read_notebook(path)
            present[path.name] = (nb, problem)
    with_solutions = [n for n, (nb, _) in present.items() if nb is not None and _count_tag(nb, "solution")]
    swapped = f"{COMMAND} {_quote(destination)} {_quote(source)}"

    # 2. a source that is itself a students' copy: the arguments are probably swapped
    copies = {name for name, (_, nb) in parsed.items() if _marker(nb) is not None}
    noted = {name for name, (_, nb) in parsed.items()
             if _count_tag(nb, "solution-removed") and not _count_tag(nb, "solution")}
    if copies or noted:
        why = []
        if copies:
            why.append(f"{_plural(sorted(copies))} carry the students'-copy marker (this command wrote them)")
        if noted - copies:
            why.append(f"{_plural(sorted(noted - copies))} have removed-solution notes and no solutions")
        raise StudentCopyError(
            f"source {str(source)!r} looks like a students' copy, not the notebooks with solutions: "
            + "; ".join(why) + ". The arguments are probably swapped. Nothing was written. The right order "
            "is the folder with solutions first, then the students' folder: "
            + (swapped if with_solutions else USAGE))

    # 3. a destination holding solutions, or notebooks this command did not write
    if with_solutions:
        raise StudentCopyError(
            f"destination {str(destination)!r} holds notebooks with solutions (cells tagged 'solution'): "
            f"{_plural(with_solutions)}. That is a folder of originals; the students' copy would replace "
            f"them. Nothing was written. Give a separate folder for the students' copy, for example: "
            f"{COMMAND} {_quote(source)} student")
    foreign = [f"{n} ({problem})" if problem else n for n, (nb, problem) in present.items()
               if problem or _marker(nb) is None]
    if foreign:
        raise StudentCopyError(
            f"destination {str(destination)!r} holds notebooks this command did not write (they have no "
            f"students'-copy marker): {_plural(foreign)}. The copy writes only into a new folder or into "
            "its own earlier copy, so nobody's notebook is lost. Nothing was written. Move those notebooks "
            f"out of {str(destination)!r}, or give a new folder: {COMMAND} {_quote(source)} student. "
            "(A copy made by an older gan_lesson has no marker: move that folder away and copy again.)")

    # 4. the plan, one notebook at a time; refusals above and below come before any write
    plan, blocked = [], []
    for path in books:
        raw, nb = parsed[path.name]
        copy, removed, text = _students_notebook(nb, path.name, raw)
        target = destination / path.name
        if path.name not in present:
            plan.append((Copied(path.name, removed, "written", "written", target), text))
            continue
        old = present[path.name][0]
        if not _edited(old, path.name):
            if target.read_text(encoding="utf-8") == text:
                plan.append((Copied(path.name, removed, "unchanged", "unchanged"), None))
            else:
                plan.append((Copied(path.name, removed, "refreshed",
                                    "refreshed (the earlier copy had not been edited)", target), text))
            continue
        # a student edited the earlier copy: keep it; the new version, if any, goes beside it
        if _marker(old).get("cells_sha256") == _marker(copy)["cells_sha256"]:
            plan.append((Copied(path.name, removed, "kept",
                                "kept your edited copy (the students' version has not changed since, "
                                "so there is no new version to write)"), None))
            continue
        beside = target.with_name(target.name[:-len(".ipynb")] + ".new.ipynb")
        if beside.name in present:
            earlier = present[beside.name][0]
            if _edited(earlier, path.name):
                blocked.append(beside)
                continue
            if beside.read_text(encoding="utf-8") == text:
                plan.append((Copied(path.name, removed, "kept",
                                    f"kept your edited copy (the new version beside it, {beside.name}, "
                                    "is unchanged)"), None))
                continue
        plan.append((Copied(path.name, removed, "kept",
                            f"kept your edited copy (new version written beside it as {beside.name})",
                            beside), text))
    if blocked:
        raise StudentCopyError(
            f"{_plural(blocked)}: an earlier new version written beside an edited notebook has been edited "
            "too, and the copy needs that name for the newest version. Nothing was written. Rename "
            + ("it" if len(blocked) == 1 else "them") + " (for example to NAME.mine.ipynb) and run the copy again.")

    # 5. write; each file is replaced in one step, so a failure never leaves half a notebook
    destination.mkdir(parents=True, exist_ok=True)
    done = []
    for copied, text in plan:
        if copied.written is not None:
            try:
                _write_atomically(copied.written, text)
            except OSError as exc:
                raise StudentCopyError(
                    f"could not write {str(copied.written)!r} ({exc.strerror or exc}). "
                    + (f"Already written: {_plural([c.name for c in done])}. " if done else "Nothing was written. ")
                    + "Free some space or fix the folder's permissions and run the copy again; "
                    "it refreshes what it wrote.") from None
            done.append(copied)
    return [copied for copied, _ in plan]


def _quote(path):
    text = str(path)
    return text if text and all(ch.isalnum() or ch in "/._-~+" for ch in text) else repr(text)


def _write_atomically(path, text):
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Copy the notebooks without their solutions. Never overwrites the originals or a "
                    "student's edited notebook.")
    ap.add_argument("source", nargs="?", default="notebooks",
                    help="folder of notebooks with solutions (default: notebooks)")
    ap.add_argument("destination", nargs="?", default="student",
                    help="folder for the students' copy, new or an earlier copy (default: student)")
    args = ap.parse_args(argv)
    try:
        report = make_student_copy(args.source, args.destination)
    except StudentCopyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:                      # anything the checks above did not foresee
        where = f" {exc.filename!r}" if exc.filename else ""
        print(f"error:{where} {exc.strerror or exc}. Nothing more was written; check that path "
              "(it must be readable, and the destination writable) and run the copy again.", file=sys.stderr)
        return 2
    for copied in report:
        print(copied.line())
    counts = {}
    for copied in report:
        counts[copied.status] = counts.get(copied.status, 0) + 1
    words = {"written": "written", "refreshed": "refreshed", "unchanged": "unchanged",
             "kept": "kept (edited by a student)"}
    summary = ", ".join(f"{counts[s]} {words[s]}" for s in words if s in counts)
    print(f"{len(report)} notebooks in {args.destination.rstrip('/')}/: {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
