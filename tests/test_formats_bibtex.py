"""BibTeX: the real Scopus, WoS, EBSCO, ProQuest and Europe PMC exports, LaTeX text, malformed entries."""

from __future__ import annotations

import contextlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester.errors import FormatError
from harvester.formats import read_bytes, read_file
from harvester.formats.bibtex import latex_to_text, read, text_to_latex
from tests.test_formats_csv import check_manifest_file, manifest_rows


def test_every_corpus_bibtex_file_imports(shared_dir: Path) -> None:
    rows = manifest_rows(shared_dir, {"bibtex"})
    assert len(rows) >= 6
    for row in rows:
        check_manifest_file(shared_dir, row)


def test_scopus_header_lines_and_database_ids(shared_dir: Path) -> None:
    parsed = read_file(shared_dir / "corpus/scopus/bibtex/pybibx__scopus_m.bib")
    assert parsed.database == "Scopus" and parsed.format == "bibtex"
    first = parsed.records[0]
    assert first.source_id == "2-s2.0-85083087417"  # the EID of the scopus.com link, not the key
    assert ("ID", "Haseli202079") in first.tags
    assert first.pages == "79-88"  # "79 – 88"
    assert first.authors == ("Haseli, Gholamreza", "Sheikh, Reza", "Sana, Shib Sankar")
    assert first.line == 4 and first.raw.startswith("@ARTICLE{Haseli202079,")


def test_wos_capitalised_fields_and_unique_id(shared_dir: Path) -> None:
    parsed = read_file(shared_dir / "corpus/wos/bibtex/pybibx__wos_m.bib")
    assert parsed.database == "Web of Science"
    first = parsed.records[0]
    assert first.source_id == "WOS:000278542800018"
    assert first.title.endswith("using a neural network-based model")  # wrapped over two lines
    assert first.doi == "10.1016/j.amc.2010.04.009"
    assert first.issn == ("0096-3003", "1873-5649")


def test_ebsco_entry_with_junk_braces_is_read_line_by_line(shared_dir: Path) -> None:
    parsed = read_file(shared_dir / "corpus/ebsco/bibtex/colrev__ebsco_bib.bib")
    assert [r.title for r in parsed.records] == ["Paper title.", "When sharing fixes prices."]
    assert parsed.records[1].source_id == "13362467620181001" and parsed.records[1].line == 15
    assert any("line by line" in w for w in parsed.warnings)
    assert parsed.records[0].source_id == "11111111111111111"  # AN= of the EBSCO link


def test_europe_pmc_key_gives_the_pmid_and_percent_signs_survive(shared_dir: Path) -> None:
    record = read_file(shared_dir / "corpus/europepmc/bibtex/colrev__europe_pmc_bib.bib").records[0]
    assert record.pmid == "18888888" and record.source_id == "PMID:18888888"
    assert "PERCENTAGE" in record.title
    assert record.abstract.endswith("abstract with HTML .(P = 0.05) and (P = 0.03)")


def test_latex_to_text() -> None:
    assert latex_to_text(r"M{\"u}ller and {\'E}cole \& Sons, 50\% of {COVID}-19") == \
        "Müller and École & Sons, 50% of COVID-19"
    assert latex_to_text(r"\c{c}a \v{s} \ss{} {\o} \o x \textit{in vivo} \unknown") == "ça š ß ø øx in vivo \\unknown"
    for text in ["a\\b{c}%&_#$", "\\textbackslash{}", "{\\\"o}", "plain"]:
        assert latex_to_text(text_to_latex(text)) == text


def test_a_broken_entry_is_rejected_with_its_line_and_the_rest_read() -> None:
    text = ("@article{a,\n  title = {First},\n}\n\n"
            "@article{b,\n  title = {Second, its brace never closed,\n  year = {2020}\n\n"
            "@article{c,\n  title = {Third},\n}\n\n"
            "@article{a,\n  title = {Same key as the first},\n}\n")
    parsed = read(text, "x.bib", None)
    assert [r.title for r in parsed.records] == ["First", "Third", "Same key as the first"]
    assert [(j.position, j.line) for j in parsed.rejected] == [(2, 5)]
    assert "unreadable BibTeX entry" in parsed.rejected[0].reason
    assert [r.position for r in parsed.records] == [1, 3, 4]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_arbitrary_bytes_never_crash_the_bibtex_reader(data: bytes) -> None:
    with contextlib.suppress(FormatError):
        read_bytes(data, "fuzz.bib", format="bibtex")


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="@{}=,\"\\ abc\n%#", max_size=200))
def test_bibtex_shaped_noise_never_crashes(text: str) -> None:
    with contextlib.suppress(FormatError):
        parsed = read_bytes(text.encode(), "fuzz.bib", format="bibtex")
        assert all(r.line >= 1 for r in parsed.records)


def test_string_macros_and_concatenation() -> None:
    text = ('@string{jnl = "Journal of Things"}\n@article{k,\n  title = "A {Q}uoted title of " # jnl # {, part 2},\n'
            '  journal = jnl,\n  note = {C# and F# # notes},\n  booktitle = {C# programming},\n}\n')
    record = read(text, "x.bib", None).records[0]
    assert record.title == "A Quoted title of Journal of Things, part 2"
    assert record.journal == "Journal of Things"
    assert ("note", "C# and F# # notes") in record.tags
