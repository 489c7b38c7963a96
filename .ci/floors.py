"""Prints pip constraints pinning every dependency to the lowest version pyproject.toml allows.

`.ci/run` installs these in a second environment, so the declared floors are
tested, not only the newest releases.
"""

import re
import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]
requirements = project["dependencies"] + [r for extra in ("test",) for r in project["optional-dependencies"][extra]]
for requirement in requirements:
    # A constraint on a package that is not installed does nothing, so a
    # marker ("; python_version < '3.11'") can be dropped.
    requirement = requirement.partition(";")[0]
    match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*>=\s*([0-9][0-9A-Za-z.]*)\s*(,.*)?", requirement)
    if match is None:
        sys.exit(f"floors: cannot read a lowest version from requirement {requirement!r}")
    print(f"{match.group(1)}=={match.group(3)}")
