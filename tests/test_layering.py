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
    assert "kerasreg.engine.preparation" in GRAPH["kerasreg.engine.training"]
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


# One interpreter imports each package first in turn: kerasreg's modules are
# forgotten before each (Keras, TensorFlow and the rest stay loaded, as
# they would not matter to an import cycle among kerasreg's own modules).
FIRST_IMPORTS = """
import importlib, sys, traceback
failures = []
for name in sys.argv[1:]:
    for module in [m for m in sys.modules if m == "kerasreg" or m.startswith("kerasreg.")]:
        del sys.modules[module]
    try:
        importlib.import_module("kerasreg." + name)
    except Exception as error:
        failures.append(f"kerasreg.{name}: {type(error).__name__}: {error}")
print("\\n".join(failures))
sys.exit(1 if failures else 0)
"""


def test_every_package_imports_first_thing_in_a_fresh_interpreter():
    # Keras's registry would warn about classes registered twice; it does not fail.
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", FIRST_IMPORTS, *ISOLATED], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
