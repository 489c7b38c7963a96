"""A resolved config as TOML text: what ``--print-config`` prints and ``--config`` reads back.

The standard library reads TOML but does not write it; a config is only
tables of strings, numbers, booleans, lists and (in free-form tables) inline
tables, which this covers.
"""

import json
import math


def _value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        # JSON's string escapes are valid TOML basic-string escapes.
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    if value is None:
        raise ValueError("TOML has no null; a config value cannot be None")
    raise ValueError(f"cannot write a {type(value).__name__} as TOML: {value!r}")


def _key(key):
    bare = key and all(c.isalnum() or c in "_-" for c in key)
    return key if bare else json.dumps(key)


def to_toml(values, header=""):
    """``{key: value or {key: value}}`` as TOML: top-level scalars first, then one table per dict.

    >>> print(to_toml({"recipe": "cifar", "training": {"epochs": 14, "augment": ["flip"]}}))
    recipe = "cifar"
    <BLANKLINE>
    [training]
    epochs = 14
    augment = ["flip"]
    <BLANKLINE>
    """
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    scalars = {k: v for k, v in values.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in values.items() if isinstance(v, dict)}
    lines += [f"{_key(k)} = {_value(v)}" for k, v in scalars.items()]
    for name, table in tables.items():
        lines += ["", f"[{_key(name)}]"]
        lines += [f"{_key(k)} = {_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"
