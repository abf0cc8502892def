"""Make an nbgrader course from the notebooks: one assignment per notebook, built from our own tags.

    python -m gan_lesson.nbgrader_course notebooks course

writes ``course/nbgrader_config.py`` and ``course/source/NN_name/NN_name.ipynb`` for every notebook
in ``notebooks/`` (which is only read). The cell tags are the one source of truth:

* every markdown cell becomes read-only (nbgrader ``locked``);
* an ``exercise`` cell becomes a solution cell: its source is the students' copy's exercise cell
  (``gan_lesson.student_copy``), with the reference solution (the ``solution`` cell that follows
  it) between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` on the blank lines that copy leaves
  for it: a function's body below its docstring, and answers (``x = ...``) above the
  ``Unfinished.unless_filled_in`` lines. nbgrader is configured to replace a region by nothing,
  so ``nbgrader generate_assignment`` gives students exactly the students' copy's cell;
* a ``solution`` cell becomes the students' copy's note that the solution is not included;
* a ``solution-check`` cell becomes an autograded test worth one point. The checkers print their
  verdict (✓, ✗ or …) and do not raise, so the cell runs the check inside ``with graded_check():``,
  which raises ``CheckFailed`` with the checker's diagnosis unless it printed ✓;
* every other cell, outputs included, is the students' copy's cell.

An exercise without a ``solution-check`` cell has its solution region but no points; the command
names it. ``nbgrader_config.py`` sets the course root to its own folder, empty solution stubs,
released notebooks that keep their outputs (as the students' copy does), and a cell time limit
of 300 s for autograding.

The command never destroys work. It writes into a new or empty folder, or into a course folder it
wrote before (its ``nbgrader_config.py`` starts with a marker line); any other non-empty folder
is refused. In its own folder it touches only ``nbgrader_config.py`` (kept as it is once edited)
and the notebooks under ``source/`` that it wrote, refreshing those not edited since; a source
notebook edited since (its cells, outputs or nbgrader metadata) is reported and nothing is
written. ``release/``, ``submitted/``, ``autograded/``, ``feedback/`` and the gradebook are
nbgrader's and never touched. Every error exits with code 2 and writes nothing.
"""
import argparse
import ast
import contextlib
import hashlib
import io
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from gan_lesson import student_copy as copying

__all__ = ["graded_check", "CheckFailed", "make_course", "course_notebook", "CourseError", "Assignment",
           "CONFIG_MARKER", "GRADED_HEAD"]

COMMAND = "python -m gan_lesson.nbgrader_course"
USAGE = f"{COMMAND} NOTEBOOKS COURSE_FOLDER   (for example: {COMMAND} notebooks course)"
MARKER = "nbgrader_course"          # metadata["gan_lesson"]["nbgrader_course"] in every notebook written
CONFIG_MARKER = "# gan_lesson.nbgrader_course"
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
POINTS = 1                          # per graded check
GRADED_HEAD = ("from gan_lesson.nbgrader_course import graded_check"
               "   # this graded cell fails unless the check prints ✓\n"
               "with graded_check():\n")

CONFIG_BODY = '''import os

c = get_config()  # noqa: F821  (nbgrader defines get_config)

# this folder is the course: source/, release/, submitted/, autograded/, feedback/, gradebook.db
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# a solution region becomes one blank line, so the student version of every exercise cell is
# exactly what `python -m gan_lesson.student_copy` writes
c.ClearSolutions.code_stub = {"python": ""}

# released notebooks keep their outputs (figures, printed numbers), as the students' copy does;
# autograding runs every cell again anyway
c.ClearOutput.enabled = False

# autograding runs whole notebooks; the longest cells train a GAN for up to a minute
c.Execute.timeout = 300
'''


# ---------------------------------------------------------------------------------------------
# The graded cell: the checker prints its verdict, graded_check turns a ✗ into a failed cell.

class CheckFailed(AssertionError):
    """A graded check did not print ✓; the message is the checker's diagnosis.

    An ``AssertionError``, so nbgrader scores the cell 0; shown in the notebook as one line, the
    message, without a traceback (the checker's printed message is right above it).
    """

    def _render_traceback_(self):
        return [f"{type(self).__name__}: {self}"]


class _Tee:
    """Writes to a stream and keeps a copy of the text."""

    def __init__(self, stream):
        self.stream, self.kept = stream, io.StringIO()

    def write(self, text):
        self.kept.write(text)
        return self.stream.write(text)

    def flush(self):
        self.stream.flush()

    def __getattr__(self, name):            # encoding, isatty, ... of the stream
        return getattr(self.stream, name)


