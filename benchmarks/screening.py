"""How long screening takes on real records: rules, outcomes, a decisions sheet for every record, the audit.

Usage (from the repository root; ``../shared`` beside it)::

    .venv/bin/python benchmarks/screening.py [--copies N]

The records are the labelled de-duplication sets' (../shared/benchmarks/dedup/, real bibliographic
records with abstracts), stored ``N`` times over (default 10) in a temporary ledger as one file source.
The rules are the seed protocol's (queries/peer-support.toml: one language rule, two boolean queries) plus a
year rule and a field regex. Prints each figure with the command that produced it.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))
sys.path.insert(0, str(REPO))

from dedup_sets import SETS, load_set  # noqa: E402

from harvester import protocol as protocol_module  # noqa: E402
from harvester.ledger import Ledger  # noqa: E402
from harvester.ledger.records import add_records  # noqa: E402
from harvester.ledger.runs import finish_run, start_run  # noqa: E402
from harvester.protocol import Rule  # noqa: E402
from harvester.screening import apply_rules, export_sheet, import_decisions  # noqa: E402
from harvester.screening.audit import summary  # noqa: E402
from harvester.screening.outcomes import record_outcomes  # noqa: E402

EXTRA_RULES = (
    Rule("recent", "year", "automation", "exclude", "Before 1990", {"from": 1990}),
    Rule("trial-regex", "field", "title-abstract", "flag", "Trial", {"field": "tiab", "regex": r"randomi[sz]ed"}),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()
    shared = REPO.parent / "shared" / "benchmarks" / "dedup"
    records = [record for name in SETS for _, record in load_set(shared, name).records]
    with tempfile.TemporaryDirectory() as folder:
        text = (REPO / "queries" / "peer-support.toml").read_text(encoding="utf-8")
        text = text.replace('ledger = "../cache/peer-support.sqlite"', 'ledger = "ledger.sqlite"')
        path = Path(folder) / "bench.toml"
        path.write_text(text, encoding="utf-8")
        loaded = protocol_module.load(path)
        loaded = replace(loaded, rules=loaded.rules + EXTRA_RULES)
        with Ledger.open(loaded.ledger_path) as ledger:
            run_id = start_run(ledger, "import", source="CINAHL")
            for copy in range(args.copies):
                add_records(ledger, [replace(r, source_id=f"{copy}-{i}") for i, r in enumerate(records)],
                            run_id=run_id, source="CINAHL")
            finish_run(ledger, run_id)
            n = len(records) * args.copies
            print(f"command: .venv/bin/python benchmarks/screening.py --copies {args.copies}")
            print(f"records: {n} ({len(records)} labelled records x {args.copies}), rules: {len(loaded.rules)}")

            started = time.perf_counter()
            result = apply_rules(ledger, loaded)
            seconds = time.perf_counter() - started
            print(f"rules run: {seconds:.2f} s ({n * len(loaded.rules) / seconds:,.0f} rule evaluations/s); "
                  f"fired {result.fired}")

            started = time.perf_counter()
            outcomes = record_outcomes(ledger, loaded)
            print(f"record_outcomes: {time.perf_counter() - started:.2f} s for {len(outcomes)} outcomes")

            started = time.perf_counter()
            sheet = export_sheet(ledger, loaded, "title-abstract")
            print(f"screen export (title-abstract): {time.perf_counter() - started:.2f} s, {sheet.records} rows")

            rows = list(csv.DictReader(io.StringIO(sheet.text)))
            for name in ("JM", "JS"):
                out = io.StringIO()
                writer = csv.writer(out, lineterminator="\n")
                writer.writerow(["record_id", "stage", "decision"])
                for i, row in enumerate(rows):
                    writer.writerow([row["record_id"], "title-abstract",
                                     "include" if (i % 7 == 0 or (name == "JS" and i % 11 == 0)) else "exclude"])
                decisions = Path(folder) / f"{name}.csv"
                decisions.write_text(out.getvalue(), encoding="utf-8")
                started = time.perf_counter()
                imported = import_decisions(ledger, loaded, decisions, reviewer=name)
                print(f"screen import ({name}): {time.perf_counter() - started:.2f} s, {imported.stored} decisions")

            started = time.perf_counter()
            tallies = summary(ledger, loaded)
            print(f"audit summary: {time.perf_counter() - started:.2f} s, {len(tallies)} lines")


if __name__ == "__main__":
    main()
