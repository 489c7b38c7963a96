"""The Python examples of the README and the documentation pages run as written.

Every ```python block of README.md and docs/**/*.md runs, each on its own in a
fresh namespace, in an empty working folder (runs go to its ``logs/``). A
block whose fence has a title (```python title="myexp.py") is a file or a
fragment shown on its own, which needs names defined elsewhere: it is not
run, and the title says what it needs.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md"] + sorted((ROOT / "docs").rglob("*.md"))
FENCE = re.compile(r"^```python(.*)$", re.M)
BLOCK = re.compile(r"^```python\n(.*?)^```", re.M | re.S)


def _blocks():
    found = []
    for page in PAGES:
        name = str(page.relative_to(ROOT))
        for number, source in enumerate(BLOCK.findall(page.read_text()), start=1):
            found.append((name, number, source))
    return found


BLOCKS = _blocks()


def test_the_readme_and_the_guides_have_examples():
    pages = {name for name, _, _ in BLOCKS}
    assert "README.md" in pages and len(pages) >= 5 and len(BLOCKS) >= 8, sorted(pages)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_a_python_fence_either_runs_or_says_what_it_needs(page):
    for attributes in FENCE.findall(page.read_text()):
        assert attributes == "" or re.fullmatch(r' title="[^"]+"', attributes), (
            f"{page.relative_to(ROOT)}: ```python{attributes} is neither run (no attributes) nor titled")


@pytest.mark.parametrize("page,number,source", BLOCKS, ids=[f"{name}:{number}" for name, number, _ in BLOCKS])
def test_example_runs(page, number, source, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(source, f"{page} (python block {number})", "exec"), {"__name__": "doc_example"})