def _failure(printed):
    """The diagnosis in a checker's printed text, or None when it says ✓ and nothing failed."""
    lines = printed.splitlines()
    bad = [i for i, line in enumerate(lines) if line.startswith(("✗", "…"))]
    if bad:
        return "\n".join(lines[bad[0]:]).strip()
    if any(line.startswith("✓") for line in lines):
        return None
    said = printed.strip()
    return ("the checker printed no verdict (a line starting with ✓, ✗ or …)"
            + (f"; it printed: {said}" if said else ""))


@contextlib.contextmanager
def graded_check():
    """Run a checker call as an autograded test: raise ``CheckFailed`` unless it printed ✓.

    The checker's message is printed as usual. Anything written to stderr inside the block (a
    warning from the student's code) is shown on stdout instead, since nbgrader scores a test
    cell that writes to stderr 0. An error raised by the code in the block goes through unchanged.

        with graded_check():
            check_mixture_sampler(mixture_sampler);
    """
    tee = _Tee(sys.stdout)
    with contextlib.redirect_stdout(tee), contextlib.redirect_stderr(tee):
        yield
    problem = _failure(tee.kept.getvalue())
    if problem is not None:
        raise CheckFailed(f"this graded check did not pass: {problem}")


# ---------------------------------------------------------------------------------------------
# One notebook: the course's source version.

class CourseError(ValueError):
    """The course was refused; the message names the argument or file, the value and what to do."""


@dataclass
class Assignment:
    """What was made of one notebook: its assignment name, exercises and graded checks."""
    name: str                                   # the notebook's file name
    exercises: list = field(default_factory=list)   # grade ids of the solution cells
    graded: list = field(default_factory=list)      # grade ids of the autograded tests
    ungraded: list = field(default_factory=list)    # exercises without a solution-check cell
    status: str = ""
    detail: str = ""

    @property
    def assignment(self):
        return Path(self.name).stem

    def line(self):
        points = len(self.graded) * POINTS
        text = (f"{self.assignment}: {len(self.exercises)} exercise(s), {len(self.graded)} graded check(s) "
                f"({points} point{'s' if points != 1 else ''})")
        if self.ungraded:
            text += f", not graded (no solution-check cell): {', '.join(self.ungraded)}"
        return f"{text}; {self.detail}"


def _nbgrader(kind, grade_id):
    meta = {"grade": kind == "test", "grade_id": grade_id, "locked": kind != "solution",
            "schema_version": 3, "solution": kind == "solution"}
    if kind == "test":
        meta["points"] = POINTS
    return meta


def _text(value):
    return "".join(value) if isinstance(value, list) else (value or "")


def _defs(tree):
    """``{qualified name: def node}`` for functions at the top of a module or in its classes."""
    found = {}

    def visit(body, prefix):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found[prefix + node.name] = node
            elif isinstance(node, ast.ClassDef):
                visit(node.body, prefix + node.name + ".")
    visit(tree.body, "")
    return found


def _header(fn):
    return (type(fn).__name__, ast.dump(fn.args), ast.dump(fn.returns) if fn.returns else None,
            [ast.dump(d) for d in fn.decorator_list])


def _bound(statements):
    """Names a list of top-level statements binds (not looking inside functions or classes)."""
    names = set()
    for stmt in statements:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(stmt.name)
            continue
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in stmt.names)
            continue
        stack = [stmt]
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            for child in ast.iter_child_nodes(node):
                if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                    stack.append(child)
    return names


