"""Every real export in ../shared/corpus whose scope is ``import`` imports: exactly the manifest's record
count, no crash, a title wherever the raw record has one, a DOI wherever the raw record holds one.

The test walks MANIFEST.csv, so a file added there later is covered without a code change. It reads
through ``harvester.formats.read_file`` (detection included), so it covers every format module.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest

from harvester.formats import read_file
from harvester.records import Record

#: Rows where the manifest's count and the file disagree, checked by hand; each with the reason.
#: The test still pins the count we expect, so a change in either direction is noticed.
MANIFEST_ERRATA: dict[str, tuple[int, str]] = {
    "endnote/tagged_enw/colrev__ais_enl.txt": (
        6, "the manifest counted '%0' lines (2); the file holds 6 blank-line-separated records, 4 of them "
           "without the optional %0 type line, each with a title, authors and a URL"),
}

#: Tags (as each format names them, compared case-insensitively) whose value is the record's own DOI.
DOI_TAGS = frozenset({"do", "di", "doi", "%r", "item doi", "electronic-resource-num", "doi number",
                      "digital object identifier"})
#: Tags whose value is the record's title.
TITLE_TAGS = frozenset({"ti", "t1", "title", "%t", "document title", "item title", "articletitle", "booktitle",
                        "titles/title", "article title"})
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_XML_DOI = re.compile(r'(?:IdType|EIdType)="doi"[^>]*>\s*10\.|<electronic-resource-num>(?:<[^>]+>)*\s*10\.')
_XML_TITLE = re.compile(r"<(ArticleTitle|BookTitle|title)\b[^>]*>(?:<[^>]+>)*\s*[^<\s]")


def _rows() -> list[dict[str, str]]:
    from tests.conftest import _shared

    manifest = _shared() / "corpus" / "MANIFEST.csv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["scope"] == "import"]


def _holds_doi(record: Record) -> bool:
    for tag, value in record.tags:
        name = tag.lower()
        if name in DOI_TAGS and _DOI.search(value):
            return True
        if name in ("aid", "lid") and value.endswith("[doi]"):
            return True
    return bool(_XML_DOI.search(record.raw))


def _holds_title(record: Record) -> bool:
    if any(tag.lower() in TITLE_TAGS and value.strip() for tag, value in record.tags):
        return True
    return bool(_XML_TITLE.search(record.raw))


@pytest.mark.parametrize("row", _rows(), ids=lambda row: row["path"])
def test_manifest_file_imports(row: dict[str, str], shared_dir: Path) -> None:
    expected = int(row["records"])
    if row["path"] in MANIFEST_ERRATA:
        expected = MANIFEST_ERRATA[row["path"]][0]
    parsed = read_file(shared_dir / "corpus" / row["path"])
    assert len(parsed.records) == expected, (
        f"{row['path']}: {len(parsed.records)} records imported, manifest says {expected}; "
        f"rejected: {[r.reason for r in parsed.rejected][:3]}")
    assert not parsed.rejected, [r.reason for r in parsed.rejected][:3]
    for record in parsed.records:
        where = f"{row['path']} record {record.position} (line {record.line})"
        assert record.raw, f"{where}: no raw text"
        assert record.tags, f"{where}: no tags"
        if _holds_title(record):
            assert record.title, f"{where}: the raw record has a title, the record none"
        if _holds_doi(record):
            assert record.doi and _DOI.fullmatch(record.doi), f"{where}: the raw record holds a DOI, got {record.doi!r}"
            assert not record.doi.lower().startswith(("http", "doi:")), where
    assert [r.position for r in parsed.records] == sorted(r.position for r in parsed.records)


def test_the_manifest_is_walked(shared_dir: Path) -> None:
    rows = _rows()
    assert len(rows) >= 78
    assert all((shared_dir / "corpus" / row["path"]).is_file() for row in rows)
