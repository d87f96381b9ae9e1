"""What the search report (PRISMA-S) says about each source's query, as plain values.

Per source searched with the query: the exact string for its database, the warnings of that
translation, the lint result for that database, the date searched, and the relative recall of the
last ``query check --known`` when one was run (kept in the ledger as a ``query-check`` run).
"""

from __future__ import annotations

from harvester.ledger import Ledger
from harvester.ledger.runs import finish_run, list_runs, start_run
from harvester.protocol import Protocol
from harvester.query.lint import lint
from harvester.query.parser import parse
from harvester.query.translate import translate
from harvester.strategy.check import target_of
from harvester.strategy.known import KnownCheck
from prisma.search_report import SourceQuery

RUN_KIND = "query-check"


def record_known_check(ledger: Ledger, known: KnownCheck) -> int:
    """Keep the relative recall of a ``--known`` check as a run, for the search report."""
    run_id = start_run(ledger, RUN_KIND, parameters={
        "known_file": known.file, "known": len(known.results), "in_ledger": known.in_ledger,
        "recall": {r.source: {"returned": r.returned, "selected": r.selected, "known": r.known} for r in known.recall},
    })
    finish_run(ledger, run_id, "ok", f"{len(known.results)} known studies, {known.in_ledger} in the ledger")
    return run_id


def source_queries(ledger: Ledger, protocol: Protocol) -> tuple[SourceQuery, ...]:
    checks = [run for run in list_runs(ledger, kind=RUN_KIND) if run.status == "ok"]
    last = checks[-1] if checks else None
    rows = []
    warnings: tuple[str, ...]
    for source in protocol.sources:
        if source.kind == "other":
            continue
        text = protocol.query_for(source)
        target = target_of(source)
        if target is None:
            query, warnings = text, ("the database is none of the twelve prisma-harvester writes for: the "
                                     "protocol's query is shown as written",)
            issues = lint(text, (), protocol.default_field)
        else:
            translation = translate(parse(text), target, protocol.default_field)
            query, warnings = translation.query, tuple(f"{w.code}: {w.message}" for w in translation.warnings)
            issues = lint(text, (target,), protocol.default_field)
        recall = ""
        if last is not None and source.name in last.parameters.get("recall", {}):
            found = last.parameters["recall"][source.name]
            share = found["returned"] / found["known"] if found["known"] else 0.0
            recall = (f"{found['returned']} of {found['known']} known studies returned ({share:.1%}); the query "
                      f"selects {found['selected']} of them on their records (file {last.parameters['known_file']}, "
                      f"checked {last.started_at[:10]})")
        rows.append(SourceQuery(source.name, target or "", query, warnings,
                                tuple(str(issue) for issue in issues) or ("no problems found",),
                                source.searched or "", recall))
    return tuple(rows)
