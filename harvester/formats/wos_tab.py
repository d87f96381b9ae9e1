"""Web of Science tab-delimited exports ("Tab-delimited (Win/Mac)", UTF-8 or UTF-16LE with a BOM).

The header row is WoS's 2-letter field tags (``PT AU BA BE GP AF ... UT``); the column table is
``csv_columns.WEB_OF_SCIENCE_TAB``. These files have no quoting at all (titles hold literal ``"``) and
end every row with a tab, so they are read with ``QUOTE_NONE``: one physical line is one record.
UTF-16 decoding is done by ``formats/encoding.py`` before this module sees the text.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable, Iterator

from harvester.formats.base import Detection, FileFormat, Parsed, Rejected, lines_of
from harvester.formats.csv import iter_table, read_table
from harvester.formats.csv_columns import WEB_OF_SCIENCE_TAB
from harvester.records import Record

#: Header tags that every WoS tab-delimited export we have seen carries.
SIGNATURE = WEB_OF_SCIENCE_TAB.signature


def _header(text: str) -> list[str]:
    first = text.lstrip("\n").split("\n", 1)[0]
    return [cell.strip() for cell in first.split("\t")]


def sniff(text: str) -> Detection | None:
    headers = _header(text)
    if len(headers) < 5 or headers[0] not in ("PT", "FN"):
        return None
    if not all(tag in headers for tag in SIGNATURE):
        return None
    return Detection("wos-tab", 0.95, "Web of Science",
                     f"tab-separated header of {len(headers)} WoS field tags starting {' '.join(headers[:4])}",
                     opens=True)


def read(text: str, path: str, database: str | None) -> Parsed:
    skip = len(text) - len(text.lstrip("\n"))
    skip_lines = text[:skip].count("\n")
    return read_table(text, path, database or WEB_OF_SCIENCE_TAB.database, WEB_OF_SCIENCE_TAB,
                      quoting=csv.QUOTE_NONE, skip_lines=skip_lines, format_name="wos-tab")


def stream(pieces: Iterable[str], path: str, database: str | None,
           warnings: list[str] | None = None) -> Iterator[Record | Rejected]:
    """The block reader: the rows as they come, after the blank lines before the header (as :func:`read`)."""
    lines = lines_of(pieces)
    skipped: list[str] = []
    first = next(lines, None)
    while first == "":
        skipped.append(first)
        first = next(lines, None)
    if first is None:
        return
    yield from iter_table(itertools.chain(skipped, [first], lines), path, database or WEB_OF_SCIENCE_TAB.database,
                          WEB_OF_SCIENCE_TAB, quoting=csv.QUOTE_NONE, skip_lines=len(skipped),
                          warnings=warnings if warnings is not None else [])


FORMAT = FileFormat(
    name="wos-tab",
    description="Web of Science tab-delimited export (2-letter field tags as the header; UTF-8 or UTF-16)",
    sniff=sniff,
    read=read,
    aliases=("wos-tab-delimited", "wos_tab"),
    extensions=(".txt", ".tsv"),
    stream=stream,
)
