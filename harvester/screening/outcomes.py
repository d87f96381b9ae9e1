"""Where each record ends up in the flow: the one table PRISMA counts are aggregated from.

Contract between screening (which computes outcomes from the ledger) and ``prisma.counts`` (which only
aggregates them): every record held in the ledger has exactly one :class:`~prisma.flow.Outcome`, so every
identified record falls into exactly one path through the diagram. The words (arms, end states) are
``prisma.flow``'s; this module decides which applies to each record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

from harvester.ledger.core import Ledger
from harvester.ledger.decisions import StoredDecision, current_rule_results, list_decisions
from harvester.ledger.duplicates import current_duplicates
from harvester.ledger.records import record_origins
from harvester.ledger.withdrawals import Withdrawal, current_studies, withdrawn_records
from harvester.protocol import CITATION_SOURCE, Protocol
from prisma.flow import Arm, Outcome

# --- computing outcomes (screening owns this; prisma.counts only aggregates) -----------------------------
#
# The path of one record, in flow order:
#   1. removed as a duplicate (harvester.ledger.duplicates.current_duplicates) -> "duplicate";
#   2. databases arm only: an automation rule with action "exclude" fired in the latest rules run
#      -> "ineligible-automation" (by automation, the rule's reason);
#   3. databases arm only, title/abstract: a title-abstract rule with action "exclude" fired -> "excluded-screening"
#      by automation; else the settled title/abstract decision: none, one of two screeners, or a conflict not yet
#      resolved -> "awaiting-screening"; exclude -> "excluded-screening" by the reviewers; include or maybe -> on;
#   4. retrieval: "not-retrieved" when so decided; a full-text decision implies the report was retrieved;
#      otherwise "awaiting-retrieval";
#   5. full text: exclude (reason mandatory) -> "excluded-full-text"; include -> "included"; none, maybe, or an
#      unresolved conflict (on the decision or on the reason) -> "awaiting-assessment".
# Before all of these, a withdrawn import (harvester.withdraw): its records end "removed-other" (reason
# "Withdrawn: ..."), or, withdrawn as never identified (exclude-from-counts), have no outcome at all: the one
# exception to "one outcome per record", so that they are in no box. A cluster whose kept record is withdrawn is
# kept by its lowest remaining record, which inherits the cluster's decisions.
# A record's study is the one reviewers linked it (or a duplicate of it) to (``link-study``); else its own.
# Records found by other methods (protocol sources of kind "other") skip steps 2 and 3: the PRISMA 2020 template
# takes them from "Records identified" (O1) straight to "Reports sought for retrieval" (O2). Their rule results
# are still stored and shown by the audit (flags for the person assessing the full text).


@dataclass(frozen=True, slots=True)
class Settled:
    """Where one record stands at one stage, from its decisions history."""

    state: Literal["undecided", "conflict", "decided"]
    decision: str | None = None
    reason: str | None = None
    reviewers: tuple[str, ...] = ()
    why: str = ""


def screeners_needed(protocol: Protocol, stage: str) -> int:
    """Two screeners when the protocol names two or more (dual screening), else one; retrieval is a fact: one."""
    if stage == "retrieval":
        return 1
    return 2 if len(protocol.screening.reviewers) >= 2 else 1


def settle(decisions: list[StoredDecision], needed: int) -> Settled:
    """The stage's standing from its decisions (oldest first): a resolver's latest word is final; otherwise
    each screener's latest decision counts, and they must be ``needed`` and agree (on the reason too, at full
    text, where exactly one reason is counted). At title/abstract, "maybe" agrees with "include"."""
    if not decisions:
        return Settled("undecided", why="no decision yet")
    resolutions = [d for d in decisions if d.role == "resolver"]
    if resolutions:
        last = resolutions[-1]
        return Settled("decided", last.decision, last.reason, (last.reviewer,), f"resolved by {last.reviewer}")
    latest: dict[str, StoredDecision] = {}
    for item in decisions:
        latest[item.reviewer] = item
    if len(latest) < needed:
        return Settled("undecided", why=f"{len(latest)} of {needed} screeners decided")
    chosen = [latest[name] for name in sorted(latest)]
    # at title/abstract "maybe" and "include" lead to the same place (the full text): no conflict between them
    passes = chosen[0].stage == "title-abstract"
    kinds = {"include" if passes and d.decision == "maybe" else d.decision for d in chosen}
    if len(kinds) > 1:
        return Settled("conflict", why="screeners disagree: " + ", ".join(f"{d.reviewer} {d.decision}"
                                                                          for d in chosen))
    decision = kinds.pop()
    reasons = {d.reason for d in chosen if d.reason}
    if decision == "exclude" and chosen[0].stage == "full-text" and len(reasons) > 1:
        return Settled("conflict", why="screeners give different reasons: " + "; ".join(
            f"{d.reviewer} {d.reason}" for d in chosen))
    reason = next((d.reason for d in chosen if d.reason), None)
    return Settled("decided", decision, reason, tuple(d.reviewer for d in chosen), "screeners agree")


def arm_of(protocol: Protocol, source: str) -> Arm:
    """"other" for protocol sources of kind other and for citation searching (``prisma-harvest cite``),
    "registers" for live register sources (ClinicalTrials.gov), else "databases"."""
    if source == CITATION_SOURCE:
        return "other"
    for item in protocol.sources:
        if item.name == source:
            return "other" if item.kind == "other" else "registers" if item.is_register else "databases"
    return "databases"


def record_outcomes(ledger: Ledger, protocol: Protocol, *,
                    duplicates: Mapping[int, int] | None = None) -> list[Outcome]:
    """Exactly one :class:`Outcome` for every record in the ledger, by record id (see the path above).

    ``duplicates`` (removed record id -> kept record id) replaces the latest dedupe run's clusters: the
    updated-review diagram (``prisma.since``) keeps, in a cluster spanning both versions, a record of the
    previous version, so that the previous version's decisions still count there.
    """
    duplicates = current_duplicates(ledger) if duplicates is None else duplicates
    withdrawn = withdrawn_records(ledger)
    duplicates, carried = without_withdrawn(duplicates, withdrawn)
    study_of: dict[int, str] = {}
    for record_id, study in sorted(current_studies(ledger).items()):
        study_of.setdefault(carried.get(duplicates.get(record_id, record_id), duplicates.get(record_id, record_id)),
                            study)
    fired = current_rule_results(ledger, fired_only=True)
    # A decision is about the study a cluster stands for, not about one copy of it: decisions made on a record
    # that a later de-duplication made a duplicate (a preferred database's copy arrived, and is now the kept
    # record) count for the kept record, so an already screened study is never silently sent back to screening.
    by_stage: dict[tuple[int, str], list[StoredDecision]] = {}
    for item in list_decisions(ledger):
        kept = duplicates.get(item.record_id, item.record_id)
        kept = carried.get(kept, kept)
        by_stage.setdefault((kept, item.stage), []).append(item)
    needed = {stage: screeners_needed(protocol, stage) for stage in ("title-abstract", "retrieval", "full-text")}

    outcomes: list[Outcome] = []
    for record_id, source, database in record_origins(ledger):
        arm = arm_of(protocol, source)
        results = fired.get(record_id, [])
        flags = tuple(r.rule_id for r in results if r.action == "flag")
        base = Outcome(record_id=record_id, source=source, database=database, arm=arm, end="", flags=flags,
                       study_id=study_of.get(record_id))

        def ended(end: str, **values: Any) -> Outcome:
            return replace(base, end=end, **values)  # noqa: B023 - used at once, inside this iteration

        withdrawal = withdrawn.get(record_id)
        if withdrawal is not None:
            if withdrawal.action == "remove":
                outcomes.append(ended("removed-other", reason=f"Withdrawn: {withdrawal.reason}", by="reviewer",
                                      reviewers=(withdrawal.who,), stage="withdrawn",
                                      note=f"{withdrawal.target} withdrawn {withdrawal.at[:10]} by {withdrawal.who}"))
            continue

        if record_id in duplicates:
            outcomes.append(ended("duplicate", duplicate_of=duplicates[record_id], stage="dedupe"))
            continue
        if arm != "other":
            automation = [r for r in results if r.stage == "automation" and r.action == "exclude"]
            if automation:
                rule = automation[0]
                outcomes.append(ended("ineligible-automation", reason=rule.reason, by="automation",
                                      rule=rule.rule_id, stage="automation"))
                continue
            screening_rules = [r for r in results if r.stage == "title-abstract" and r.action == "exclude"]
            if screening_rules:
                rule = screening_rules[0]
                outcomes.append(ended("excluded-screening", reason=rule.reason, by="automation",
                                      rule=rule.rule_id, stage="title-abstract"))
                continue
            title = settle(by_stage.get((record_id, "title-abstract"), []), needed["title-abstract"])
            if title.state != "decided":
                outcomes.append(ended("awaiting-screening", stage="title-abstract", note=title.why))
                continue
            if title.decision == "exclude":
                outcomes.append(ended("excluded-screening", reason=title.reason, by="reviewer",
                                      reviewers=title.reviewers, stage="title-abstract"))
                continue
        full = by_stage.get((record_id, "full-text"), [])
        retrieval = settle(by_stage.get((record_id, "retrieval"), []), needed["retrieval"])
        if retrieval.state == "decided" and retrieval.decision == "not-retrieved":
            outcomes.append(ended("not-retrieved", reason=retrieval.reason, by="reviewer",
                                  reviewers=retrieval.reviewers, stage="retrieval"))
            continue
        if retrieval.state != "decided" and not full:
            outcomes.append(ended("awaiting-retrieval", stage="retrieval", note=retrieval.why))
            continue
        assessed = settle(full, needed["full-text"])
        if assessed.state != "decided" or assessed.decision == "maybe":
            outcomes.append(ended("awaiting-assessment", stage="full-text",
                                  note=assessed.why if assessed.state != "decided" else "agreed on maybe"))
        elif assessed.decision == "exclude":
            outcomes.append(ended("excluded-full-text", reason=assessed.reason, by="reviewer",
                                  reviewers=assessed.reviewers, stage="full-text"))
        else:
            outcomes.append(ended("included", by="reviewer", reviewers=assessed.reviewers, stage="full-text"))
    return outcomes


def without_withdrawn(duplicates: Mapping[int, int], withdrawn: Mapping[int, Withdrawal]
                      ) -> tuple[dict[int, int], dict[int, int]]:
    """The clusters without their withdrawn records: a withdrawn record is no duplicate (its withdrawal says where
    it ends), and a cluster whose kept record is withdrawn is kept by its lowest remaining record. Returns the
    clusters (removed -> kept) and, for each withdrawn kept record, the record that now stands for its cluster (its
    decisions count there)."""
    members: dict[int, list[int]] = {}
    for removed, kept in duplicates.items():
        if removed not in withdrawn:
            members.setdefault(kept, []).append(removed)
    clusters: dict[int, int] = {}
    carried: dict[int, int] = {}
    for kept, others in members.items():
        if kept in withdrawn:
            kept_now = min(others)
            carried[kept] = kept_now
            others = [rid for rid in others if rid != kept_now]
        else:
            kept_now = kept
        for rid in others:
            clusters[rid] = kept_now
    return clusters, carried
