"""Private Keras / TensorFlow / KerasTuner APIs are used only in `kerasreg/internals.py`."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "kerasreg"


def _trees():
    return {path: ast.parse(path.read_text()) for path in sorted(PACKAGE.rglob("*.py"))}


def _own_private_names(trees):
    """Every ``_name`` kerasreg itself defines: functions, methods, classes and attributes it assigns."""
    names = set()
    for path, tree in trees.items():
        if path.name == "internals.py":  # what it assigns belongs to other libraries
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
    return {name for name in names if name.startswith("_")}


def test_private_attributes_of_other_libraries_are_read_only_in_internals():
    trees = _trees()
    own = _own_private_names(trees)
    found = []
    for path, tree in trees.items():
        if path.name == "internals.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
                if node.attr not in own:
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: .{node.attr}")
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("getattr", "setattr", "hasattr") and len(node.args) >= 2
                    and isinstance(node.args[1], ast.Constant) and str(node.args[1].value).startswith("_")
                    and not str(node.args[1].value).startswith("__") and node.args[1].value not in own):  # fmt: skip
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: {node.func.id}(..., {node.args[1].value!r})")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(("keras.src", "tensorflow.python")):
                found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: from {node.module}")
    assert not found, "private APIs outside kerasreg/internals.py:\n" + "\n".join(found)
