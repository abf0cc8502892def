"""What the student looks at: ``plots`` (every figure of the series) and ``widgets`` (the
training dashboard). ``widgets`` loads on first use (it needs ipywidgets)."""
from . import plots

__all__ = ["plots"]
