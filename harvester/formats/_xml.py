"""What the XML export readers share: a safe parser (no entities, no DTD, no network) and one loop that reads
a file's record elements one at a time, so a large file stays flat in memory and a file broken half-way still
gives every record before the break (the broken one rejected with its line)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
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


def read_elements(text: str, path: str, tag: str, make: Callable[[Any, int], Record], *, missing: str
                  ) -> tuple[list[Record], list[Rejected]]:
    """Every ``tag`` element made into a record by ``make(element, position)``; a record with no title, DOI or
    id is rejected with ``missing`` as the reason. Refuses a file that declares entities (no real export does;
    an entity-expansion bomb does)."""
    if re.search(r"<!ENTITY", text[:100000], re.IGNORECASE):
        raise FormatError(path, "the XML declares entities (an entity-expansion attack?); refused, nothing read",
                          line=text[: text.upper().find("<!ENTITY")].count("\n") + 1)
    body = DECLARATION.sub(lambda m: "\n" * m.group(0).count("\n"), text, count=1)
    records: list[Record] = []
    rejected: list[Rejected] = []
    position = 0
    events = etree.iterparse(io.BytesIO(body.encode("utf-8")), events=("end",), tag=tag, **PARSER_OPTIONS)
    try:
        for _, element in events:
            position += 1
            record = make(element, position)
            if record.title or record.doi or record.source_id:
                records.append(record)
            else:
                rejected.append(Rejected(position, record.line, missing, record.raw))
            element.clear(keep_tail=True)
            while element.getprevious() is not None:  # drop the records already read: memory stays flat
                del element.getparent()[0]
    except etree.XMLSyntaxError as error:
        line = error.lineno or 0
        if position == 0 and not records:
            raise FormatError(path, f"not well-formed XML: {error.msg}", line=line) from error
        rejected.append(Rejected(position + 1, line, f"the XML breaks here ({error.msg}); the file looks truncated "
                                                     "or damaged after this point"))
    return records, rejected
