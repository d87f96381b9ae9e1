"""The shared tagged-line reader (``formats/_tagged.py``): grouping, continuation lines, problems, field lookups."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from harvester.formats import _tagged
from harvester.formats.medline import SYNTAX as MEDLINE
from harvester.formats.medline import iter_records as medline_records
from harvester.formats.ovid import SYNTAX as OVID
from harvester.formats.wos_plain import _split as wos_split
from harvester.records import Record


def test_grouping_by_blank_lines_marker_and_end_tag() -> None:
    lines = ["PMID- 1", "TI  - A", "", "", "PMID- 2", "PMID- 3", "TI  - C"]
    blocks = list(_tagged.blank_separated(lines, restart=lambda line, block: line.startswith("PMID-")))
    assert [(b.line, b.lines) for b in blocks] == [(1, ["PMID- 1", "TI  - A"]), (5, ["PMID- 2"]),
                                                   (6, ["PMID- 3", "TI  - C"])]
    opened = list(_tagged.opened_by(["preamble", "<1>", "Title", "  A", "", "<2>", "Title", ""],
                                    re.compile(r"^<\d+>$")))
    assert [(b.line, b.lines) for b in opened] == [(2, ["<1>", "Title", "  A"]), (6, ["<2>", "Title"])]
    closed = list(_tagged.closed_by(["FN x", "VR 1.0", "PT J", "TI A", "ER", "", "EF", "PT J", "TI B"], wos_split,
                                    "ER", frozenset({"FN", "VR", "EF"})))
    assert [(b.line, b.lines, b.complete) for b in closed] == [(3, ["PT J", "TI A", "ER"], True),
                                                                (8, ["PT J", "TI B"], False)]


def test_continuations_list_tags_and_problems() -> None:
    tags, problem = _tagged.tags_of(["PMID- 1", "TI  - A long", "      title", "AB  - x"], 10, MEDLINE)
    assert tags == [("PMID", "1"), ("TI", "A long title"), ("AB", "x")] and problem is None
    tags, problem = _tagged.tags_of(["PMID- 1", "not a tag", "TI  - A"], 10, MEDLINE)
    assert tags == [("PMID", "1"), ("TI", "A")]
    assert problem is not None and problem.line == 11 and "line 11 is neither a tag" in problem.reason
    listed = _tagged.Syntax("test", split=lambda line: (line[:2], line[3:]) if line[:1] == "%" else None,
                            continues=lambda line: True, list_tags=frozenset({"%K"}))
    tags, _ = _tagged.tags_of(["%K one", "two", "%T A", "wrapped"], 1, listed)
    assert tags == [("%K", "one"), ("%K", "two"), ("%T", "A wrapped")]
    tags, _ = _tagged.tags_of(["References", "  First ref", "", "  Second ref", "Title", "  T"], 1, OVID)
    assert tags == [("References", "First ref\nSecond ref"), ("Title", "T")]


def test_tag_values_reads_a_table() -> None:
    values = _tagged.TagValues([("TI", ""), ("TI", "NA"), ("BT", "Book"), ("DP", "2017 Nov"), ("AID", "x [pii]"),
                                ("AID", "10.1000/x [doi]"), ("LA", "eng"), ("LA", "eng")],
                               {"title": ("TI", "BT"), "year": ("DP",), "doi": ("AID",), "language": ("LA",)})
    assert values.one("title") == "Book" and values.year() == 2017 and values.doi() == "10.1000/x"
    assert values.common() == {"title": "Book", "language": ("eng",), "year": 2017, "doi": "10.1000/x"}


_VALUE = st.text(alphabet="abc XYZ019.,", min_size=1, max_size=30).map(lambda v: " ".join(v.split())).filter(bool)


@given(st.lists(st.lists(st.tuples(st.sampled_from(["TI", "AB", "FAU", "MH", "OT"]), _VALUE), max_size=5),
                min_size=1, max_size=4))
def test_medline_records_read_back_as_written(records: list[list[tuple[str, str]]]) -> None:
    """Records written as MEDLINE (long values wrapped onto 6-space lines) come back with the same tags."""
    text: list[str] = []
    for number, tags in enumerate(records, start=1):
        text.append(f"PMID- {number}")
        for tag, value in tags:
            head, _, rest = value.partition(" ")
            text.append(f"{tag:<4}- {head}")
            if rest:
                text.append(f"      {rest}")
        text.append("")
    read = list(medline_records(text, "x.nbib", None))
    assert all(isinstance(r, Record) for r in read)
    assert [[t for t in r.tags if t[0] != "PMID"] for r in read if isinstance(r, Record)] == records
