"""The package structure: lower layers never import upper ones, and no import cycle, of packages or modules.

Imports are read from the source (function-local ones included: an import
placed in a function to dodge a cycle is still a cycle), so the check needs
no TensorFlow and sees every module. A second test imports each package
first thing in a fresh interpreter, the way a user's script would.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "kerasreg"

# Orchestration layers, bottom to top; everything else (layers, schedules,
# architectures, data, config, ...) is a foundation below them all.
LAYERS = ("engine", ("tuning", "comparison"), "experiment", "cli", ("recipes", "__main__"))


def _modules():
    modules = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


MODULES = _modules()


def _target(name):
    """The kerasreg module an import of ``name`` loads (a submodule if one exists, else its package)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(name, path):
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                # `from kerasreg.data import cache` loads the module kerasreg.data.cache when there is one.
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {t for t in map(_target, (i for i in found if i.split(".")[0] == "kerasreg")) if t and t != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _unit(module):
    """The top-level unit of a module: ``kerasreg.<first part>``, or the root package itself."""
    parts = module.split(".")
    return ".".join(parts[:2])


def _cycle(graph):
    """One cycle of ``graph`` as a list of nodes, or None."""
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_the_import_graph_is_read_from_the_source():
    # The reader finds imports of every form (guards against a check that sees nothing).
    assert "kerasreg.engine.prepare" in GRAPH["kerasreg.engine.training"]
    assert "kerasreg.engine" in GRAPH["kerasreg.tuning.search"]
    assert "kerasreg.experiment" in GRAPH["kerasreg"]  # the root's function-local import counts
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_no_module_imports_another_that_imports_it_back():
    assert _cycle(GRAPH) is None, f"module import cycle: {' -> '.join(_cycle(GRAPH))}"


def test_no_package_imports_another_that_imports_it_back():
    units = {}
    for module, targets in GRAPH.items():
        units.setdefault(_unit(module), set()).update(_unit(t) for t in targets if _unit(t) != _unit(module))
    cycle = _cycle(units)
    assert cycle is None, f"package import cycle: {' -> '.join(cycle)}"


def _rank(unit):
    name = unit.split(".", 1)[1] if "." in unit else None
    if name is None:
        return len(LAYERS) + 1  # the root package sits on top of everything
    for rank, layer in enumerate(LAYERS, start=1):
        if name == layer or (isinstance(layer, tuple) and name in layer):
            return rank
    return 0


def test_lower_layers_never_import_upper_ones():
    upward = sorted(f"{module} -> {target}" for module, targets in GRAPH.items() for target in targets
                    if _rank(_unit(target)) > _rank(_unit(module)))  # fmt: skip
    assert not upward, "imports of an upper layer: " + "; ".join(upward)


# The packages `import kerasreg` does not load itself: their import order is the user's.
ISOLATED = ("config", "data", "uncertainty", "reporting", "engine", "tuning", "comparison", "experiment", "cli",
            "recipes.cifar", "recipes.fashion_mnist")  # fmt: skip


def test_every_package_imports_first_thing_in_a_fresh_interpreter():
    processes = {}
    failures = []
    for index in range(0, len(ISOLATED), 2):  # two at a time: the machines here have two cores
        for name in ISOLATED[index:index + 2]:
            processes[name] = subprocess.Popen([sys.executable, "-c", f"import kerasreg.{name}"], cwd=ROOT,
                                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        for name in ISOLATED[index:index + 2]:
            _, err = processes[name].communicate(timeout=300)
            if processes[name].returncode:
                failures.append(f"kerasreg.{name}: {err.strip().splitlines()[-1] if err.strip() else '?'}")
    assert not failures, "; ".join(failures)


@pytest.mark.parametrize("module", ["kerasreg.schedules.constant", "kerasreg.schedules.nesting"])
def test_the_schedule_modules_no_longer_import_each_other(module):
    other = {"kerasreg.schedules.constant": "kerasreg.schedules.nesting",
             "kerasreg.schedules.nesting": "kerasreg.schedules.constant"}[module]  # fmt: skip
    assert not (module in GRAPH[other] and other in GRAPH[module])
