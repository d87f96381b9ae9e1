"""CSV exports: every vendor's column table (``csv_columns``), generic CSV with a mapping, our own export.

Reading keeps each row's verbatim text (``raw``: the physical lines the row spans, so a multi-line
abstract stays one record) and every non-empty cell as a ``(header, value)`` tag, unknown columns
included; an empty cell carries nothing that ``raw`` does not already keep. A row that cannot be read
(more cells than the header, or an unterminated quote at the end of a truncated file, or nothing that
identifies a record) becomes a :class:`Rejected` with its line and row number, and reading goes on.

Values are normalised by the field cleaners of ``_fields.py``, which every importer uses: one definition
of "a bare DOI" or "Surname, Given" whatever the file.

Writing (:func:`write_csv`) is for our own export: lists are joined with ``"; "`` (a ``;`` inside a value
is written ``\\;``), and a cell beginning with ``= + - @``, tab, CR or ``'`` gets a leading ``'`` so a
spreadsheet shows it as text instead of running it as a formula. Reading our own export undoes both,
so export then import gives back the same normalised records.
"""

from __future__ import annotations

import csv
import itertools
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from typing import Any, TextIO
from urllib.parse import parse_qs, urlsplit

from harvester.errors import FormatError
from harvester.formats._fields import (
    author,
    clean,
    find_doi,
    issns,
    join_escaped,
    pages,
    pmid_of,
    split_cell,
    strip_markup,
    year_of,
)
from harvester.formats.base import Damage, Detection, FileFormat, Parsed, Rejected, lines_of
from harvester.formats.csv_columns import (
    EXPORT_COLUMNS,
    PREAMBLE_PREFIXES,
    PRISMA_HARVESTER,
    TABLES,
    ColumnTable,
)
from harvester.records import BIBLIOGRAPHIC_FIELDS, LIST_FIELDS, Record

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

#: First characters a spreadsheet would treat as a formula (plus ``'``, our own escape).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'")

#: Fields a mapping (or a generic CSV whose headers are our field names) may name.
MAPPABLE_FIELDS: tuple[str, ...] = (*BIBLIOGRAPHIC_FIELDS, "source_id", "page_start", "page_end")

# ---------------------------------------------------------------------------------------------------------
# composite citation strings


def _pubmed_citation(values: list[str]) -> dict[str, str]:
    """``Behav Ther. 2022 Mar;53(2):334-347. doi: 10.1016/...`` -> volume, issue, pages, doi."""
    found: dict[str, str] = {}
    text = values[0] if values else ""
    match = re.search(r";\s*(?P<volume>[^();:.\s]*)\s*(?:\((?P<issue>[^)]*)\))?(?::(?P<pages>[^.;\s]+))?", text)
    if match:
        found.update({k: v.strip() for k, v in match.groupdict().items() if v and v.strip()})
    doi = re.search(r"doi:\s*(\S+)", text)
    if doi:
        found["doi"] = doi.group(1)
    return found


def _embase_citation(values: list[str]) -> dict[str, str]:
    """``Endoscopic Ultrasound (2014) 3:3 (152-160). Date of ...`` plus the SFX link's doi/issn/pmid."""
    found: dict[str, str] = {}
    source = values[0] if values else ""
    match = re.match(r"(?P<journal>.+?) \((?P<year>\d{4})\)(?: (?P<volume>[^:\s(]+)(?::(?P<issue>[^\s(]+))?)?"
                     r"(?: \((?P<pages>[^)]*)\))?", source)
    if match:
        found.update({k: v for k, v in match.groupdict().items() if v})
    link = values[1] if len(values) > 1 else ""
    if link:
        query = parse_qs(urlsplit(link).query)
        for ident in query.get("id", []):
            kind, _, value = ident.partition(":")
            if kind.lower() in ("doi", "pmid"):
                found[kind.lower()] = value
        if query.get("issn"):
            found["issn"] = query["issn"][0]
    return found


