"""Register exports: ClinicalTrials.gov's CSV download and the WHO ICTRP XML export, detected like the other
formats, read into records, and counted on the diagram's "Registers" line through a source of kind register."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester import formats
from harvester.cli.main import app
from harvester.errors import FormatError
from tests.test_withdraw import _run, example  # noqa: F401 - the example review fixture

DATA = Path(__file__).parent / "data"
EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "peer-support"
runner = CliRunner()


def test_clinicaltrials_gov_csv_is_detected_and_read() -> None:
    parsed = formats.read_file(EXAMPLE / "clinicaltrials.csv")
    assert (parsed.format, parsed.database) == ("csv", "ClinicalTrials.gov")
    assert parsed.detection is not None and parsed.detection.database == "ClinicalTrials.gov"
    first = parsed.records[0]
    assert (first.source_id, first.year) == ("NCT99900017", 2012)
    assert first.title == "Peer Support Workers for Adults Leaving Inpatient Mental Health Care"
    assert first.url == "https://clinicaltrials.gov/study/NCT99900017"
    third = parsed.records[2]
    assert set(third.keywords) == {"Breastfeeding", "BEHAVIORAL: Peer support", "OTHER: Usual care"}  # "|" split


def test_a_csv_lacking_the_register_columns_is_not_taken_for_clinicaltrials_gov(tmp_path: Path) -> None:
    look_alike = tmp_path / "trials.csv"
    look_alike.write_text('"NCT Number","Study Title","Title","Authors"\n"NCT99900017","A","A","Smith J"\n',
                          encoding="utf-8")
    detection = formats.detect(look_alike.read_text(encoding="utf-8"), str(look_alike)) \
        if _detects(look_alike) else None
    assert detection is None or detection.database != "ClinicalTrials.gov"


def _detects(path: Path) -> bool:
    try:
        formats.detect(path.read_text(encoding="utf-8"), str(path))
    except FormatError:
        return False
    return True


def test_ictrp_xml_is_detected_and_read() -> None:
    parsed = formats.read_file(DATA / "ictrp_sample.xml")
    assert (parsed.format, parsed.database) == ("ictrp-xml", "WHO ICTRP")
    assert [r.source_id for r in parsed.records] == ["ISRCTN99900042", "ACTRN12699900077"]
    first, second = parsed.records
    assert first.title.startswith("A randomised controlled trial of peer support workers")  # scientific title
    assert second.title == "Peer educators for hepatitis C in prisons"  # no scientific title: the public one
    assert (first.year, second.year) == (2012, 2013)
    assert set(first.keywords) == {"Mental disorders", "Psychosis", "Peer support worker"}
    assert ("Source_Register", "ANZCTR") in second.tags and second.url.startswith("https://www.anzctr.org.au/")


def test_ictrp_xml_refuses_entities_and_keeps_trials_before_a_break(tmp_path: Path) -> None:
    text = (DATA / "ictrp_sample.xml").read_text(encoding="utf-8")
    bomb = tmp_path / "bomb.xml"
    bomb.write_text(text.replace("<Trials_downloaded_from_ICTRP>",
                                 '<!DOCTYPE x [<!ENTITY a "aaaa">]>\n<Trials_downloaded_from_ICTRP>'),
                    encoding="utf-8")
    with pytest.raises(FormatError, match="declares entities"):
        formats.read_file(bomb, format="ictrp-xml")
    cut = tmp_path / "cut.xml"
    cut.write_text(text[: text.index("<Trial>", text.index("</Trial>"))] + "<Trial><TrialID>NCT9", encoding="utf-8")
    parsed = formats.read_file(cut)
    assert [r.source_id for r in parsed.records] == ["ISRCTN99900042"] and len(parsed.rejected) == 1
    endnote = '<?xml version="1.0"?><xml><records><record><titles><title>T</title></titles></record></records></xml>'
    assert formats.get_format("ictrp-xml").sniff(endnote) is None  # another XML export is not ICTRP's


def test_a_register_source_fills_the_registers_line_and_prisma_s(example: Path, tmp_path: Path) -> None:  # noqa: F811
    counts = json.loads(runner.invoke(app, ["counts", str(example)]).stdout)
    assert counts["register_results"] == 3
    assert counts["register_specific_results"] == [{"name": "ClinicalTrials.gov", "n": 3}]
    assert counts["database_results"] == 144  # the register's records are not database records
    _run("diagram", str(example), "--out", str(tmp_path / "d.dot"), "--format", "dot")
    assert "Registers (n = 3)" in (tmp_path / "d.dot").read_text(encoding="utf-8")
    _run("report", str(example), "--search-markdown", "--out", str(tmp_path / "s.md"))
    text = (tmp_path / "s.md").read_text(encoding="utf-8")
    registers = text[text.index("## Study registers searched through export files"):text.index("## Other methods")]
    assert "| ClinicalTrials.gov | ClinicalTrials.gov (Download, CSV) |" in registers and "| 3 |" in registers
    databases = text[text.index("## Databases searched through export files"):text.index("## Study registers")]
    assert "ClinicalTrials.gov" not in databases
    # an ICTRP export imported under the register source counts on the same line
    _run("import", str(example), str(DATA / "ictrp_sample.xml"), "--source", "ClinicalTrials.gov", "--force")
    _run("dedupe", str(example))
    counts = json.loads(runner.invoke(app, ["counts", str(example)]).stdout)
    assert counts["register_results"] == 5
