"""Diagrams: golden DOT text per template, the seed flow in the rendered SVG, both renderers, options."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prisma.counts import Line, PrismaCounts
from prisma.diagram import DiagramOptions, RenderError, draw, render, renderer, to_dot
from prisma.prisma2020_csv import read_counts
from prisma.templates import TEMPLATES
from tests.conftest import missing_tool

DATA = Path(__file__).parent / "data"
GOLDEN = Path(__file__).parent / "golden"
SEED_NUMBERS = ("1,520", "8", "1,528", "1,489", "39", "5", "34")

UPDATED = PrismaCounts(
    previous_studies=12, previous_reports=15, database_results=300,
    database_specific_results=(Line("MEDLINE", 200), Line("Scopus", 100)), register_results=20,
    register_specific_results=(Line("ClinicalTrials.gov", 20),), website_results=4, citations_results=6,
    duplicates=80, excluded_automatic=10, excluded_other=0, records_screened=230, records_excluded=200,
    records_excluded_automation=50, records_excluded_reviewers=150, dbr_sought_reports=30,
    dbr_notretrieved_reports=2, dbr_assessed=28, dbr_excluded=(Line('Wrong "population" <adults>', 20),
                                                               Line("Wrong design & setting", 3)),
    other_sought_reports=10, other_notretrieved_reports=1, other_assessed=9, other_excluded=(Line("No data", 4),),
    new_studies=9, new_reports=10, total_studies=21, total_reports=25,
)


def _seed_2009() -> PrismaCounts:
    return read_counts(DATA / "seed_flow_2009.csv").counts


def _seed_2020() -> PrismaCounts:
    return read_counts(DATA / "seed_flow_2020.csv").counts


CASES = {
    "seed_2009": (_seed_2009, "2009", DiagramOptions()),
    "seed_new_other": (_seed_2020, "new-other", DiagramOptions()),
    "updated_other_greyscale": (lambda: UPDATED, "updated-other", DiagramOptions(greyscale=True, footnotes=True)),
    "updated": (lambda: UPDATED, "updated", DiagramOptions(font="Times", font_size=9, box_width=2.8)),
    "new": (lambda: UPDATED, "new", DiagramOptions(links=True)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_dot_matches_the_golden_file(case: str) -> None:
    make, template, options = CASES[case]
    dot = to_dot(make(), TEMPLATES[template], options)
    golden = GOLDEN / f"{case}.dot"
    if os.environ.get("PRISMA_HARVEST_UPDATE_GOLDEN") == "1":
        golden.write_text(dot, encoding="utf-8")
    assert dot == golden.read_text(encoding="utf-8"), "DOT changed; if intended: PRISMA_HARVEST_UPDATE_GOLDEN=1"
    assert dot == to_dot(make(), TEMPLATES[template], options)  # deterministic


def _texts(svg: bytes) -> str:
    return " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg.decode("utf-8")))


def test_seed_review_renders_in_the_2009_layout_with_the_published_numbers() -> None:
    text = _texts(draw(_seed_2009(), TEMPLATES["2009"], "svg"))
    for number in SEED_NUMBERS:
        assert f"(n = {number})" in text, number
    assert "Records after duplicates removed" in text and "(n = 1,528)" in text
    assert "No peer perspective (n = 5)" in text
    assert "Eligibility" in text and "meta-analysis" not in text  # the optional box is hidden when blank


def test_seed_review_renders_in_the_2020_other_methods_layout() -> None:
    text = _texts(draw(_seed_2020(), TEMPLATES["new-other"], "svg"))
    for expected in ("Databases (n = 1,520)", "Citation searching (n = 8)", "Records screened", "(n = 1,489)",
                     "(n = 31)", "(n = 8)", "No peer perspective (n = 5)", "(n = 34)",
                     "Identification of studies via other methods"):
        assert expected in text, expected


def test_user_text_is_escaped_not_injected() -> None:
    dot = to_dot(UPDATED, TEMPLATES["new"])
    assert "Wrong &quot;population&quot; &lt;adults&gt;" in dot or 'Wrong "population" &lt;adults&gt;' in dot
    assert "Wrong design &amp; setting" in dot
    text = _texts(draw(UPDATED, TEMPLATES["new"], "svg"))
    assert "&lt;adults&gt;" in text and "&amp; setting" in text


def test_greyscale_has_no_colour() -> None:
    colour, grey = (to_dot(UPDATED, TEMPLATES["updated-other"], DiagramOptions(greyscale=g)) for g in (False, True))
    assert "#ffc125" in colour and "#bcd2ee" in colour
    fills = set(re.findall(r'fillcolor="?(#[0-9a-f]{6}|\w+)', grey))
    for fill in fills:
        if fill.startswith("#"):
            assert fill[1:3] == fill[3:5] == fill[5:7], fill  # every fill is a grey


def test_long_text_is_wrapped_to_the_box() -> None:
    long = PrismaCounts(database_results=1, dbr_excluded=(Line("A very long exclusion reason " * 4, 1),))
    narrow = to_dot(long, TEMPLATES["new"], DiagramOptions(box_width=2.0))
    line = re.search(r"dbr_excluded \[label=<([^>]*(?:<BR/>[^>]*)*)>", narrow)
    assert line is not None
    assert max(len(part) for part in line.group(1).split("<BR/>")) <= 30


@pytest.fixture
def pure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRISMA_HARVEST_RENDERER", "pure")


@pytest.fixture
def system(monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("dot") is None:
        missing_tool("no system Graphviz `dot` on PATH (apt-get install graphviz; .ci/run installs it)",
                     "PRISMA_HARVEST_REQUIRE_DOT")
    monkeypatch.delenv("PRISMA_HARVEST_RENDERER", raising=False)


def test_graphviz_pure_renders_svg_and_high_resolution_png(pure: None) -> None:
    assert renderer() == "graphviz-pure"
    svg = draw(_seed_2009(), TEMPLATES["2009"], "svg")
    assert b"graphviz-pure" in svg and b"(n = 1,528)" in svg
    low = draw(_seed_2009(), TEMPLATES["2009"], "png", DiagramOptions(dpi=100))
    high = draw(_seed_2009(), TEMPLATES["2009"], "png", DiagramOptions(dpi=300))
    assert low[:8] == high[:8] == b"\x89PNG\r\n\x1a\n"
    low_width, high_width = (int.from_bytes(png[16:20], "big") for png in (low, high))
    assert 2.8 < high_width / low_width < 3.2


def test_graphviz_pure_pdf_is_a_well_formed_raster_pdf(pure: None, tmp_path: Path) -> None:
    pdf = draw(_seed_2009(), TEMPLATES["2009"], "pdf", DiagramOptions(dpi=300))
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF") and b"/DCTDecode" in pdf
    svg = draw(_seed_2009(), TEMPLATES["2009"], "svg").decode("utf-8")
    width_pt = float(re.search(r'<svg width="([\d.]+)pt"', svg).group(1))  # type: ignore[union-attr]
    media = re.search(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert media is not None and abs(float(media.group(1)) - width_pt) < 2  # same size as the vector figure
    xref = int(re.search(rb"startxref\n(\d+)", pdf).group(1))  # type: ignore[union-attr]
    assert pdf[xref:xref + 4] == b"xref"
    for number, offset in enumerate(re.findall(rb"(\d{10}) 00000 n", pdf), start=1):
        assert pdf[int(offset):].startswith(f"{number} 0 obj".encode())
    if shutil.which("pdfinfo"):
        (tmp_path / "d.pdf").write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(tmp_path / "d.pdf")], capture_output=True, text=True, check=True)
        assert "Pages:           1" in info.stdout


def test_system_graphviz_renders_svg_png_and_pdf(system: None) -> None:
    assert renderer() == "system"
    svg = draw(_seed_2020(), TEMPLATES["new-other"], "svg")
    assert b"(n = 1,489)" in svg and b"graphviz-pure" not in svg
    assert draw(_seed_2020(), TEMPLATES["new-other"], "png")[:4] == b"\x89PNG"
    assert draw(_seed_2020(), TEMPLATES["new-other"], "pdf")[:5] == b"%PDF-"


def test_dot_format_is_the_source_and_unknown_formats_are_refused() -> None:
    assert render("digraph {}", "dot") == b"digraph {}"
    with pytest.raises(RenderError, match="unknown format"):
        render("digraph {}", "gif")


@settings(max_examples=25, deadline=None)
@given(names=st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60)
                      .filter(str.strip), min_size=1, max_size=3, unique=True))
def test_any_reason_text_renders_and_reads_back(names: list[str]) -> None:
    """Quotes, brackets, ampersands, backslashes, non-Latin text: the DOT never breaks (PRISMA2020#83)."""
    before = os.environ.get("PRISMA_HARVEST_RENDERER")
    os.environ["PRISMA_HARVEST_RENDERER"] = "pure"
    try:
        k = len(names) + 100
        counts = PrismaCounts(database_results=1000, duplicates=0, records_screened=1000, records_excluded=1000 - k,
                              dbr_sought_reports=k, dbr_notretrieved_reports=0, dbr_assessed=k,
                              dbr_excluded=tuple(Line(name, 1) for name in names), new_studies=100, new_reports=100)
        svg = draw(counts, TEMPLATES["new"], "svg").decode("utf-8")
    finally:
        if before is None:
            del os.environ["PRISMA_HARVEST_RENDERER"]
        else:
            os.environ["PRISMA_HARVEST_RENDERER"] = before
    assert svg.count("(n = 1)") == len(names)


def test_a_count_is_never_split_across_lines() -> None:
    for words in range(1, 15):
        counts = PrismaCounts(database_results=1, dbr_excluded=(Line("word " * words + "end", 1234),))
        assert "(n = 1,234)" in to_dot(counts, TEMPLATES["new"]), words


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_footnotes_come_from_the_data_and_their_marks_only_with_them(template: str) -> None:
    without = to_dot(UPDATED, TEMPLATES[template])
    assert "*" not in without  # no mark pointing at a footnote that is not there
    with_notes = to_dot(UPDATED, TEMPLATES[template], DiagramOptions(footnotes=True, box_width=6.0))
    for instruction in ("Consider, if feasible", "If automation tools were used", "indicate how many"):
        assert instruction not in with_notes
    if template == "2009":  # the 2009 diagram has no footnotes, and so no marks
        assert "*" not in with_notes
        return
    assert "Records identified from*:" in with_notes and "Records excluded**" in with_notes
    assert "*Records identified per database: MEDLINE (n = 200), Scopus (n = 100); per register: " \
        "ClinicalTrials.gov (n = 20)." in with_notes
    assert "**Records excluded at title/abstract screening: 150 by reviewers, 50 by automation tools. Before " \
        "screening, 10 record(s) were marked as ineligible by automation tools." in with_notes
    unsplit = to_dot(replace(UPDATED, records_excluded_automation=None, records_excluded_reviewers=None,
                             database_specific_results=()), TEMPLATES[template],
                     DiagramOptions(footnotes=True, box_width=6.0))
    assert "*Records identified from databases (n = 300), not reported per database" in unsplit
    assert "split between reviewers and automation tools was not reported" in unsplit
    # a review with no database records (registers only): nothing is "not reported per database"
    registers_only = to_dot(replace(UPDATED, database_results=0, database_specific_results=()), TEMPLATES[template],
                            DiagramOptions(footnotes=True, box_width=6.0))
    assert "not reported per database" not in registers_only
    assert "*Records identified per register: ClinicalTrials.gov (n = 20)." in registers_only
