"""EndNote XML: EndNote, Zotero and Bookends exports; the parser is safe against hostile XML."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.errors import FormatError
from harvester.formats import detect, read_bytes, read_file
from harvester.formats.endnote_xml import read
from tests.test_formats_csv import check_manifest_file, manifest_rows

RECORD = ('<record><ref-type name="Journal Article">17</ref-type><contributors><authors><author>'
          '<style face="normal">Smith, J</style></author></authors></contributors><titles><title>{title}</title>'
          '</titles><electronic-resource-num>10.1234/x{n}</electronic-resource-num></record>')


def test_every_corpus_endnote_xml_file_imports(shared_dir: Path) -> None:
    rows = manifest_rows(shared_dir, {"endnote_xml"}) + manifest_rows(shared_dir, {"xml"}, prefix="endnote/")
    assert len(rows) >= 4
    for row in rows:
        check_manifest_file(shared_dir, row)


def test_single_line_endnote_library(shared_dir: Path) -> None:
    parsed = read_file(shared_dir / "corpus/endnote/xml/dedupe-sweep__tafenoquine.xml")
    assert parsed.database == "EndNote" and parsed.format == "endnote-xml"
    first = parsed.records[0]
    assert first.title == "8-Aminoquinoline Therapy for Latent Malaria"
    assert first.authors == ("Baird, J. K.",) and first.year == 2019 and first.journal == "Clin Microbiol Rev"
    assert first.doi == "10.1128/cmr.00011-19"
    assert first.pmid == "31366609" == first.source_id  # accession number from NLM
    assert first.line == 1 and first.raw.startswith("<record>") and first.raw.endswith("</record>")
    assert ("titles/title", first.title) in first.tags


def test_style_wrapped_values_and_bookends(shared_dir: Path) -> None:
    record = read_file(shared_dir / "corpus/endnote/xml/jabref__EndnoteXmlImporterTestArticle.xml").records[0]
    assert record.title.startswith("Trends in the lifetime risk of developing cancer in Great Britain: comparison")
    assert "\n" not in record.title
    assert record.authors == ("Ahmad, AS", "Ormiston-Smith, N", "Sasieni, PD")
    # the shortened end page written out, as for every format
    assert record.issn == ("1532-1827", "0007-0920") and record.pages == "943-947" and record.line == 4


def test_not_confused_with_pubmed_xml(shared_dir: Path) -> None:
    text = (shared_dir / "corpus/pubmed/xml/biopython__pubmed1.xml").read_text(encoding="utf-8")
    assert detect(text, "pubmed1.xml").format != "endnote-xml"


def test_entity_declarations_are_refused() -> None:
    bomb = ('<?xml version="1.0"?>\n<!DOCTYPE xml [\n<!ENTITY a "aaaaaaaaaa">\n<!ENTITY b "&a;&a;&a;&a;&a;">\n]>\n'
            '<xml><records>' + RECORD.format(title="&b;", n=1) + '</records></xml>')
    with pytest.raises(FormatError, match="entities"):
        read(bomb, "bomb.xml", None)
    external = ('<?xml version="1.0"?>\n<!DOCTYPE xml [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
                '<xml><records>' + RECORD.format(title="&e;", n=1) + '</records></xml>')
    with pytest.raises(FormatError, match="entities"):
        read(external, "xxe.xml", None)


def test_a_dtd_is_never_fetched() -> None:
    text = ('<?xml version="1.0"?>\n<!DOCTYPE xml SYSTEM "http://127.0.0.1:9/endnote.dtd">\n<xml><records>'
            + RECORD.format(title="Fine", n=1) + "</records></xml>")
    parsed = read(text, "dtd.xml", None)
    assert [r.title for r in parsed.records] == ["Fine"]


def test_truncated_file_keeps_complete_records_and_rejects_the_rest() -> None:
    records = "\n".join(RECORD.format(title=f"Title {n}", n=n) for n in range(1, 4))
    text = '<?xml version="1.0"?>\n<xml><records>\n' + records + "\n" + RECORD.format(title="Cut", n=4)[:90]
    parsed = read(text, "cut.xml", None)
    assert [r.title for r in parsed.records] == ["Title 1", "Title 2", "Title 3"]
    assert [r.line for r in parsed.records] == [3, 4, 5]
    assert len(parsed.rejected) == 1 and parsed.rejected[0].position == 4
    assert "truncated" in parsed.rejected[0].reason


def test_not_xml_at_all_is_a_clear_error() -> None:
    with pytest.raises(FormatError, match="not well-formed"):
        read("<xml><records><record><titles>", "bad.xml", None)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_crash_the_endnote_reader(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        read_bytes(data, "fuzz.xml", format="endnote-xml")


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="<>/xmlrecodstyi&;!= \"'\n", max_size=200))
def test_xml_shaped_noise_never_crashes(text: str) -> None:
    with contextlib.suppress(FormatError):
        read_bytes(("<xml><records>" + text).encode(), "fuzz.xml", format="endnote-xml")