def _answers(tree):
    """The names of the top-level answers of a stub (``x = ...``), in order."""
    names = []
    for stmt in tree.body:
        if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None \
                and any(copying._is_ellipsis(n) for n in ast.walk(stmt.value)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if len(targets) == 1 and isinstance(targets[0], ast.Name):
                names.append(targets[0].id)
    return names


def _trim(lines):
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def clear_regions(source):
    """What ``nbgrader generate_assignment`` makes of a cell with this config: each region from a
    ``BEGIN SOLUTION`` line to its ``END SOLUTION`` line becomes one line holding the indentation
    of the ``BEGIN`` line."""
    out, inside = [], False
    for line in source.split("\n"):
        if "BEGIN SOLUTION" in line:
            inside = True
            out.append(line[:len(line) - len(line.lstrip())])
        elif "END SOLUTION" in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def _fill(stub, text, slots, solution, where):
    """The instructor's exercise cell: ``text`` (the students' copy of the exercise ``stub``) with
    the reference ``solution`` in its slots. Returns ``(source, names, problems)``."""
    problems = []
    s_tree, t_tree = ast.parse(stub), None
    try:
        t_tree = ast.parse(solution)
    except SyntaxError as exc:
        return None, [], [f"{where['solution']}: the solution is not plain Python (line {exc.lineno}: {exc.msg})"]
    t_lines = solution.split("\n")
    s_defs, t_defs = _defs(s_tree), _defs(t_tree)
    answers = _answers(s_tree)
    regions, used = {}, set()
    names = [name for _, kind, name in slots if kind == "body"] + answers
    stubbed = {name for _, kind, name in slots if kind == "body"}
    for index, kind, name in slots:
        if kind != "body":
            continue
        t_fn, s_fn = t_defs.get(name), s_defs[name]
        if t_fn is None:
            problems.append(f"{where['solution']} does not define {name}, the function {where['exercise']} asks for")
            continue
        if _header(t_fn) != _header(s_fn):
            problems.append(f"{name} has another signature in {where['solution']} than in {where['exercise']}: "
                            f"def {name.split('.')[-1]}({ast.unparse(t_fn.args)}) against "
                            f"def {name.split('.')[-1]}({ast.unparse(s_fn.args)}); give both the same")
            continue
        start = copying._body_start(t_fn, t_lines)
        if start is None:
            problems.append(f"{where['solution']}: the body of {name} is on its def line; put it on lines of its own")
            continue
        body = _trim(t_lines[start - 1:t_fn.end_lineno])
        s_indent = s_fn.body[-1].col_offset
        t_indent = t_fn.body[-1].col_offset
        if s_indent != t_indent:
            problems.append(f"the body of {name} is indented by {t_indent} spaces in {where['solution']} and by "
                            f"{s_indent} in {where['exercise']}; indent both alike")
            continue
        if not isinstance(t_fn.body[-1], (ast.Return, ast.Raise)):
            body.append(" " * s_indent + "return")      # the stub's `raise Unfinished` below is never reached
        regions[index] = body
        used.add(name.split(".")[0])
    # classes whose methods were filled in must otherwise be the stub's
    s_top = {n.name: n for n in s_tree.body if isinstance(n, ast.ClassDef)}
    for node in t_tree.body:
        if isinstance(node, ast.ClassDef) and node.name in used:
            def rest_of(cls):
                return [ast.dump(m) for m in cls.body
                        if not (isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))
                                and f"{cls.name}.{m.name}" in stubbed)]
            if node.name not in s_top or rest_of(node) != rest_of(s_top[node.name]) \
                    or [ast.dump(b) for b in node.bases] != [ast.dump(b) for b in s_top[node.name].bases]:
                problems.append(f"class {node.name} in {where['solution']} differs from {where['exercise']}'s beyond "
                                "the bodies of its stubbed methods; keep the rest of the class the same")
    # the rest of the solution: helpers, imports, answers
    rest = [n for n in t_tree.body if not (isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                                           and n.name in used)]
    if rest:
        skip = set()
        for node in t_tree.body:
            if node not in rest:
                first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
                skip.update(range(first, node.end_lineno + 1))
        lines = _trim([line for i, line in enumerate(t_lines, 1) if i not in skip])
        answer_slot = [index for index, kind, _ in slots if kind == "answers"]
        if answer_slot:
            regions[answer_slot[0]] = lines
        else:
            clash = sorted(_bound(rest) & _bound(s_tree.body))
            if clash:
                problems.append(f"{where['solution']} sets {', '.join(clash)} outside the exercise's functions, and "
                                f"{where['exercise']} sets {'it' if len(clash) == 1 else 'them'} too; the solution "
                                "would be overwritten by the stub")
            regions[1] = lines                              # the blank line below the import
    missing = [a for a in answers if a not in _bound(rest)]
    if missing:
        problems.append(f"{where['solution']} does not set {', '.join(missing)}, "
                        f"the answer {where['exercise']} asks for")
    if problems:
        return None, names, problems
    lines = text.split("\n")
    for index in sorted(regions, reverse=True):
        region = regions[index]
        if any("BEGIN SOLUTION" in line or "END SOLUTION" in line for line in region):
            problems.append(f"{where['solution']} holds a line with BEGIN SOLUTION or END SOLUTION; remove it")
        lines[index:index + 1] = [BEGIN, *region, END]
    source = "\n".join(lines)
    try:
        ast.parse(source)
    except SyntaxError as exc:                              # not expected: a bug here, not in the notebook
        problems.append(f"{where['exercise']}: the cell with its solution is not valid Python "
                        f"(line {exc.lineno}: {exc.msg})")
    if clear_regions(source) != text:
        problems.append(f"{where['exercise']}: the student version would differ from the students' copy")
    return source, names, problems


