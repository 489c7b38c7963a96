"""`plot_schedule`: a PNG of one learning-rate schedule or a comparison of several.

Figures are drawn on matplotlib's Agg canvas directly (``Figure`` +
``FigureCanvasAgg``), never through ``pyplot``, so plotting neither needs a
display nor switches the backend of an interactive session, and no figure is
left open. Every PNG is written atomically by `save_png`: to a temporary file
in the target folder, then moved into place with ``os.replace``, so a reader
never sees half a file.
"""

import os

import numpy as np
from keras import ops

from kerasreg.atomic_files import atomic_write
from kerasreg.validation import invalid_argument, check_bool, check_positive_int


def check_png_path(name, path):
    """A file path (``str`` or path-like) ending in ``.png``; returns it as ``str``."""
    try:
        text = os.fspath(path)
    except TypeError:
        raise invalid_argument(name, "a file path ending in '.png'", path) from None
    if not isinstance(text, str) or not text.lower().endswith(".png"):
        raise invalid_argument(name, "a file path ending in '.png'", path)
    return text


def new_figure(width=7.0, height=4.5):
    """A matplotlib ``Figure`` on its own Agg canvas (no pyplot, no global state)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save_png(figure, path):
    """Writes ``figure`` as a PNG at ``path`` atomically (`atomic_write`) and returns ``path``."""
    path = check_png_path("path", path)
    with atomic_write(path, "wb") as stream:
        figure.savefig(stream, format="png", dpi=100)
    return path


def _name_of(schedule):
    """A label for one schedule: its ``name``, function name or class name."""
    for name in (getattr(schedule, "name", None), getattr(schedule, "__name__", None)):
        if isinstance(name, str) and name and name != "<lambda>":
            return name
    if hasattr(schedule, "get_config"):  # a schedule object without a name
        return type(schedule).__name__
    return "schedule"


def evaluate_schedule(schedule, num_steps):
    """The schedule's learning rate at steps ``0 .. num_steps - 1`` as a float64 array.

    First one vectorised call on ``keras.ops.arange(num_steps)`` (which
    Keras schedules and anything else written in ``keras.ops`` accept); if
    that raises, or does not return one value per step, falls back to one
    call per step with a Python ``int`` (for step functions written with
    Python control flow, such as ``lambda step: 0.1 if step < 30 else 0.01``).
    """
    try:
        values = np.asarray(
            ops.convert_to_numpy(schedule(ops.arange(num_steps))), dtype="float64"
        )
    except Exception:  # noqa: BLE001 - any failure means "not vectorisable"
        values = None
    if values is None or values.shape != (num_steps,):
        values = np.array(
            [float(ops.convert_to_numpy(schedule(step))) for step in range(num_steps)],
            dtype="float64",
        )
    return values


def plot_schedule(schedules, num_steps, path, title=None, log_y=False):
    """Draws learning-rate schedules over ``num_steps`` steps and saves a PNG.

    One schedule gives a single curve; a dict ``{name: schedule}`` gives a
    comparison chart with one labelled curve per entry. Each schedule is
    evaluated at steps ``0 .. num_steps - 1`` (see `evaluate_schedule`:
    one vectorised call where possible, else one call per step).

    Args:
        schedules: A `keras.optimizers.schedules.LearningRateSchedule`, any
            callable ``step -> learning rate``, or a non-empty dict mapping
            names to such schedules.
        num_steps: Integer >= 1, the number of optimizer steps to draw.
        path: Where to write the image; must end in ``.png``. Written
            atomically (temporary file, then ``os.replace``).
        title: Optional chart title. Defaults to the schedule's name, or
            ``"Learning-rate schedules"`` for a dict.
        log_y: Bool. If True, the learning-rate axis is logarithmic.

    Returns:
        ``path``, as a ``str``.

    Example:

    >>> import os, tempfile
    >>> import keras
    >>> from kerasreg.plotting import plot_schedule
    >>> folder = tempfile.mkdtemp()
    >>> path = plot_schedule(
    ...     {
    ...         "cosine": keras.optimizers.schedules.CosineDecay(0.1, 100),
    ...         "step": lambda step: 0.1 if step < 50 else 0.01,
    ...     },
    ...     num_steps=100,
    ...     path=os.path.join(folder, "schedules.png"),
    ... )
    >>> os.path.getsize(path) > 0
    True
    """
    if isinstance(schedules, dict):
        if not schedules or not all(callable(s) for s in schedules.values()):
            raise invalid_argument(
                "schedules",
                "a LearningRateSchedule, a callable step -> learning rate, "
                "or a non-empty dict of them",
                schedules,
            )
        named = {str(name): schedule for name, schedule in schedules.items()}
        default_title = "Learning-rate schedules"
    elif callable(schedules):
        named = {_name_of(schedules): schedules}
        default_title = next(iter(named))
    else:
        raise invalid_argument(
            "schedules",
            "a LearningRateSchedule, a callable step -> learning rate, "
            "or a non-empty dict of them",
            schedules,
        )
    num_steps = check_positive_int("num_steps", num_steps)
    path = check_png_path("path", path)
    if title is not None and not isinstance(title, str):
        raise invalid_argument("title", "None or a string", title)
    log_y = check_bool("log_y", log_y)

    steps = np.arange(num_steps)
    curves = {name: evaluate_schedule(s, num_steps) for name, s in named.items()}

    figure = new_figure()
    axes = figure.add_subplot()
    for name, values in curves.items():
        axes.plot(steps, values, label=name, linewidth=1.8)
    if log_y:
        axes.set_yscale("log")
    axes.set_xlabel("step")
    axes.set_ylabel("learning rate")
    axes.set_xlim(0, max(num_steps - 1, 1))
    axes.set_title(default_title if title is None else title)
    axes.grid(True, alpha=0.3)
    if len(curves) > 1:
        axes.legend()
    return save_png(figure, path)
