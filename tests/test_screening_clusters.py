"""A study already screened is never sent back to screening when a later import brings a copy of it from a
preferred database (which de-duplication then keeps): its decisions count for the cluster's kept record."""

from __future__ import annotations

from pathlib import Path

from harvester import protocol as protocol_module
from harvester.dedup.runs import dedupe_ledger
from harvester.importing import import_file
from harvester.ledger import Ledger
from harvester.ledger.duplicates import current_duplicates
from harvester.screening import import_decisions
from harvester.screening.outcomes import record_outcomes

PROTOCOL = """
[review]
id = "clusters"
ledger = "ledger.sqlite"
[query]
text = "peer AND health"
[[sources]]
name = "MEDLINE"
kind = "file"
files = ["medline.ris"]
[[sources]]
name = "CINAHL"
kind = "file"
files = ["cinahl.ris"]
[dedup]
source_preference = ["MEDLINE", "CINAHL"]
[screening]
reviewers = ["JM", "JS"]
full_text_reasons = ["No peer perspective"]
"""

RECORD = """TY  - JOUR
TI  - Peer support among inpatients in an adult mental health setting
AU  - Bouchard, L
AU  - Montreuil, M
AU  - Gros, C
PY  - 2010
JO  - Issues in Mental Health Nursing
VL  - 31
IS  - 9
SP  - 589
EP  - 598
DO  - 10.3109/01612841003793049
DB  - {db}
ER  -
"""


def _decisions(folder: Path, record_id: int, stage: str) -> Path:
    path = folder / f"{stage}.csv"
    rows = [f"{record_id},{stage},{who},include," for who in ("JM", "JS")]
    path.write_text("record_id,stage,reviewer,decision,reason\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_decisions_follow_the_study_when_a_preferred_copy_becomes_the_kept_record(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_text(PROTOCOL, encoding="utf-8")
    (tmp_path / "cinahl.ris").write_text(RECORD.format(db="CINAHL"), encoding="utf-8")
    (tmp_path / "medline.ris").write_text(RECORD.format(db="MEDLINE").replace("Issues in Mental Health Nursing",
                                                                              "Issues Ment Health Nurs"),
                                          encoding="utf-8")
    protocol = protocol_module.load(tmp_path / "p.toml")
    with Ledger.open(protocol.ledger_path) as ledger:
        (cinahl_id,) = import_file(ledger, protocol, tmp_path / "cinahl.ris", source="CINAHL").record_ids
        dedupe_ledger(ledger, protocol)
        for stage in ("title-abstract", "full-text"):
            import_decisions(ledger, protocol, _decisions(tmp_path, cinahl_id, stage))
        assert [o.end for o in record_outcomes(ledger, protocol)] == ["included"]

        (medline_id,) = import_file(ledger, protocol, tmp_path / "medline.ris", source="MEDLINE").record_ids
        dedupe_ledger(ledger, protocol)
        assert current_duplicates(ledger) == {cinahl_id: medline_id}  # the preferred copy is now kept
        ends = {o.record_id: o.end for o in record_outcomes(ledger, protocol)}
    assert ends == {medline_id: "included", cinahl_id: "duplicate"}