def _grade_id(prefix, names, taken):
    base = prefix + "-" + ("-".join(n.replace(".", "_") for n in names) or "cell")
    grade_id, k = base, 2
    while grade_id in taken:
        grade_id, k = f"{base}-{k}", k + 1
    taken.add(grade_id)
    return grade_id


def course_notebook(nb, name):
    """``(notebook, Assignment, problems)``: the course's source version of a notebook dict ``nb``
    (file name ``name``), what it holds, and what stops it (a list of sentences; empty when fine)."""
    copy, _ = copying.strip_solutions(nb, name)
    cells = [dict(cell) for cell in copy["cells"]]
    made, problems, taken = Assignment(name), [], set()
    pending = None              # the stubbed exercise waiting for its solution: (index, text, slots)
    solved = None               # (names, grade id) of the exercise whose solution came last
    checked = set()             # grade ids of the exercises with a graded check

    def cell_name(i):
        return f"{name} cell {i + 1}"

    for i, cell in enumerate(nb["cells"]):
        tags = copying._tags(cell)
        meta = dict(cells[i].get("metadata") or {})
        code = cell.get("cell_type") == "code"
        if "exercise" in tags and code:
            if pending is not None:
                problems.append(f"{cell_name(pending[0])} (tag 'exercise') has no solution cell before the next "
                                f"exercise, {cell_name(i)}")
            text, slots = copying._rewrite(_text(cell.get("source")), name)
            pending = (i, text, slots) if slots else None       # no stub (an open challenge): a plain cell
        elif "solution" in tags:
            if not code:
                problems.append(f"{cell_name(i)} (tag 'solution') is {cell.get('cell_type')}; solutions are code "
                                "cells that fill an exercise's stub")
            elif pending is None:
                problems.append(f"{cell_name(i)} (tag 'solution') follows no exercise cell with a stub (raise "
                                "NotImplementedError, or ...) for it to fill")
            else:
                index, text, slots = pending
                where = {"exercise": cell_name(index), "solution": cell_name(i)}
                source, names, found = _fill(_text(nb["cells"][index].get("source")), text, slots,
                                             _text(cell.get("source")), where)
                problems.extend(found)
                if source is not None:
                    grade_id = _grade_id("exercise", names, taken)
                    ex_meta = dict(cells[index].get("metadata") or {})
                    ex_meta["nbgrader"] = _nbgrader("solution", grade_id)
                    cells[index] = dict(cells[index], source=source, metadata=ex_meta, outputs=[],
                                        execution_count=None)
                    made.exercises.append(grade_id)
                    solved = (names, grade_id)
                pending = None
        elif "solution-check" in tags and code:
            original = _text(cell.get("source"))
            try:
                ast.parse(original)
            except SyntaxError as exc:
                problems.append(f"{cell_name(i)} (tag 'solution-check') is not plain Python (line {exc.lineno}: "
                                f"{exc.msg}); it cannot be wrapped as a graded test")
                continue
            if solved is None:
                problems.append(f"{cell_name(i)} (tag 'solution-check') follows no solution cell")
                continue
            body = "\n".join("    " + line if line.strip() else "" for line in original.split("\n"))
            grade_id = _grade_id("check", solved[0], taken)
            meta["nbgrader"] = _nbgrader("test", grade_id)
            cells[i] = dict(cells[i], source=GRADED_HEAD + body, metadata=meta, outputs=[], execution_count=None)
            made.graded.append(grade_id)
            checked.add(solved[1])
        if cells[i].get("cell_type") == "markdown":
            meta["nbgrader"] = _nbgrader("text", _grade_id("text", [str(cells[i].get("id") or i)], taken))
            cells[i] = dict(cells[i], metadata=meta)
    if pending is not None:
        problems.append(f"{cell_name(pending[0])} (tag 'exercise') has no solution cell after it")
    made.ungraded = [g[len("exercise-"):] for g in made.exercises if g not in checked]
    out = dict(copy, cells=cells)
    return out, made, problems


# ---------------------------------------------------------------------------------------------
# The course folder.

