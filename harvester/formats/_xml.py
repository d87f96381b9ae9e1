"""What the XML export readers share: a safe parser (no entities, no DTD, no network) and one loop that reads
a file's record elements one at a time, so a large file stays flat in memory and a file broken half-way still
gives every record before the break (the broken one rejected with its line). The loop reads text arriving in
pieces (:class:`PieceReader`): the whole text is one piece, a large file's blocks are many, and both give the
same records, since lxml's ``iterparse`` reads its source in pieces either way."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import Any

from lxml import etree

from harvester.errors import FormatError
from harvester.formats.base import Rejected
from harvester.records import Record

PARSER_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}
DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


#: How much of a file's start is looked at for declared entities.
ENTITY_HEAD = 100_000


class PieceReader:
    """Text arriving in pieces, read as UTF-8 bytes (a file object for lxml's ``iterparse``): holds one piece."""

    def __init__(self, pieces: Iterable[str]) -> None:
        self._pieces = iter(pieces)
        self._held = b""
        self._at = 0

    def read(self, size: int = -1) -> bytes:
        while self._at >= len(self._held):
            piece = next(self._pieces, None)
            if piece is None:
                return b""
            self._held, self._at = piece.encode("utf-8"), 0
        end = len(self._held) if size < 0 else self._at + size
        found = self._held[self._at:end]
        self._at += len(found)
        return found


def head_of(pieces: Iterable[str], size: int) -> tuple[str, Iterator[str]]:
    """The first ``size`` characters of a text arriving in pieces (or more: whole pieces), and the rest."""
    found: list[str] = []
    held = 0
    rest = iter(pieces)
    while held < size:
        piece = next(rest, None)
        if piece is None:
            break
        found.append(piece)
        held += len(piece)
    return "".join(found), rest


#: ``check(element, position)``: a warning about a record element (evidence of damage), or None.
Check = Callable[[Any, int], "str | None"]


def read_elements(text: str, path: str, tag: str, make: Callable[[Any, int], Record], *, missing: str,
                  warnings: list[str] | None = None, check: Check | None = None
                  ) -> tuple[list[Record], list[Rejected]]:
    """Every ``tag`` element of a whole text, as :func:`iter_elements` reads them: records and rejected."""
    records: list[Record] = []
    rejected: list[Rejected] = []
    for item in iter_elements([text], path, tag, make, missing=missing, warnings=warnings, check=check):
        (records if isinstance(item, Record) else rejected).append(item)  # type: ignore[arg-type]
    return records, rejected


def iter_elements(pieces: Iterable[str], path: str, tag: str, make: Callable[[Any, int], Record], *, missing: str,
                  warnings: list[str] | None = None, check: Check | None = None) -> Iterator[Record | Rejected]:
    """Every ``tag`` element made into a record by ``make(element, position)``, in order; a record with no title,
    DOI or id is rejected with ``missing`` as the reason; ``check`` may add a warning about an element. Refuses a
    file that declares entities (no real export does; an entity-expansion bomb does), and one not well-formed
    before its first record."""
    head, rest = head_of(pieces, ENTITY_HEAD)
    if re.search(r"<!ENTITY", head[:ENTITY_HEAD], re.IGNORECASE):
        raise FormatError(path, "the XML declares entities (an entity-expansion attack?); refused, nothing read",
                          line=head[: head.upper().find("<!ENTITY")].count("\n") + 1)
    head = DECLARATION.sub(lambda m: "\n" * m.group(0).count("\n"), head, count=1)
    position = 0
    events = etree.iterparse(PieceReader(chain([head], rest)), events=("end",), tag=tag, **PARSER_OPTIONS)
    try:
        for _, element in events:
            position += 1
            record = make(element, position)
            noticed = check(element, position) if check is not None else None
            if noticed and warnings is not None:
                warnings.append(f"{path}:{element.sourceline or 0}: record {position} {noticed}")
            if record.title or record.doi or record.source_id:
                yield record
            else:
                yield Rejected(position, record.line, missing, record.raw)
            element.clear(keep_tail=True)
            while element.getprevious() is not None:  # drop the records already read: memory stays flat
                del element.getparent()[0]
    except etree.XMLSyntaxError as error:
        line = error.lineno or 0
        if position == 0:
            raise FormatError(path, f"not well-formed XML: {error.msg}", line=line) from error
        yield Rejected(position + 1, line, f"the XML breaks here ({error.msg}); the file looks truncated "
                                           "or damaged after this point")
