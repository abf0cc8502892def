"""How long each notebook takes in class, counted from what it holds.

    python benchmarks/class_time.py                 # a table for README, all notebooks
    python benchmarks/class_time.py 05_training_loop.ipynb

The estimate is a sum of things an instructor can count, each with a rate written below:

- the text, read aloud: every word of the markdown cells at WORDS_PER_MINUTE;
- each code cell, run and its printed output glanced at: CODE_CELL minutes;
- each figure the notebook shows, looked at and talked about: FIGURE minutes;
- each thinking break, asked and answered by the class: THINKING_BREAK minutes;
- each set of controls (a dashboard, a slider, a picker), tried by the class: WIDGET minutes;
- each exercise, done live: EXERCISE_START minutes to read the task and the checker's verdict,
  plus EXERCISE_LINE minutes for every line the student writes (the solution's lines that the
  stub does not already hold); an open exercise with no solution counts OPEN_EXERCISE minutes.

Two columns come out. "live, with exercises" is everything above. "exercises as homework" is the
same walk-through with the exercises left for later, followed by the homework's own minutes.
The rates are for a class hearing the notebook for the first time; a second run of the same
course is quicker.
"""
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

WORDS_PER_MINUTE = 130
CODE_CELL = 0.25
FIGURE = 0.5
THINKING_BREAK = 1.0
WIDGET = 3.0
EXERCISE_START = 3.0
EXERCISE_LINE = 0.5
OPEN_EXERCISE = 15.0

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WORD = re.compile(r"[A-Za-z0-9][\w'’-]*")


@dataclass
class Count:
    words: int = 0
    code_cells: int = 0
    figures: int = 0
    thinking_breaks: int = 0
    widgets: int = 0
    exercises: int = 0
    exercise_minutes: float = 0.0

    @property
    def talk_minutes(self):
        return (self.words / WORDS_PER_MINUTE + self.code_cells * CODE_CELL + self.figures * FIGURE
                + self.thinking_breaks * THINKING_BREAK + self.widgets * WIDGET)

    @property
    def live_minutes(self):
        return self.talk_minutes + self.exercise_minutes


def _code_lines(source):
    """The lines a student would type: not blank, not a comment, not inside a docstring."""
    lines, in_doc = [], False
    for line in source.splitlines():
        s = line.strip()
        quotes = s.count('"""') + s.count("'''")
        if in_doc or s.startswith(('"""', "'''")):
            in_doc = (in_doc + quotes) % 2 == 1
            continue
        if s and not s.startswith("#") and s != "...":
            lines.append(s)
    return lines


def count(path):
    cells = json.loads(Path(path).read_text(encoding="utf-8"))["cells"]
    c = Count()
    stub = None
    for cell in cells:
        source = "".join(cell["source"])
        tags = cell.get("metadata", {}).get("tags", [])
        if cell["cell_type"] == "markdown":
            c.words += len(WORD.findall(source))
            c.thinking_breaks += len(re.findall(r"^(?:#+ *|\*\*)Thinking break", source, flags=re.M))
            continue
        if "exercise" in tags:
            if stub is not None:                       # an exercise with no solution after it
                c.exercise_minutes += OPEN_EXERCISE
            stub = _code_lines(source)
            c.exercises += 1
            continue
        if "solution" in tags:
            if stub is not None:
                new = [line for line in _code_lines(source) if line not in stub]
                c.exercise_minutes += EXERCISE_START + EXERCISE_LINE * len(new)
                stub = None
            continue
        c.code_cells += 1
        c.figures += sum("image/png" in o.get("data", {}) for o in cell.get("outputs", []))
        c.widgets += any(WIDGET_VIEW in o.get("data", {}) for o in cell.get("outputs", []))
    if stub is not None:
        c.exercise_minutes += OPEN_EXERCISE
    return c


def rounded(minutes):
    """Minutes to the nearest 5, as a class plans them."""
    return max(5, 5 * round(minutes / 5))


def main(names):
    names = names or sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    print("| notebook | words | code cells | figures | thinking breaks | controls | exercises "
          "| live, with exercises | exercises as homework |")
    print("|---|---|---|---|---|---|---|---|---|")
    live = talk = homework = 0.0
    for name in names:
        c = count(NOTEBOOKS / name)
        live += c.live_minutes
        talk += c.talk_minutes
        homework += c.exercise_minutes
        print(f"| {name} | {c.words} | {c.code_cells} | {c.figures} | {c.thinking_breaks} | {c.widgets} | {c.exercises} "
              f"| {rounded(c.live_minutes)} min | {rounded(c.talk_minutes)} min + "
              f"{rounded(c.exercise_minutes) if c.exercises else 0} min |")
    print(f"| **whole series** | | | | | | | {live / 60:.1f} h | {talk / 60:.1f} h + {homework / 60:.1f} h |")


if __name__ == "__main__":
    main(sys.argv[1:])