def _cells_sha256(cells):
    """A hash of the cells (``student_copy.cells_hash``) and their nbgrader settings; what nbgrader's
    own tools may add without an edit (the cell type, a checksum) is left out."""
    nbgrader = [{k: v for k, v in ((cell.get("metadata") or {}).get("nbgrader") or {}).items()
                 if k not in ("cell_type", "checksum")} for cell in cells]
    blob = copying.cells_hash(cells) + json.dumps(nbgrader, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _config_text():
    digest = hashlib.sha256(CONFIG_BODY.encode("utf-8")).hexdigest()
    return (f"{CONFIG_MARKER} sha256={digest}: written by {COMMAND}; it rewrites this file "
            f"only while it is unedited\n{CONFIG_BODY}")


def _config_state(path):
    """``None`` (absent), ``"foreign"``, ``"ours"`` (unedited) or ``"edited"``."""
    if not path.exists():
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return "foreign"
    first, _, body = text.partition("\n")
    if not first.startswith(CONFIG_MARKER + " sha256="):
        return "foreign"
    digest = first[len(CONFIG_MARKER + " sha256="):].split(":")[0]
    return "ours" if hashlib.sha256(body.encode("utf-8")).hexdigest() == digest else "edited"


def _marker(nb):
    meta = nb.get("metadata")
    ours = meta.get("gan_lesson") if isinstance(meta, dict) else None
    mark = ours.get(MARKER) if isinstance(ours, dict) else None
    return mark if isinstance(mark, dict) else None


def _course_text(nb, name, raw):
    meta = dict(nb.get("metadata") or {})
    ours = dict(meta.get("gan_lesson") or {})
    ours.pop(copying.MARKER, None)
    ours[MARKER] = {"source": name, "source_sha256": hashlib.sha256(raw).hexdigest(),
                    "cells_sha256": _cells_sha256(nb["cells"]),
                    "written_by": f"{COMMAND}; a notebook edited here is never overwritten"}
    meta["gan_lesson"] = ours
    return json.dumps(dict(nb, metadata=meta), indent=1, ensure_ascii=False) + "\n"


def _check_folders(source, course):
    if not source.is_dir():
        what = "does not exist" if not source.exists() else "is a file"
        raise CourseError(f"NOTEBOOKS {str(source)!r} {what}; it must be the folder of notebooks with solutions. "
                          f"Usage: {USAGE}")
    if course.exists() and not course.is_dir():
        raise CourseError(f"COURSE_FOLDER {str(course)!r} is an existing file; it must be a folder: a new one, an "
                          f"empty one, or a course folder this command wrote. Usage: {USAGE}")
    src, dst = source.resolve(), course.resolve()
    if dst == src or src in dst.parents:
        raise CourseError(f"COURSE_FOLDER {str(course)!r} is {'' if dst == src else 'inside '}the NOTEBOOKS folder "
                          f"{str(source)!r}; the course goes elsewhere, so the notebooks stay as they are. "
                          f"For example: {COMMAND} {copying._quote(source)} course")
    existing = course
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise CourseError(f"COURSE_FOLDER {str(course)!r} cannot be created: {str(existing)!r} is a file. "
                          f"Choose a folder elsewhere. Usage: {USAGE}")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise CourseError(f"COURSE_FOLDER {str(course)!r} cannot be written: {str(existing)!r} is not writable "
                          "by you. Choose a folder you can write to.")


def make_course(source, course):
    """Write the nbgrader course for every notebook in ``source`` into ``course``.

    Returns a list of :class:`Assignment`, one per notebook, with ``status`` written, refreshed or
    unchanged. Raises :class:`CourseError` (nothing written) for a missing or broken source, a
    source that is a students' copy or a course, a notebook whose tags cannot be turned into an
    assignment, a course folder this command did not write, or a source notebook in it edited
    since it was written.
    """
    source, course = Path(source), Path(course)
    _check_folders(source, course)
    books = sorted(source.glob("*.ipynb"))
    if not books:
        raise CourseError(f"NOTEBOOKS {str(source)!r} holds no notebooks (*.ipynb); it must be the folder of "
                          f"notebooks with solutions. Usage: {USAGE}")

    parsed, broken = {}, []
    for path in books:
        raw, nb, problem = copying._read_notebook(path)
        if problem:
            broken.append(f"{path} {problem}")
        else:
            parsed[path.name] = (raw, nb)
    if broken:
        raise CourseError("; ".join(broken) + ". Nothing was written. Fix or restore the notebook and run again.")
    misspelt = copying._misspelt_tags(parsed)
    if misspelt:
        raise CourseError(f"NOTEBOOKS {str(source)!r} has cells whose tag looks like 'solution' or 'solution-check' "
                          f"but is not spelt so: {copying._plural(misspelt)}. Nothing was written. Correct the tag "
                          "and run again.")
    copies = [n for n, (_, nb) in parsed.items() if copying._marker(nb) is not None or
              (copying._count_tag(nb, "solution-removed") and not copying._count_tag(nb, "solution"))]
    ours = [n for n, (_, nb) in parsed.items() if _marker(nb) is not None]
    if copies or ours:
        what = "a course's source folder this command wrote" if ours else "a students' copy"
        raise CourseError(f"NOTEBOOKS {str(source)!r} looks like {what} ({copying._plural(ours or copies)}), not the "
                          "notebooks with solutions. Nothing was written. Give the folder of notebooks with "
                          f"solutions first: {USAGE}")

    built, problems = {}, []
    for name, (raw, nb) in parsed.items():
        course_nb, made, found = course_notebook(nb, name)
        problems.extend(found)
        built[name] = (course_nb, made, _course_text(course_nb, name, raw))
    if problems:
        raise CourseError("the notebooks' tags cannot all be turned into assignments: " + "; ".join(problems)
                          + ". Nothing was written.")

    config = course / "nbgrader_config.py"
    state = _config_state(config)
    if course.is_dir() and any(course.iterdir()) and state not in ("ours", "edited"):
        why = "its nbgrader_config.py was not written by this command" if state == "foreign" else \
            "it has no nbgrader_config.py written by this command"
        raise CourseError(f"COURSE_FOLDER {str(course)!r} is not empty and {why}, so it may hold someone's work. "
                          "Nothing was written. Give a new or empty folder (then copy its source/ folders into "
                          f"your own course if you have one), for example: {COMMAND} {copying._quote(source)} course")

    plan, refused = [], []
    for name, (course_nb, made, text) in built.items():
        target = course / "source" / made.assignment / name
        if not target.exists():
            made.status, made.detail = "written", f"written to {target}"
            plan.append((made, target, text))
            continue
        _, old, problem = copying._read_notebook(target)
        mark = _marker(old) if old is not None else None
        if mark is None:
            refused.append(f"{target} ({problem or 'not written by this command'})")
        elif mark.get("cells_sha256") != _cells_sha256(old.get("cells", [])):
            refused.append(f"{target} (edited since this command wrote it)")
        elif target.read_text(encoding="utf-8") == text:
            made.status, made.detail = "unchanged", "unchanged"
            plan.append((made, None, None))
        else:
            made.status, made.detail = "refreshed", f"refreshed {target} (it had not been edited)"
            plan.append((made, target, text))
    if refused:
        raise CourseError(f"COURSE_FOLDER {str(course)!r} holds source notebooks this command would replace: "
                          f"{copying._plural(refused)}. Nothing was written. Move "
                          + ("it" if len(refused) == 1 else "them")
                          + " out of the way (keep your edits) and run again.")

    course.mkdir(parents=True, exist_ok=True)
    if state is None or (state == "ours" and config.read_text(encoding="utf-8") != _config_text()):
        copying._write_atomically(config, _config_text())
    for made, target, text in plan:
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            copying._write_atomically(target, text)
    return [made for made, _, _ in plan]


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Write an nbgrader course (one assignment per notebook) from the notebooks' tags. "
                    "The notebooks are only read; nobody's work is overwritten.")
    ap.add_argument("notebooks", metavar="NOTEBOOKS", help="folder of notebooks with solutions, e.g. notebooks")
    ap.add_argument("course", metavar="COURSE_FOLDER",
                    help="the course folder: new, empty, or one this command wrote before")
    args = ap.parse_args(argv)
    try:
        report = make_course(args.notebooks, args.course)
    except CourseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f" {exc.filename!r}" if exc.filename else ""
        print(f"error:{where} {exc.strerror or exc}. Check that path and run again.", file=sys.stderr)
        return 2
    for made in report:
        print(made.line())
    config = Path(args.course) / "nbgrader_config.py"
    if _config_state(config) == "edited":
        print(f"{config}: kept as you edited it")
    print(f"{len(report)} assignments in {Path(args.course) / 'source'}/. Next, the student versions "
          f"(release/):\n  cd {copying._quote(args.course)} && nbgrader generate_assignment \"*\" --force")
    return 0


if __name__ == "__main__":
    sys.exit(main())
