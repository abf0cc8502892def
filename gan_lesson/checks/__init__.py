"""Exercise checkers, one module per lesson; every ``check_*`` function is importable from here.

    from gan_lesson.checks import check_mixture_sampler
    check_mixture_sampler(my_sampler);

Each prints one message (✓ what was verified, ✗ the likely mistake and a hint, or "not
attempted yet") and returns True or False. ``core`` holds the shared machinery.
"""
import importlib
import pkgutil

from .core import checker, expect, call  # noqa: F401

__all__ = []
for _info in pkgutil.iter_modules(__path__):
    if _info.name == "core":
        continue
    _module = importlib.import_module(f"{__name__}.{_info.name}")
    for _name in getattr(_module, "__all__", ()):
        globals()[_name] = getattr(_module, _name)
        __all__.append(_name)
