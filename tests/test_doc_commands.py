"""Every recipe command in README.md and the documentation is a valid command line.

Each is resolved as written (from the repository root) with
``--print-config``: its flags, files, presets and config values are checked
as a run would check them, without training. Commands with placeholders
(``<run>``, ``COMMAND``, ``mymodel``) are illustrative and left out; the
shipped TOML files themselves are run in tests/recipes/test_shipped_files.py.
"""

import re
import shlex
from pathlib import Path

import pytest

from tests import cli_runner

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
RECIPES = ("kerasreg.recipes.cifar", "kerasreg.recipes.fashion_mnist")
PLACEHOLDERS = ("<", "COMMAND", "[FLAGS]", "S.toml", "mymodel", "my-")
# Commands that have nothing to resolve (they read a run).
NO_CONFIG = ("evaluate", "ensemble")


def _commands():
    found = []
    for page in PAGES:
        for block in re.findall(r"```(?:bash|sh|console)\n(.*?)```", page.read_text(), flags=re.S):
            for line in block.replace("\\\n", " ").splitlines():
                line = line.split(" #", 1)[0].strip().rstrip("&").strip()
                parts = line.split()
                if len(parts) > 2 and parts[:2] == ["python", "-m"] and parts[2] in RECIPES:
                    found.append((page.relative_to(ROOT).as_posix(), parts[2], line))
    return found


COMMANDS = _commands()


def test_the_pages_show_recipe_commands():
    assert len(COMMANDS) >= 20


@pytest.mark.parametrize("page, module, line", COMMANDS, ids=[f"{p}:{i}" for i, (p, _, _) in enumerate(COMMANDS)])
def test_a_documented_command_resolves(page, module, line):
    if any(text in line for text in PLACEHOLDERS):
        pytest.skip("illustrative: it has placeholders")
    args = shlex.split(line)[3:]
    if "../shared/data/cifar10-jpeg.tar.gz" in args and not (ROOT.parent / "shared/data/cifar10-jpeg.tar.gz").exists():
        pytest.skip("the CIFAR-10 JPEG copy is not beside the repository")
    if args and args[0] in NO_CONFIG:
        pytest.skip("reads a run; nothing to resolve")
    main = __import__(module, fromlist=["main"]).main
    result = cli_runner.run_main(main, [*args, "--print-config"], cwd=ROOT)
    assert result.returncode == 0, f"{page}: {line}\n{result.stderr[-2000:]}"
    assert "[training]" in result.stdout
