"""Nothing silently wrong in what a file says about itself: detection by evidence with precedence, repeated
header rows, truncation evidence (``--strict`` refuses it) and known export quirks read with a warning.
Every case is a real corpus file changed the way the damage or the look-alike happens."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from harvester import protocol as protocol_module
from harvester.formats import read_bytes
from harvester.formats.base import damaged
from harvester.importing import import_file
from harvester.ledger import Ledger
from harvester.ledger.records import count_records

SCOPUS_CSV = "scopus/csv/bibliometrix__scopus_sample.csv"
WOS_TAB = "wos/tab_delimited/wosfile__wos_tab_delimited_win_utf8.txt"
WOS_PLAIN = "wos/plaintext/wosfile__wos_plaintext.txt"
ZOTERO_RIS = "zotero/ris/asreview__pubmed_zotero.ris"
STATED = "misc/ris_edge_cases/rispy__example_extraneous_data.ris"


def _corpus(shared_dir: Path, name: str) -> bytes:
    return (shared_dir / "corpus" / name).read_bytes()


def _with_cell(data: bytes, column: str, value: str, rows: int | None = None) -> bytes:
    """The CSV rewritten (every cell quoted, as Scopus writes) with ``value`` put in ``column`` of the first row;
    ``rows``: the data rows repeated up to that many."""
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    header, body = table[0], [row for row in table[1:] if row]
    if rows is not None:
        body = (body * (rows // len(body) + 1))[:rows]
    body[0][header.index(column)] = value
    out = io.StringIO()
    csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n").writerows([header, *body])
    return out.getvalue().encode()


def _import(tmp_path: Path, name: str, data: bytes, strict: bool) -> tuple[str, int, tuple[str, ...], str]:
    folder = tmp_path / ("strict" if strict else "lenient")
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    protocol = folder / "review.toml"
    protocol.write_text(f'[review]\nid = "t"\nledger = "{folder / "ledger.sqlite"}"\n[query]\ntext = "x"\n'
                        '[[sources]]\nname = "Hand"\nkind = "other"\nmethod = "hand searching"\nfiles = ["a.ris"]\n',
                        encoding="utf-8")
    loaded = protocol_module.load(protocol)
    with Ledger.open(loaded.ledger_path) as ledger:
        result = import_file(ledger, loaded, path, source="Hand", strict=strict)
        stored = count_records(ledger)
    return result.status, stored, result.warnings, result.message


# --- detection by evidence with precedence ---------------------------------------------------------------

@pytest.mark.parametrize("look_alike", ["Background.\n@Article(smith2020,\nmore text", "See:\n@ARTICLE{key,"])
def test_a_csv_line_starting_like_bibtex_stays_a_scopus_csv(look_alike: str, shared_dir: Path) -> None:
    parsed = read_bytes(_with_cell(_corpus(shared_dir, SCOPUS_CSV), "Abstract", look_alike), "s.csv")
    assert parsed.format == "csv" and len(parsed.records) == 8 and not parsed.rejected
    assert parsed.records[0].abstract.startswith(look_alike.split("\n")[0])
    assert parsed.detection is not None and "runner-up bibtex" in parsed.detection.evidence
    assert "it opens the file" in parsed.detection.evidence


@pytest.mark.parametrize(("name", "column", "count"), [
    (SCOPUS_CSV, "Abstract", 8), ("lens/csv/bibliometrix__lens_sample.csv", "Abstract", 8),
    ("ieee/csv/litstudy__ieee.csv", "Abstract", 10), ("pubmed/csv/colrev__pubmed-chatbot.csv", "Title", 6),
    ("springer/csv/litstudy__springer.csv", "Item Title", 18), ("embase/csv/asreview__embase.csv", "Abstract", 6)])
def test_a_quoted_cell_holding_ris_lines_does_not_make_the_csv_ris(name: str, column: str, count: int,
                                                                  shared_dir: Path) -> None:
    cell = "Notes:\nTY  - JOUR\nTI  - Something else\nER  - \nend"
    parsed = read_bytes(_with_cell(_corpus(shared_dir, name), column, cell, rows=16), "s.csv")
    assert parsed.format == "csv" and len(parsed.records) == 16 and not parsed.rejected
    assert parsed.detection is not None and "runner-up ris" in parsed.detection.evidence


def test_a_ris_file_still_reads_as_ris_with_its_runner_up_named(shared_dir: Path) -> None:
    parsed = read_bytes(_corpus(shared_dir, WOS_TAB), "w.txt")
    assert parsed.format == "wos-tab"
    assert parsed.detection is not None and "runner-up csv" in parsed.detection.evidence
    only = read_bytes(_corpus(shared_dir, ZOTERO_RIS), "z.ris")
    assert only.detection is not None and "no other format recognised it" in only.detection.evidence


@pytest.mark.parametrize(("name", "count", "bom"), [(SCOPUS_CSV, 8, False), (SCOPUS_CSV, 8, True),
                                                    (WOS_TAB, 50, False)])
def test_two_exports_joined_skip_the_second_header_with_a_warning(name: str, count: int, bom: bool,
                                                                 shared_dir: Path) -> None:
    data = _corpus(shared_dir, name)
    if bom:
        data = b"\xef\xbb\xbf" + data
    joined = data + (b"" if data.endswith(b"\n") else b"\n") + data
    parsed = read_bytes(joined, "joined.txt")
    assert len(parsed.records) == 2 * count and not parsed.rejected
    assert "Title" not in [r.title for r in parsed.records] and "TI" not in [r.title for r in parsed.records]
    second = data.decode("utf-8-sig").count("\n") + (0 if data.endswith(b"\n") else 1) + 1
    assert any(f"joined.txt:{second}: the header row again" in w for w in parsed.warnings)


# --- truncation evidence ----------------------------------------------------------------------------------

def test_a_ris_cut_inside_its_first_record_is_flagged_and_strict_refuses(shared_dir: Path, tmp_path: Path) -> None:
    data = _corpus(shared_dir, ZOTERO_RIS)
    cut = data[: data.index(b"\nPY  - ")]  # inside record 1 of 6: no ER line anywhere yet
    parsed = read_bytes(cut, "cut.ris")
    assert len(parsed.records) == 1
    assert any("record 1 has no ER line: the file ends inside it" in w for w in damaged(parsed.warnings))
    status, stored, warnings, _ = _import(tmp_path, "cut.ris", cut, strict=False)
    assert (status, stored) == ("imported", 1) and damaged(warnings)
    status, stored, _, message = _import(tmp_path, "cut.ris", cut, strict=True)
    assert (status, stored) == ("refused", 0) and "shows damage" in message and "record 1 has no ER" in message
    whole = read_bytes(data, "whole.ris")
    assert not damaged(whole.warnings)  # the look-alike that must stay quiet: the same file, whole


def test_a_wos_tab_row_shorter_than_the_header_is_flagged(shared_dir: Path, tmp_path: Path) -> None:
    data = _corpus(shared_dir, WOS_TAB)
    lines = data.split(b"\n")
    cut = b"\n".join(lines[:10]) + b"\n" + b"\t".join(lines[10].split(b"\t")[:20])  # row 10 of 50, cut mid-row
    parsed = read_bytes(cut, "w.txt")
    assert len(parsed.records) == 10
    assert [w for w in damaged(parsed.warnings) if "w.txt:11: row 10 has 20 cells but the header has 59" in w]
    assert not damaged(read_bytes(data, "w.txt").warnings)
    assert _import(tmp_path, "w.txt", cut, strict=True)[:2] == ("refused", 0)


def test_a_count_disagreeing_with_the_files_own_total_is_flagged(shared_dir: Path, tmp_path: Path) -> None:
    data = _corpus(shared_dir, STATED)
    assert not damaged(read_bytes(data, "r.ris").warnings)  # "Record #1 of 2" ... and 2 records read
    partial = data[: data.index(b"Record #2 of 2")]
    parsed = read_bytes(partial, "r.ris")
    assert len(parsed.records) == 1
    assert any("r.ris:1: the file says it holds 2 records" in w and "but 1 were read" in w
               for w in damaged(parsed.warnings))
    assert _import(tmp_path, "r.ris", partial, strict=True)[:2] == ("refused", 0)


def test_a_wos_plain_file_without_ef_is_flagged(shared_dir: Path) -> None:
    data = _corpus(shared_dir, WOS_PLAIN)
    cut = data[: data.rindex(b"\nEF")]
    assert any("no EF line" in w for w in damaged(read_bytes(cut, "w.txt").warnings))


# --- known export quirks ----------------------------------------------------------------------------------

def test_a_csv_with_an_empty_cell_after_every_row_is_read_with_a_quirk_warning(shared_dir: Path) -> None:
    lines = _corpus(shared_dir, SCOPUS_CSV).split(b"\n")
    padded = b"\n".join([lines[0]] + [line + b"," if line.strip() else line for line in lines[1:]])
    parsed = read_bytes(padded, "p.csv")
    assert len(parsed.records) == 8 and not parsed.rejected
    assert any("p.csv:2: quirk read: 8 row(s) end with empty cells beyond the header's 45 columns" in w
               for w in parsed.warnings)
    assert not damaged(parsed.warnings)
    plain = read_bytes(b"\n".join(lines), "p.csv")
    assert not any("quirk" in w for w in plain.warnings)  # the unpadded export: no warning
    stray = b"\n".join([lines[0], lines[1] + b',"stray"', *lines[2:]])  # unknown damage: still rejected
    refused = read_bytes(stray, "p.csv")
    assert len(refused.records) == 7 and "46 cells but the header has 45" in refused.rejected[0].reason


def test_a_wos_tag_glued_to_its_value_is_read_with_a_quirk_warning(shared_dir: Path) -> None:
    data = _corpus(shared_dir, WOS_PLAIN)
    whole = read_bytes(data, "w.txt")
    first = whole.records[0]
    glued = data.replace(b"\nSO ORGANIZATION SCIENCE", b"\nSOORGANIZATION SCIENCE", 1)
    parsed = read_bytes(glued, "w.txt")
    assert len(parsed.records) == len(whole.records) and not parsed.rejected
    assert parsed.records[0].journal == first.journal == "ORGANIZATION SCIENCE"
    assert any("record 1: quirk read: line" in w and "tag SO glued to its value" in w for w in parsed.warnings)
    for damage in (b"\nQQORGANIZATION SCIENCE", b"\nSOrganization science"):  # unknown tag; lower case after it
        broken = read_bytes(data.replace(b"\nSO ORGANIZATION SCIENCE", damage, 1), "w.txt")
        assert len(broken.records) == len(whole.records) - 1 and broken.rejected[0].position == 1


# --- records run together or split (found by the fuzz benchmark) ----------------------------------------

@pytest.mark.parametrize(("name", "damage", "says"), [
    (ZOTERO_RIS, lambda d: d.replace(b"ER  -\n\nTY  - JOUR\n", b"", 1), "record 1 holds two TI lines"),
    (ZOTERO_RIS, lambda d: d.replace(b"ER  -\n\nTY  - JOUR\n", b"ER  -Y  - JOUR\n", 1), "looks like a damaged tag"),
    (ZOTERO_RIS, lambda d: d + b"\nTY", "the file ends with 'TY' after record 6's ER"),
    ("endnote/tagged_enw/colrev__ais_enl.txt", lambda d: d + d, "starts with a second %T line"),
    ("scopus/bibtex/pybibx__scopus_m.bib", lambda d: d.replace(b"@ARTICLE{Ergu20125,\n", b"", 1),
     "text between entries holds fields"),
    (WOS_PLAIN, lambda d: d.replace(b"\nER\n\nPT J\n", b"\n", 1), "holds two TI lines"),
])
def test_records_run_together_or_cut_are_never_silent(name: str, damage: object, says: str,
                                                      shared_dir: Path) -> None:
    data = _corpus(shared_dir, name)
    assert callable(damage)
    damaged_data = damage(data)
    assert damaged_data != data
    parsed = read_bytes(damaged_data, "d.txt")
    assert any(says in w for w in parsed.warnings), parsed.warnings
    assert not any(says in w for w in read_bytes(data, "d.txt").warnings)  # the undamaged file: quiet
