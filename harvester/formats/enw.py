"""EndNote tagged / refer (``.enw``): ``%0 Journal Article``, ``%T`` title, ``%A`` author ... per line.

Records are separated by blank lines; ``%0`` (the reference type) is optional in practice (the AIS
eLibrary writes it for some records only), so a record is any blank-line-separated run of ``%`` lines.
A line without ``%`` continues the value above it (``%K`` keywords are one per line this way).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from harvester.formats import _fields as f
from harvester.formats import _tagged
from harvester.formats.base import Detection, FileFormat, Parsed, Rejected
from harvester.records import Record

#: Normalised field -> refer tags, most trusted first.
FIELD_TAGS: dict[str, tuple[str, ...]] = {
    "title": ("%T",),
    "abstract": ("%X",),
    "authors": ("%A",),
    "year": ("%D", "%8"),
    "journal": ("%J", "%B"),
    "journal_abbrev": ("%O",),  # refer's "other" field; EndNote puts the alternate (abbreviated) title here
    "issn": ("%@",),
    "volume": ("%V",),
    "issue": ("%N",),
    "pages": ("%P",),
    "doi": ("%R", "%U"),
    "language": ("%G",),
    "publication_types": ("%0", "%9"),
    "keywords": ("%K",),
    "url": ("%U",),
    "publisher": ("%I",),
    "source_id": ("%M", "%F"),
}

#: Tags a record holds once besides ``%T`` and ``%0`` (which open the next record when repeated): one year, date,
#: volume, issue, page range, journal and secondary title. Two in one record are two records run together, the
#: blank line between them and the second one's ``%T`` lost (fuzz seed 4: 6 records read as 5, in silence).
ONCE = ("%D", "%8", "%V", "%N", "%P", "%J", "%B")

#: Tags whose continuation lines are further values.
LIST_TAGS = frozenset({"%K", "%A", "%E"})


def _split(line: str) -> tuple[str, str] | None:
    if len(line) >= 2 and line[0] == "%" and not line[1].isspace() and (len(line) == 2 or line[2] == " "):
        return line[:2], line[3:].strip()
    return None


def _blank_before(line: int, blanks: set[int]) -> bool:
    return line - 1 in blanks


def _second_start(line: str, block: list[str]) -> bool:
    """``%0`` (type) and ``%T`` (title) come once per record: a second one opens the next record."""
    return line[:3] in ("%0 ", "%T ") and any(b[:3] == line[:3] for b in block)


SYNTAX = _tagged.Syntax(name="EndNote '%X '", split=_split, continues=lambda line: True, list_tags=LIST_TAGS)


def iter_records(lines: Iterable[str], path: str, database: str | None,
                 warnings: list[str] | None = None) -> Iterator[Record | Rejected]:
    """Records from refer lines: blank-line separated; a record must open with a ``%`` tag. A second ``%0`` or
    ``%T`` line opens the next record (two exports joined with no blank line between them); a record with
    neither a title nor a type is read with a warning (one record split in two by a misplaced blank line?), and so
    is a record that opens with another tag than the file's first record: a writer writes its fields in one
    order (EndNote ``%0`` first, others ``%T``), so the second part of a record split by a blank line opens with
    a tag the others do not open with."""
    blanks: set[int] = set()  # line numbers of blank lines, to tell a record opened by a repeated tag

    def watched() -> Iterator[str]:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                blanks.add(number)
            yield line

    opening = ""  # the tag the file's first record opens with: its writer's first field (%0 for EndNote)
    for position, block in enumerate(_tagged.blank_separated(watched(), restart=_second_start), start=1):
        tags, problem = _tagged.tags_of(block.lines, block.line, SYNTAX)
        opening = opening or (tags[0][0] if tags and problem is None else "")
        if problem is not None:
            yield _tagged.rejected(block, position, path, f"does not start with a '%' tag ({block.lines[0][:40]!r}); "
                                                          "not an EndNote tagged record")
        else:
            if warnings is not None and block.line > 1 and not _blank_before(block.line, blanks):
                warnings.append(f"{path}:{block.line}: record {position} starts with a second {block.lines[0][:2]} "
                                "line and no blank line before it: read as a new record (two files joined, or a "
                                "doubled line?)")
            if warnings is not None and not {tag for tag, _ in tags} & {"%T", "%0"}:
                warnings.append(f"{path}:{block.line}: record {position} has neither a title (%T) nor a type (%0): "
                                "part of the record before it?")
            elif warnings is not None and tags and tags[0][0] != opening and _blank_before(block.line, blanks):
                warnings.append(f"{path}:{block.line}: record {position} opens with {tags[0][0]}, the file's first "
                                f"record with {opening}: the rest of the record before it, split by a blank line? "
                                "(read as it is)")
            twice = next((tag for tag in ONCE if sum(1 for found, _ in tags if found == tag) > 1), None)
            if warnings is not None and twice:
                warnings.append(f"{path}:{block.line}: record {position} holds two {twice} lines: two records run "
                                "together (a blank line and the next one's %T lost)? read as one")
            yield to_record(tuple(tags), database=database, position=position, line=block.line,
                            raw="\n".join(block.lines))
        blanks.difference_update([number for number in blanks if number < block.line])  # memory: the recent ones


def to_record(tags: tuple[tuple[str, str], ...], *, database: str | None, position: int = 0, line: int = 0,
              raw: str = "") -> Record:
    values = _tagged.TagValues(tags, FIELD_TAGS)
    return Record(**(values.common() | {
        "authors": f.unique(f.author(v) for v in values.all("authors")), "pages": f.pages(values.one("pages")),
        "database": database or "EndNote", "raw": raw, "tags": tags, "position": position, "line": line}))


def read(text: str, path: str, database: str | None) -> Parsed:
    return _tagged.read_records(text, path, database, records=iter_records, sniff=sniff, format_name=FORMAT.name,
                                label="EndNote tagged", missing="no '%T' or '%0' line", default_database="EndNote")


def sniff(text: str) -> Detection | None:
    """EndNote tagged if most of the first non-blank lines are ``%X value`` and a ``%T`` or ``%0`` is among them."""
    lines = [line for line in text[:10000].split("\n")[:200] if line.strip()]
    tagged = [line for line in lines if _split(line) is not None]
    if not tagged or len(tagged) < 0.6 * len(lines) or _split(lines[0]) is None:
        return None
    if not any(line.startswith(("%T ", "%0 ")) for line in tagged):
        return None
    return Detection("enw", 0.85, None, f"EndNote tagged: {len(tagged)} of the first {len(lines)} lines are '%' tags",
                     opens=True)


FORMAT = FileFormat(
    name="enw",
    description="EndNote tagged / refer text (%0, %T, %A ...; .enw)",
    sniff=sniff,
    read=read,
    aliases=("endnote-tagged", "refer", "tagged_enw"),
    extensions=(".enw", ".txt"),
    stream=_tagged.streamer(iter_records),
)
