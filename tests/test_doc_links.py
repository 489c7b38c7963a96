"""The README's links lead somewhere, and CI runs the commands the README gives.

Cheap checks without TensorFlow. MkDocs checks the links of the
documentation pages themselves (``mkdocs build --strict`` in ``.ci/run``).
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
# [text](target) outside code; a target may end with #anchor.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CI = (ROOT / ".ci" / "run").read_text()


def _prose(text):
    """``text`` without fenced code blocks and inline code spans."""
    return re.sub(r"`[^`\n]*`", "", re.sub(r"^```.*?^```", "", text, flags=re.M | re.S))


def _relative_links(text):
    return [target for target in LINK.findall(_prose(text)) if not re.match(r"[a-z]+:|#", target)]


def test_every_relative_link_in_the_readme_points_to_a_file_that_exists():
    links = _relative_links(README)
    assert len(links) >= 10
    missing = [target for target in links if not (ROOT / target.split("#")[0]).exists()]
    assert not missing, f"README.md links to missing files: {missing}"


def test_the_readme_links_to_every_guide():
    pages = {path.relative_to(ROOT).as_posix() for path in (ROOT / "docs").glob("*.md")}
    linked = {target.split("#")[0] for target in _relative_links(README)}
    assert pages - {"docs/index.md"} <= linked, sorted(pages - linked)


def _commands(section):
    """The commands in the ```bash block under the README heading ``section``."""
    body = README.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"^```bash\n(.*?)^```", body, flags=re.M | re.S)
    return [line for line in block.splitlines() if line.strip()]


def test_ci_runs_the_readmes_test_and_documentation_commands():
    (tests,) = _commands("Run the tests")
    (docs,) = _commands("Documentation")
    ci = [line.replace("pip install -q ", "pip install ") for line in CI.splitlines()]
    assert tests in ci and docs in ci, (tests, docs)


def test_every_guide_page_is_in_the_site_menu():
    config = (ROOT / "mkdocs.yml").read_text()
    listed = set(re.findall(r":\s+(\S+\.md)\s*$", config, flags=re.M))
    pages = {path.relative_to(ROOT / "docs").as_posix() for path in (ROOT / "docs").rglob("*.md")
             if path.relative_to(ROOT / "docs").parts[0] != "results"}  # fmt: skip
    assert pages == listed, (sorted(pages - listed), sorted(listed - pages))


def test_every_page_has_its_own_address_on_the_site():
    # MkDocs serves both x.md and x/README.md (or x/index.md) at x/, and one of
    # them silently replaces the other in the built site.
    addresses = {}
    for path in sorted((ROOT / "docs").rglob("*.md")):
        page = path.relative_to(ROOT / "docs")
        folder = page.parent if page.name in ("README.md", "index.md") else page.with_suffix("")
        addresses.setdefault(folder.as_posix(), []).append(page.as_posix())
    shared = {address: pages for address, pages in addresses.items() if len(pages) > 1}
    assert not shared, f"pages served at one address: {shared}"
