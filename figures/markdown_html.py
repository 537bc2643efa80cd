"""The small Markdown subset chronoscore's summaries use, as HTML.

Handles ATX headings (``#`` …), pipe tables (header, ``| --- |`` rule, rows),
bullet lists (``- ``), paragraphs and inline ``code``. Links keep only their
text and images their alt text (a paragraph of only images is left out), so a
page made from summaries refers to nothing outside itself.
All text is HTML-escaped.
"""

from __future__ import annotations

import html
import re

__all__ = ["markdown_to_html"]

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_RULE_CELL = re.compile(r"^:?-{3,}:?$")
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_CODE = re.compile(r"`([^`]+)`")


def markdown_to_html(text: str, heading_offset: int = 0) -> str:
    """HTML of Markdown ``text``; headings move down ``heading_offset`` levels (at most to h6)."""
    blocks: list[str] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index].strip()
        heading = _HEADING.match(line)
        if not line:
            index += 1
        elif heading:
            level = min(6, len(heading.group(1)) + heading_offset)
            blocks.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            index += 1
        elif _is_table_start(lines, index):
            end = _block_end(lines, index, lambda row: row.startswith("|"))
            blocks.append(_table(lines[index:end]))
            index = end
        elif line.startswith("- "):
            end = _block_end(lines, index, lambda row: row.startswith("- "))
            items = "".join(f"<li>{_inline(row.strip()[2:])}</li>" for row in lines[index:end])
            blocks.append(f"<ul>{items}</ul>")
            index = end
        else:
            end = _block_end(lines, index, lambda row: bool(row) and not _HEADING.match(row)
                             and not row.startswith(("|", "- ")))
            paragraph = " ".join(row.strip() for row in lines[index:end])
            if _IMAGE_OR_LINK.sub("", paragraph).strip():          # a paragraph of only images is dropped
                blocks.append(f"<p>{_inline(paragraph)}</p>")
            index = end
    return "\n".join(blocks)


def _block_end(lines: list[str], start: int, belongs) -> int:
    """Index after the run of lines from ``start`` whose stripped text ``belongs`` (at least one line)."""
    end = start + 1
    while end < len(lines) and belongs(lines[end].strip()):
        end += 1
    return end


def _is_table_start(lines: list[str], index: int) -> bool:
    if index + 1 >= len(lines) or not lines[index].strip().startswith("|"):
        return False
    return all(_RULE_CELL.match(cell) for cell in _cells(lines[index + 1]))


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def _table(rows: list[str]) -> str:
    header = "".join(f"<th>{_inline(cell)}</th>" for cell in _cells(rows[0]))
    body = "".join("<tr>" + "".join(f"<td>{_inline(cell)}</td>" for cell in _cells(row)) + "</tr>"
                   for row in rows[2:])
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


def _inline(text: str) -> str:
    """Escaped text with images/links reduced to their text and `code` spans kept as code."""
    escaped = html.escape(_IMAGE_OR_LINK.sub(r"\1", text), quote=False)
    return _CODE.sub(r"<code>\1</code>", escaped)
