"""Griffe extension for the API reference: reads kerasreg's Keras-style docstrings as Google style.

kerasreg writes docstrings the way Keras does: an ``Example:`` title, a blank
line, then doctest lines at the docstring's own indentation, and the
sections ``Call arguments:`` and ``Reference:``. Griffe's Google parser
expects a section's body indented under its title and knows neither of the
last two, so the doctests would render as block quotes and the call
arguments as a code block. Before griffe parses a docstring, this rewrites
it: the doctest lines go under an ``Examples:`` section, and ``Call
arguments:`` and ``Reference:``/``References:`` become a bold title with a
list or a paragraph. The source files are not changed. ``mkdocs.yml``
loads it (``extensions: [docs/griffe_keras_docstrings.py]``).
"""

import re

import griffe

EXAMPLE_TITLE = re.compile(r"^Examples?:\s*$")
ITEM = re.compile(r"^(\*{0,2}\w+): (.*)$")


def _indent(line):
    return len(line) - len(line.lstrip())


def _doctest_end(lines, start):
    """The index after the doctest run that starts at ``lines[start]`` (a ``>>>`` line)."""
    i = start
    while i < len(lines):
        if lines[i].strip():
            i += 1
            continue
        following = next((line for line in lines[i:] if line.strip()), "")
        if not following.startswith(">>>"):
            break
        i += 1
    return i


def _section_body(lines, start):
    """The indented lines under the title at ``lines[start - 1]``: their end index."""
    i = start
    while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > 0):
        if not lines[i].strip():
            following = next((line for line in lines[i:] if line.strip()), "")
            if not following or _indent(following) == 0:
                break
        i += 1
    return i


def rewrite(text):
    """``text`` (a cleaned docstring) with Keras-style sections in the form griffe's Google parser reads."""
    lines = text.split("\n")
    out = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if EXAMPLE_TITLE.match(line):
            j = i + 1
            while j < len(lines) and not lines[j].strip():
                j += 1
            if j < len(lines) and lines[j].startswith(">>>"):
                end = _doctest_end(lines, j)
                out.append("Examples:")
                out.extend("    " + body if body.strip() else "" for body in lines[j:end])
                i = end
                continue
        if line.strip() in ("Call arguments:", "Reference:", "References:") and _indent(line) == 0:
            end = _section_body(lines, i + 1)
            body = [body[4:] if body.startswith("    ") else body.strip() for body in lines[i + 1:end]]
            out += [f"**{line.strip()}**", ""]
            if line.strip() == "Call arguments:":
                for entry in body:
                    match = ITEM.match(entry)
                    if match:
                        out.append(f"- `{match.group(1)}`: {match.group(2)}")
                    elif entry.strip():
                        out.append("  " + entry.strip())
            else:
                out.extend(entry.strip() for entry in body)
            out.append("")
            i = end
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


class KerasDocstrings(griffe.Extension):
    """Rewrites each docstring with `rewrite` before it is parsed."""

    def on_instance(self, *, obj, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = rewrite(obj.docstring.value)
