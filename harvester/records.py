"""The one record type every source and file format produces.

A :class:`Record` is what a database said about one reference: the normalised bibliographic fields
that de-duplication, screening and export use, plus what an auditor needs to find it again (the
database, its own id, the raw text verbatim, every tag as read, and its place in the file).
Records are immutable; changing one means making a new one with :func:`dataclasses.replace`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from typing import Any

#: The normalised bibliographic fields, in export order. Lists are tuples of strings.
BIBLIOGRAPHIC_FIELDS: tuple[str, ...] = (
    "title",
    "abstract",
    "authors",
    "year",
    "journal",
    "journal_abbrev",
    "issn",
    "volume",
    "issue",
    "pages",
    "doi",
    "pmid",
    "language",
    "publication_types",
    "keywords",
    "mesh",
    "url",
    "publisher",
)

LIST_FIELDS: frozenset[str] = frozenset(
    {"authors", "issn", "language", "publication_types", "keywords", "mesh"}
)


@dataclass(frozen=True, slots=True)
class Record:
    """One reference as one database returned it.

    ``authors`` holds names as ``"Surname, Given"`` (or a collective name as printed); ``year`` is
    the publication year as an int when known. ``tags`` is every field of the source as read, in
    order, unknown tags included: ``(("TI", "A title"), ("AU", "Smith, J"), ...)``.
    """

    title: str = ""
    abstract: str = ""
    authors: tuple[str, ...] = ()
    year: int | None = None
    journal: str = ""
    journal_abbrev: str = ""
    issn: tuple[str, ...] = ()
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str = ""
    pmid: str = ""
    language: tuple[str, ...] = ()
    publication_types: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    mesh: tuple[str, ...] = ()
    url: str = ""
    publisher: str = ""
    # provenance
    database: str = ""
    source_id: str = ""
    raw: str = ""
    tags: tuple[tuple[str, str], ...] = field(default=())
    position: int = 0
    line: int = 0

    def bibliographic(self) -> dict[str, Any]:
        """The normalised fields only, as plain JSON-ready values."""
        return {name: _plain(getattr(self, name)) for name in BIBLIOGRAPHIC_FIELDS}

    def to_json(self) -> str:
        """Everything, as JSON (tags as a list of pairs; ``json`` writes tuples as arrays).

        Field by field rather than ``dataclasses.asdict``, which deep-copies every tag tuple first (several
        times slower, and this runs for every record stored)."""
        return json.dumps({f.name: getattr(self, f.name) for f in fields(self)}, ensure_ascii=False)

    @classmethod
    def from_mapping(cls, data: dict[str, Any]) -> Record:
        """Build a record from a mapping such as :meth:`to_json` wrote; unknown keys are ignored."""
        known = _FIELD_NAMES if cls is Record else {f.name for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in data.items():
            if key not in known or value is None and key != "year":
                continue
            if key in LIST_FIELDS:
                values[key] = tuple(value)
            elif key == "tags":
                values[key] = tuple((str(t), str(v)) for t, v in value)
            else:
                values[key] = value
        if cls is Record:  # the ledger's reads build one per row: the fast constructor, missing fields defaulted
            return record_from_fields(*[values.get(name, default) for name, default in _DEFAULTS])
        return cls(**values)

    def tag_values(self, tag: str) -> list[str]:
        """Every value of one raw tag, in file order."""
        return [value for name, value in self.tags if name == tag]


#: The field names of a record, found once (reading a ledger builds a record per row).
_FIELD_NAMES = frozenset(f.name for f in fields(Record))


def _unchecked_twin() -> Callable[..., Record]:
    """A constructor of records for readers that make one per record of a large file (RIS: 100,000 records).

    A frozen dataclass sets each of its 24 fields through ``object.__setattr__`` (about 4 us a record, a tenth
    of reading one). The twin class has the same slots in the same order and no frozen check: the constructor
    fills a twin by plain assignments, then makes it a :class:`Record` (Python allows the change of class
    between two classes with the same slots). The result is a Record like any other: equal, hashed, pickled and
    frozen the same. The constructor is generated from Record's fields, as ``dataclasses`` generates Record's
    own ``__init__``, so a field added to Record is added here too.
    """
    names = tuple(f.name for f in fields(Record))
    twin = type("_RecordTwin", (), {"__slots__": names})
    body = "".join(f"    record.{name} = {name}\n" for name in names)
    code = (f"def record_from_fields({', '.join(names)}):\n    record = new(Twin)\n{body}"
            "    record.__class__ = Record\n    return record\n")
    namespace: dict[str, Any] = {"new": object.__new__, "Twin": twin, "Record": Record}
    exec(code, namespace)  # generated from Record's own field names, as dataclasses generates __init__
    made: Callable[..., Record] = namespace["record_from_fields"]
    return made


#: ``Record(*values)`` (every field, positionally, in Record's order), about five times faster; see
#: :func:`_unchecked_twin`.
record_from_fields: Callable[..., Record] = _unchecked_twin()
#: Every field's name and default, in Record's order (all defaults are immutable: shared safely).
_DEFAULTS = tuple((f.name, f.default) for f in fields(Record))
if any(f.default is MISSING for f in fields(Record)):
    raise ImportError("every Record field needs a plain default: update records._DEFAULTS")


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value