def _zotero_extra(values: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    text = values[0] if values else ""
    pmid = re.search(r"\bPMID:\s*(\d+)", text)
    if pmid:
        found["pmid"] = pmid.group(1)
    doi = re.search(r"\bDOI:\s*(\S+)", text)
    if doi:
        found["doi"] = doi.group(1)
    return found


_CITATION_PARSERS: dict[str, Callable[[list[str]], dict[str, str]]] = {
    "pubmed": _pubmed_citation,
    "embase": _embase_citation,
    "zotero-extra": _zotero_extra,
}


# ---------------------------------------------------------------------------------------------------------
# recognising a header


def _header_line(text: str) -> tuple[int, str]:
    """The index (0-based line) and text of the header line: after blank lines and known preambles."""
    for number, line in enumerate(text.split("\n", 20)[:20]):
        if not line.strip() or line.startswith(PREAMBLE_PREFIXES):
            continue
        return number, line
    return 0, ""


def _delimiter(line: str) -> str:
    counts = {d: line.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: counts[d])


def _parse_header(line: str, delimiter: str) -> list[str]:
    try:
        cells = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return []
    return [cell.strip().strip('"').strip() for cell in cells]


def match_table(headers: Iterable[str], delimiter: str = ",") -> ColumnTable | None:
    """The vendor table whose signature headers are all present (the most specific one wins)."""
    present = {h.casefold() for h in headers}
    best: ColumnTable | None = None
    for table in TABLES:
        if (table.delimiter == "\t") != (delimiter == "\t"):
            continue  # a comma table also reads a vendor CSV re-saved with ";" by a European Excel
        matched = all(column.casefold() in present for column in table.signature)
        if matched and (best is None or len(table.signature) > len(best.signature)):
            best = table
    return best


def named_columns_table(headers: Iterable[str], database: str | None = None) -> ColumnTable | None:
    """A table for a CSV whose headers are our own field names (``title``, ``authors``, ``doi``...)."""
    present = {h.casefold(): h for h in headers}
    known = [name for name in MAPPABLE_FIELDS if name in present]
    if "title" not in known or len(known) < 3:
        return None
    return mapping_table({name: present[name] for name in known}, database)


def mapping_problems(mapping: Mapping[str, str]) -> list[str]:
    """What is wrong with a user's column mapping (field -> header): unknown fields (each named with every
    field that can be mapped) and empty headers. Empty: nothing."""
    problems = [f"unknown field {name!r}; map any of: {', '.join(MAPPABLE_FIELDS)}"
                for name in mapping if name not in MAPPABLE_FIELDS]
    problems += [f"field {name!r} is mapped to an empty column name" for name, column in mapping.items()
                 if not column.strip()]
    return problems


def mapping_table(mapping: Mapping[str, str], database: str | None, delimiter: str = ",") -> ColumnTable:
    """A column table from a user's mapping of our field names to their CSV's headers."""
    problems = mapping_problems(mapping)
    if problems:
        raise FormatError("mapping", "; ".join(problems))
    separators = {column: ";" for name, column in mapping.items() if name in LIST_FIELDS}
    return ColumnTable(
        name="mapped", database=database or "CSV", signature=tuple(mapping.values()),
        fields={name: (column,) for name, column in mapping.items()}, separators=separators,
        author_forms={column: "as-written" for name, column in mapping.items() if name == "authors"},
        delimiter=delimiter, confidence=0.5,
    )


def sniff(text: str) -> Detection | None:
    """A comma-, semicolon- or tab-separated header: a vendor's (confident), our field names, or unknown (weak)."""
    number, line = _header_line(text)
    if not line:
        return None
    delimiter = _delimiter(line)
    headers = _parse_header(line, delimiter)
    if len(headers) < 2:
        return None
    table = match_table(headers, delimiter)
    if table is not None and table.delimiter != "\t":
        database = table.database or None
        return Detection("csv", table.confidence, database,
                         f"CSV header of a {table.name} export (line {number + 1}: {', '.join(table.signature)})",
                         opens=True)
    if named_columns_table(headers) is not None:
        return Detection("csv", 0.5, None, f"CSV header naming record fields (line {number + 1})", opens=True)
    if len(headers) >= 3 and all(0 < len(h) <= 60 for h in headers):
        return Detection("csv", 0.1, None, f"a CSV header matching no known export (line {number + 1})")
    return None


# ---------------------------------------------------------------------------------------------------------
# reading


def read(text: str, path: str, database: str | None) -> Parsed:
    """The registry's entry: a vendor CSV recognised by its header (else a clear error asking for a mapping)."""
    return read_csv(text, path, database)


def read_csv(text: str, path: str, database: str | None = None, mapping: Mapping[str, str] | None = None,
             table: ColumnTable | None = None) -> Parsed:
    """Read a CSV export. ``mapping`` (our field -> the file's header) reads any spreadsheet; else the
    header must match a vendor's table or name our fields. ``table`` forces a vendor layout."""
    table, quoting, number = _table_for(text, path, database, mapping, table)
    return read_table(text, path, database, table, quoting=quoting, skip_lines=number)


def stream(pieces: Iterable[str], path: str, database: str | None,
           warnings: list[str] | None = None, mapping: Mapping[str, str] | None = None) -> Iterator[Record | Rejected]:
    """The block reader: the header and its table decided on the first lines (as :func:`read_csv` does on the
    whole text, which looks no further than 20 lines), then the rows as they come, one at a time. ``mapping``
    (``import --map``) reads the columns it names, as :func:`read_csv` does."""
    lines = lines_of(pieces)
    head = [line for _, line in zip(range(21), lines, strict=False)]
    try:
        table, quoting, number = _table_for("\n".join(head), path, database, mapping, None)
    except FormatError:
        return  # nothing streamed: the whole-file reader says why
    yield from iter_table(itertools.chain(head, lines), path, database, table, quoting=quoting, skip_lines=number,
                          warnings=warnings if warnings is not None else [])


def _table_for(text: str, path: str, database: str | None, mapping: Mapping[str, str] | None,
               table: ColumnTable | None) -> tuple[ColumnTable, int, int]:
    """The column table a CSV is read with, its quoting and its header's line index (from the text's start)."""
    number, line = _header_line(text)
    delimiter = table.delimiter if table is not None else _delimiter(line)
    headers = _parse_header(line, delimiter)
    if not headers or not any(headers):
        raise FormatError(path, "no CSV header line found", line=number + 1)
    if table is None and mapping is not None:
        table = mapping_table(mapping, database, delimiter)
        missing = [column for column in mapping.values() if column.casefold() not in {h.casefold() for h in headers}]
        if missing:
            raise FormatError(path, f"the mapping names column(s) {', '.join(map(repr, missing))} that the header "
                                    f"does not have (headers: {', '.join(headers)})", line=number + 1)
    if table is None:
        table = match_table(headers, delimiter) or named_columns_table(headers, database)
        if table is not None and table.delimiter != delimiter:
            table = replace(table, delimiter=delimiter)
    if table is None:
        shown = ", ".join(repr(h) for h in headers[:40]) + (" ..." if len(headers) > 40 else "")
        raise FormatError(path, f"CSV header matches no known export (PubMed, Scopus, Embase, Lens, IEEE, Springer, "
                                f"OpenAlex, Zotero, Dimensions, Rayyan, ASReview, Web of Science); headers seen: "
                                f"{shown}; name the columns title, authors, year, doi, abstract... (see "
                                f"docs/exporting.md) or read it with a column mapping",
                          line=number + 1)
    quoting = csv.QUOTE_NONE if table.delimiter == "\t" else csv.QUOTE_MINIMAL
    return table, quoting, number


def read_table(text: str, path: str, database: str | None, table: ColumnTable, *, quoting: int = csv.QUOTE_MINIMAL,
               skip_lines: int = 0, format_name: str = "csv") -> Parsed:
    """Read every row of a delimited file with one vendor table (also used by ``wos_tab``)."""
    records: list[Record] = []
    rejected: list[Rejected] = []
    warnings: list[str] = []
    state: dict[str, Any] = {}
    for item in iter_table(text.split("\n"), path, database, table, quoting=quoting, skip_lines=skip_lines,
                           warnings=warnings, state=state):
        (records if isinstance(item, Record) else rejected).append(item)  # type: ignore[arg-type]
    if state.get("headers") is None:
        raise FormatError(path, "no CSV header line found")
    if not records and not rejected:
        raise FormatError(path, "the header is there but no row follows it (an empty or cut-short export?)",
                          line=skip_lines + 1)
    name = table.database or database or "CSV"
    return Parsed(path=path, format=format_name, database=database or name, records=tuple(records),
                  rejected=tuple(rejected), warnings=tuple(warnings))


def iter_table(lines: Iterable[str], path: str, database: str | None, table: ColumnTable, *, warnings: list[str],
               quoting: int = csv.QUOTE_MINIMAL, skip_lines: int = 0,
               state: dict[str, Any] | None = None) -> Iterator[Record | Rejected]:
    """The rows of a delimited text's lines (as ``text.split("\\n")`` gives them) read with one vendor table,
    one at a time: records and rejected rows in file order, warnings added to ``warnings``; ``state`` gets
    the header's cells (None: no header)."""
    padded: list[int] = []  # lines of rows with trailing empty cells beyond the header (a known quirk)
    headers: list[str] | None = None
    position = 0
    usual: int | None = None  # the cell count every row before the last shared (-1: they differ)
    last: tuple[int, int, int] | None = None  # the last row: line, position, cells
    open_rows = 0  # rows before the last that end in the delimiter (an exporter's trailing delimiter)
    last_raw = ""
    rows = _rows(lines, table.delimiter, quoting, skip_lines)
    try:
        for line, raw, cells in rows:
            if headers is None:
                headers = _header_cells(cells)
                if state is not None:
                    state["headers"] = headers
                continue
            if not any(cell.strip() for cell in cells) and (quoting == csv.QUOTE_NONE or raw.count('"') % 2 == 0):
                continue  # a blank line is no record (a lone opening quote at the end of a cut file is one)
            if _header_cells(cells) == headers:
                warnings.append(f"{path}:{line}: the header row again (two exports joined into one file?); "
                                "skipped, not read as a record")
                continue
            position += 1
            if last is not None:
                usual = last[2] if usual is None or usual == last[2] else -1
                open_rows += last_raw.rstrip("\r").endswith(table.delimiter)
            last, last_raw = (line, position, len(cells)), raw
            problem = _row_problem(cells, headers, raw, quoting)
            if problem:
                yield Rejected(position, line, problem, raw)
                continue
            if len(cells) < len(headers):
                warnings.append(Damage(f"{path}:{line}: row {position} has {len(cells)} cells but the header has "
                                       f"{len(headers)}: cut short? (read as it is)"))
            elif len(cells) > len(headers) and table.delimiter != "\t":
                padded.append(line)  # empty cells only: _row_problem refuses any other extra cell
            record = _record(table, headers, cells, raw, line, position, database)
            if table.name != PRISMA_HARVESTER.name and not (record.source_id or any(record.bibliographic().values())):
                yield Rejected(position, line, "the row holds no bibliographic field and no database id "
                                               f"(columns used: {', '.join(_columns(table))})", raw)
                continue
            yield record
    except csv.Error as error:
        yield Rejected(position + 1, rows.line, f"unreadable CSV from here on: {error}")
    if last is not None and usual is not None and 0 < last[2] < usual and last[2] >= len(headers or ()):
        warnings.append(Damage(f"{path}:{last[0]}: row {last[1]}, the last, has {last[2]} cells where every row "
                               f"before it has {usual}: cut short in its last cells? (read as it is)"))
    if last is not None and _cut_after_delimiter(rows.open_end, last_raw, open_rows, table.delimiter):
        warnings.append(Damage(f"{path}:{last[0]}: row {last[1]}, the last, ends in a delimiter with no line end "
                               "after it: cut short right after a delimiter? (read as it is)"))
    if padded and headers is not None:
        warnings.append(f"{path}:{padded[0]}: quirk read: {len(padded)} row(s) end with empty cells beyond the "
                        f"header's {len(headers)} columns (a delimiter after the last cell, as some older exports "
                        "write); the empty cells are ignored")


def _cut_after_delimiter(open_end: bool, raw: str, open_rows: int, delimiter: str) -> bool:
    """Whether the file's text ends in a delimiter, its last row not ended by a line end: a writer ends each row
    with a line end or, when it writes none after the last, with the last cell's value (or its quotes), never
    with a bare delimiter; a file cut right after a delimiter does (its last row may still hold every cell, the
    last one read as empty). Not for rows every one of which ends in a delimiter (an exporter's trailing
    delimiter: Web of Science tab files end each row in a tab), nor for tab files at all, whose last cell may
    be a lone tab's empty cell."""
    return open_end and delimiter != "\t" and not open_rows and raw.rstrip("\r").endswith(delimiter)


def _header_cells(cells: list[str]) -> list[str]:
    """A header row's names: quotes, spaces, a byte-order mark (a second file's, when two were joined) and
    empty trailing cells dropped."""
    headers = [cell.strip().lstrip("\ufeff").strip().strip('"').strip() for cell in cells]
    while headers and not headers[-1]:
        headers.pop()
    return headers


def _columns(table: ColumnTable) -> list[str]:
    return sorted({column for columns in table.fields.values() for column in columns})


class _rows:  # noqa: N801 - an iterator object that also knows its current line
    """Rows with their first physical line and their verbatim text (multi-line quoted cells included)."""

    def __init__(self, lines: Iterable[str], delimiter: str, quoting: int, skip_lines: int) -> None:
        self._lines = iter(lines)
        self._index = skip_lines
        self._skip = skip_lines
        self._buffer: list[str] = []
        self.line = skip_lines + 1
        self.open_end = False  # the text ends without a line end after its last row
        self._reader = csv.reader(self._feed(), delimiter=delimiter, quoting=quoting)  # type: ignore[arg-type]

    def _feed(self) -> Iterator[str]:
        """The lines after the skipped ones, each with its newline; the empty text after a final newline is
        no line (one line is read ahead to know it)."""
        for _ in zip(range(self._skip), self._lines, strict=False):
            pass
        line = next(self._lines, None)
        while line is not None:
            following = next(self._lines, None)
            if following is None and line == "":
                return
            self.open_end = following is None  # the file's last line, with no line end after it
            self._index += 1
            self._buffer.append(line)
            yield line + "\n"
            line = following

    def __iter__(self) -> _rows:
        return self

    def __next__(self) -> tuple[int, str, list[str]]:
        self._buffer = []
        start = self._index + 1
        self.line = start
        cells = next(self._reader)
        return start, "\n".join(self._buffer), cells


def _row_problem(cells: list[str], headers: list[str], raw: str, quoting: int) -> str:
    if quoting != csv.QUOTE_NONE and raw.count('"') % 2:
        return "unterminated quoted cell (the file looks truncated here)"
    extra = [cell for cell in cells[len(headers):] if cell.strip()]
    if extra:
        return f"the row has {len(cells)} cells but the header has {len(headers)} (a stray delimiter or quote?)"
    return ""


def _record(table: ColumnTable, headers: list[str], cells: list[str], raw: str, line: int, position: int,
            database: str | None) -> Record:
    own = table.name == PRISMA_HARVESTER.name
    tags: list[tuple[str, str]] = []
    by_name: dict[str, str] = {}
    for header, written in zip(headers, cells, strict=False):
        value = restore(written) if own else written
        if value:
            tags.append((header, value))
        by_name.setdefault(header.casefold(), value)
    extra_cells = [(f"column {i + 1}", c) for i, c in enumerate(cells) if i >= len(headers) and c]
    tags.extend(extra_cells)

    def cell(column: str) -> str:
        value = by_name.get(column.casefold(), "")
        return value if own else clean(value)

    values: dict[str, Any] = {}
    for name, columns in table.fields.items():
        if name == "citation":
            continue
        if name in LIST_FIELDS:
            items: list[str] = []
            for column in columns:
                raw_value = cell(column)
                if table.citation_style == "pubmed" and name == "authors":
                    raw_value = raw_value.rstrip(".")
                parts = split_cell(raw_value, table.separators.get(column, ";"))
                if name == "authors":
                    form = table.author_forms.get(column, "as-written")
                    parts = [author(p, form) for p in parts] if not own else parts
                    if parts:
                        items = parts
                        break
                items.extend(p for p in parts if p not in items)
            values[name] = items
        else:
            values[name] = next((cell(c) for c in columns if cell(c)), "")
    if table.citation_style:
        parsed = _CITATION_PARSERS[table.citation_style]([cell(c) for c in table.fields.get("citation", ())])
        for name, value in parsed.items():
            if name == "issn":
                values.setdefault("issn", [])
                if not values["issn"]:
                    values["issn"] = [value]
            elif not values.get(name):
                values[name] = value
    return _build(values, table, tags, raw, line, position, database, by_name, own)


def _build(values: dict[str, Any], table: ColumnTable, tags: list[tuple[str, str]], raw: str, line: int,
           position: int, database: str | None, by_name: dict[str, str], own: bool) -> Record:
    page_range = values.pop("pages", "")
    start, end = values.pop("page_start", ""), values.pop("page_end", "")
    if not own:
        page_range = pages(start, end) if start or end else pages(page_range)
    year_text = values.pop("year", "")
    source_id = values.pop("source_id", "")
    if not own:
        source_id = source_id.removeprefix("https://openalex.org/")
    row_database = by_name.get("database", "") if own else ""
    fields: dict[str, Any] = {k: v for k, v in values.items() if k in MAPPABLE_FIELDS}
    for name in LIST_FIELDS:
        if name in fields:
            fields[name] = tuple(fields[name])
    if not own:
        fields["title"] = strip_markup(fields.get("title", ""))
        fields["abstract"] = strip_markup(fields.get("abstract", ""))
    fields.update(
        pages=page_range,
        issn=issns(values.pop("issn", [])),
        year=year_of(year_text) if isinstance(year_text, str) else None,
        doi=find_doi(fields.get("doi", "")),
        pmid=pmid_of(fields.get("pmid", "")) if fields.get("pmid") else "",
        source_id=source_id,
        database=row_database or database or table.database or "CSV",
        raw=raw,
        tags=tuple(tags),
        position=position,
        line=line,
    )
    return Record(**fields)


# ---------------------------------------------------------------------------------------------------------
# writing our own export


def write_csv(rows: Iterable[Mapping[str, object]], out: TextIO, columns: tuple[str, ...] = EXPORT_COLUMNS) -> int:
    """Write rows (column -> value; lists joined, every cell neutralised) under ``columns``; returns the count."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([neutralise(_cell(row.get(column))) for column in columns])
        count += 1
    return count


def neutralise(cell: str) -> str:
    """Make a cell safe to open in a spreadsheet: a leading ``'`` before a formula-like start."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def restore(cell: str) -> str:
    """Undo :func:`neutralise` (only for our own export, which is the only one that applies it)."""
    if len(cell) > 1 and cell[0] == "'" and cell[1] in "=+-@\t\r'\n":
        return cell[1:]
    return cell


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return join_escaped(str(v) for v in value)
    return str(value)


def record_row(record: Record) -> dict[str, object]:
    """A record's normalised fields under our export's column names."""
    row: dict[str, object] = {name: getattr(record, name) for name in BIBLIOGRAPHIC_FIELDS}
    row["source_id"] = record.source_id
    row["database"] = record.database
    return row


FORMAT = FileFormat(
    name="csv",
    description="CSV exports (PubMed, Scopus, Embase, Lens, IEEE, Springer, OpenAlex, Zotero, Dimensions, "
                "Rayyan, ASReview, our own export) recognised by their header",
    sniff=sniff,
    read=read,
    aliases=("scopus-csv", "pubmed-csv", "embase-csv", "lens-csv", "ieee-csv", "springer-csv", "openalex-csv",
             "zotero-csv"),
    extensions=(".csv",),
    stream=stream,
)
