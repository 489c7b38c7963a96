"""How runs show their progress: Keras's progress bar on a terminal, one line per epoch elsewhere.

A progress bar redraws one line with carriage returns: on a terminal that
is a moving bar, in a log file or a captured output it is thousands of
lines. So the bar is shown only when standard output is a terminal, and
one line per epoch otherwise. ``KERASREG_PROGRESS`` overrides the choice:
``bar``, ``epoch`` or ``off`` (Keras prints nothing; kerasreg's own lines,
such as the run directory and the summary, still appear).
"""

import os
import sys

from kerasreg.config import ConfigError

VARIABLE = "KERASREG_PROGRESS"
MODES = ("bar", "epoch", "off")
# Keras's ``fit(verbose=...)`` for each mode: 1 draws the bar, 2 prints a line per epoch.
FIT_VERBOSE = {"bar": 1, "epoch": 2, "off": 0}


def progress_mode(stream=None):
    """``"bar"``, ``"epoch"`` or ``"off"``: ``KERASREG_PROGRESS`` when set, else ``"bar"`` on a terminal.

    ``stream`` is the output the bar would go to (default ``sys.stdout``,
    where Keras writes it).

    Raises:
        ConfigError: ``KERASREG_PROGRESS`` is set to something else.
    """
    value = os.environ.get(VARIABLE, "").strip()
    if value:
        if value.lower() not in MODES:
            raise ConfigError(f"{VARIABLE}={value!r}; choose from {', '.join(MODES)}")
        return value.lower()
    stream = sys.stdout if stream is None else stream
    try:
        terminal = stream.isatty()
    except (AttributeError, ValueError):  # no such method, or a closed stream
        terminal = False
    return "bar" if terminal else "epoch"


def fit_verbose():
    """The ``verbose`` argument of Keras's ``fit`` for the progress mode."""
    return FIT_VERBOSE[progress_mode()]


def show_bar():
    """Whether work outside ``fit`` (test-set scoring, Monte Carlo sampling) shows a progress bar: ``bar`` mode.

    One line per epoch has no meaning there, so the other modes show nothing.
    """
    return progress_mode() == "bar"


def duration(seconds):
    """``seconds`` as a person reads it: ``42.0 s``, ``3 min 05 s``, ``2 h 07 min``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
