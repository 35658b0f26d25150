"""Line numbers for TOML keys: tomllib gives values only, errors must say file:line."""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*\[\[?\s*(?P<key>[^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*(?P<key>(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_PART = re.compile(r"""\s*(?:([A-Za-z0-9_-]+)|"([^"]*)"|'([^']*)')\s*(?:\.|$)""")


def _split_key(text: str) -> tuple[str, ...]:
    parts: list[str] = []
    for match in _PART.finditer(text):
        if match.group(0) == "":
            break
        parts.append(next(g for g in match.groups() if g is not None))
    return tuple(parts)


class KeyLines:
    """Maps dotted key paths of a TOML document to the line (1-based) that defines them.

    Covers table headers, plain and dotted keys; a path inside an inline table or a multi-line
    value resolves to the line of its nearest located ancestor.
    """

    def __init__(self, text: str) -> None:
        self._lines: dict[tuple[str, ...], int] = {}
        table: tuple[str, ...] = ()
        in_multiline = False
        for number, line in enumerate(text.splitlines(), start=1):
            if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                in_multiline = not in_multiline
                if not in_multiline:
                    continue
            if in_multiline and not _KEY.match(line):
                continue
            header = _HEADER.match(line)
            if header and not _KEY.match(line):
                table = _split_key(header.group("key"))
                self._lines.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                path = table + _split_key(key.group("key"))
                for depth in range(len(table) + 1, len(path) + 1):
                    self._lines.setdefault(path[:depth], number)

    def line_of(self, path: tuple[str | int, ...]) -> int:
        """Line of `path` (list indices ignored), falling back to its nearest ancestor, else 1."""
        keys = tuple(str(p) for p in path if not isinstance(p, int))
        for depth in range(len(keys), 0, -1):
            found = self._lines.get(keys[:depth])
            if found is not None:
                return found
        return 1
