"""`engine.progress`: a bar on a terminal, a line per epoch elsewhere, ``KERASREG_PROGRESS`` over both."""

import io

import pytest

from kerasreg.config import ConfigError
from kerasreg.engine import progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_gets_the_bar_and_anything_else_a_line_per_epoch(monkeypatch):
    monkeypatch.delenv(progress.VARIABLE, raising=False)
    assert progress.progress_mode(Terminal()) == "bar"
    assert progress.progress_mode(io.StringIO()) == "epoch"
    closed = io.StringIO()
    closed.close()  # its isatty() raises ValueError
    assert progress.progress_mode(closed) == "epoch"
    monkeypatch.setattr("sys.stdout", Terminal())
    assert progress.fit_verbose() == 1 and progress.show_bar()


@pytest.mark.parametrize("value, mode, verbose", [("bar", "bar", 1), ("EPOCH", "epoch", 2), ("off", "off", 0)])
def test_the_variable_overrides_the_terminal(monkeypatch, value, mode, verbose):
    monkeypatch.setenv(progress.VARIABLE, value)
    monkeypatch.setattr("sys.stdout", Terminal() if mode != "bar" else io.StringIO())
    assert progress.progress_mode() == mode
    assert progress.fit_verbose() == verbose
    assert progress.show_bar() == (mode == "bar")


def test_an_unknown_mode_is_a_config_error(monkeypatch):
    monkeypatch.setenv(progress.VARIABLE, "fancy")
    with pytest.raises(ConfigError, match="KERASREG_PROGRESS='fancy'; choose from bar, epoch, off"):
        progress.progress_mode()


@pytest.mark.parametrize("seconds, text", [(4.25, "4.2 s"), (185, "3 min 05 s"), (7620, "2 h 07 min")])
def test_durations_read_as_a_person_says_them(seconds, text):
    assert progress.duration(seconds) == text
