"""Sphinx helpers for the sklearn-ser docs: figures measured at build time, example order.

``architecture-parameters``
    Builds every registered architecture for the given input shapes and tabulates its
    trainable parameters, so the numbers in the docs are measured, never typed in.
``sklearn-ser-help``
    The ``--help`` text of a ``sklearn-ser`` command, as the installed version prints it.

Two autodoc hooks keep the API pages about sklearn-ser: members a class inherits from Keras,
scikeras or scikit-learn are left out (their docstrings cross-reference those projects' own
docs), except the scikit-learn estimator basics in :data:`INHERITED_KEPT`; and a
trailing-underscore name inside a numpydoc type such as ``ndarray of shape
(n_features_in_,)`` is quoted, since reST would read ``n_features_in_`` as a link target.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

#: Gallery order: the pipeline first, then the library's key idea, then the rest.
EXAMPLE_ORDER = (
    "plot_cross_validation.py",
    "plot_augmentation_leakage.py",
    "plot_grid_search.py",
    "plot_save_load.py",
    "plot_cross_corpus.py",
    "plot_long_recording.py",
    "plot_voting_ensemble.py",
)


class ExampleOrder:
    """sphinx-gallery ``within_subsection_order``: :data:`EXAMPLE_ORDER`, then by name."""

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __call__(self, filename):
        name = Path(filename).name
        rank = EXAMPLE_ORDER.index(name) if name in EXAMPLE_ORDER else len(EXAMPLE_ORDER)
        return (rank, name)

    def __repr__(self):  # sphinx-gallery compares configurations by their repr
        return f"<ExampleOrder {EXAMPLE_ORDER}>"


#: Inherited members documented anyway: every scikit-learn estimator has them.
INHERITED_KEPT = frozenset({"get_params", "set_params"})

# "name : type" lines of numpydoc sections, and bare words ending in "_" in the type
_TYPE_LINE = re.compile(r"^(\s*\**[\w, ]+ : )(.*)$")
_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w])([A-Za-z]\w*_)(?=[,) ]|$)")


def skip_foreign_members(app, what, name, obj, skip, options):
    """``autodoc-skip-member``: hide members defined outside sklearn_ser."""
    if skip or what not in ("class", "exception") or name in INHERITED_KEPT:
        return None
    target = getattr(obj, "fget", obj)
    module = getattr(target, "__module__", None)
    if isinstance(module, str) and not module.startswith("sklearn_ser"):
        return True
    return None


def quote_type_underscores(app, what, name, obj, options, lines):
    """``autodoc-process-docstring``: quote ``n_features_in_`` in parameter types."""
    for i, line in enumerate(lines):
        match = _TYPE_LINE.match(line)
        if match and "shape" in match.group(2):
            lines[i] = match.group(1) + _TRAILING_UNDERSCORE.sub(r"`\1`", match.group(2))


def _shape(text: str) -> tuple[int, int]:
    """``"188x22"`` -> ``(188, 22)``."""
    try:
        frames, features = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(
            f"input shapes look like 188x22 (frames x features), got {text!r}"
        ) from None
    return frames, features


def count_parameters(shapes, n_classes):
    """Trainable parameters of every registered architecture (default hyperparameters).

    Returns ``{arch: [count per shape]}`` in registry order.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from sklearn_ser.models import ARCHITECTURES

    counts = {}
    for name, builder in ARCHITECTURES.items():
        counts[name] = [
            sum(math.prod(w.shape) for w in builder(shape, n_classes).trainable_weights)
            for shape in shapes
        ]
    return counts


class ArchitectureParameters(SphinxDirective):
    """``.. architecture-parameters::`` with ``:inputs: 188x22, 188x64`` and ``:classes: 6``."""

    has_content = False
    option_spec = {
        "inputs": directives.unchanged_required,
        "classes": directives.positive_int,
        "labels": directives.unchanged,
    }

    def run(self):
        shapes = [_shape(s.strip()) for s in self.options["inputs"].split(",")]
        labels = ([s.strip() for s in self.options["labels"].split(",")]
                  if "labels" in self.options
                  else [f"{f} frames x {d} features" for f, d in shapes])
        if len(labels) != len(shapes):
            raise self.error("architecture-parameters: one label per input shape is needed")
        n_classes = self.options.get("classes", 6)
        counts = count_parameters(shapes, n_classes)
        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "",
            "   * - ``arch``",
        ]
        lines += [f"     - {label}" for label in labels]
        for name, values in counts.items():
            lines.append(f"   * - ``{name}``")
            lines += [f"     - {value:,}" for value in values]
        container = nodes.container()
        self.state.nested_parse(StringList(lines, source="<architecture-parameters>"),
                                self.content_offset, container)
        return container.children


class CommandHelp(SphinxDirective):
    """``.. sklearn-ser-help:: compare``: the command's ``--help`` text."""

    required_arguments = 0
    optional_arguments = 1
    has_content = False

    def run(self):
        from sklearn_ser.cli import main

        argv = [*self.arguments, "--help"]
        out = io.StringIO()
        # a fixed width keeps argparse's wrapping identical on every machine
        previous = os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = "92"
        try:
            with contextlib.redirect_stdout(out):
                status = main(argv)
        finally:
            if previous is None:
                del os.environ["COLUMNS"]
            else:
                os.environ["COLUMNS"] = previous
        if status != 0:
            raise self.error(f"'sklearn-ser {' '.join(argv)}' exited with status {status}")
        text = out.getvalue().rstrip()
        block = nodes.literal_block(text, text)
        block["language"] = "text"
        return [block]


def setup(app):
    app.add_directive("architecture-parameters", ArchitectureParameters)
    app.add_directive("sklearn-ser-help", CommandHelp)
    app.connect("autodoc-skip-member", skip_foreign_members)
    # numpydoc rewrites docstrings at priority 500; this must see the numpydoc source first
    app.connect("autodoc-process-docstring", quote_type_underscores, priority=100)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
