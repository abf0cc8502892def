"""The package's folders are its layers, and no module reaches into another's private names."""
import ast
import importlib
from pathlib import Path

import pytest

import gan_lesson as gl

PACKAGE = Path(gl.__file__).resolve().parent

#: Each layer may import only from the layers listed for it (and from the shared support modules).
LAYERS = {
    "maths": set(),
    "training": {"maths"},
    "views": {"maths", "training"},
    "lessons": {"maths", "training", "views"},
    "checks": {"maths", "training", "views", "lessons"},
}
SUPPORT = {"validation", "interrupts"}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, path.relative_to(PACKAGE).with_suffix("").parts


def _imports(path, parts):
    """(module path inside the package, imported names) for every import of the package's own modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = list(parts[:-1])                      # the folder this module sits in
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[:len(here) - (node.level - 1)] if node.level > 1 else here
            target = base + (node.module.split(".") if node.module else [])
            yield target, [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gan_lesson"):
            yield node.module.split(".")[1:], [a.name for a in node.names]


def test_no_module_imports_another_modules_private_names():
    found = []
    for path, parts in _modules():
        for target, names in _imports(path, parts):
            for name in names:
                if name.startswith("_") and not name.startswith("__"):
                    found.append(f"{'/'.join(parts)}.py imports {name} from {'.'.join(target) or 'gan_lesson'}")
    assert not found, "\n".join(found)


def test_each_layer_imports_only_the_layers_above_it():
    wrong = []
    for path, parts in _modules():
        layer = parts[0] if len(parts) > 1 else None
        if layer not in LAYERS:
            continue
        for target, names in _imports(path, parts):
            # `from .. import x` names modules: the layer is the folder of each name
            firsts = [target[0]] if target else [n for n in names]
            for first in firsts:
                if first in SUPPORT or first == layer:
                    continue
                if first not in LAYERS[layer]:
                    wrong.append(f"{'/'.join(parts)}.py ({layer}) imports from {first}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("short, home", [
    ("samplers", "gan_lesson.maths.samplers"), ("features", "gan_lesson.maths.features"),
    ("models", "gan_lesson.maths.models"), ("losses", "gan_lesson.maths.losses"),
    ("metrics", "gan_lesson.maths.metrics"), ("steps", "gan_lesson.training.steps"),
    ("recipes", "gan_lesson.training.recipes"), ("coach", "gan_lesson.training.coach"),
    ("many", "gan_lesson.training.many"), ("recorded", "gan_lesson.training.recorded"),
    ("plots", "gan_lesson.views.plots"), ("widgets", "gan_lesson.views.widgets"),
    ("surfaces", "gan_lesson.lessons.surfaces"), ("sequences", "gan_lesson.lessons.sequences"),
    ("data", "gan_lesson.lessons.data"), ("images", "gan_lesson.lessons.images"),
    ("conditional", "gan_lesson.lessons.conditional"), ("oscillation", "gan_lesson.lessons.oscillation"),
])
def test_every_module_answers_to_its_short_name(short, home):
    assert getattr(gl, short) is importlib.import_module(home)


def test_the_loop_module_is_the_one_fit_lives_in():
    assert gl.fit is gl.training.loop.fit is gl.training.fit
    assert gl.fit_many is gl.many.fit_many
    with pytest.raises(AttributeError, match="no attribute 'batchd'"):
        gl.batchd
