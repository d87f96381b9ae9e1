"""The stages chained: records -> keys -> candidate pairs -> verdicts -> clusters -> kept records.

Pure: no ledger, no printing. :func:`dedupe` is a full run; :func:`find_pairs` with ``only`` and
:func:`resolve` with earlier pairs make the incremental run, which gives the same clusters.
"""

from __future__ import annotations

import gc
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harvester import normalise
from harvester.dedup import compare as compare_module
from harvester.dedup import decide as decide_module
from harvester.dedup import prepare as prepare_module
from harvester.dedup.block import candidate_pairs
from harvester.dedup.cluster import Pair, cluster
from harvester.dedup.compare import DIFFERENT, LINK_TITLE, Scores, compare, concerns
from harvester.dedup.decide import DISTINCT, LINK, LINK_RULES, MATCH, RULES, UNCERTAIN, decide, never_together
from harvester.dedup.merge import Cluster, build_cluster
from harvester.dedup.prepare import Facts, Keys, prepare, set_facts
from harvester.records import Record

SAME_DECISION, DIFFERENT_DECISION = "same", "different"

#: Rule name -> its place in the order (people's "same" decisions come before every rule).
PRIORITY: dict[str, int] = {rule.name: i for i, rule in enumerate(RULES)}

#: The rules version: the rule table (names, verdicts, meanings) and the code that reads a pair and decides
#: it (normalise, prepare, compare, decide). Stored with each dedupe run; when it changes, the next run is a
#: full one that decides every stored merge again and reports the merges it undid and made.
RULES_VERSION = hashlib.sha256(
    "\n".join(f"{r.name}|{r.verdict}|{r.means}" for r in RULES).encode()
    + b"".join(Path(str(m.__file__)).read_bytes() for m in (normalise, prepare_module, compare_module, decide_module))
).hexdigest()[:12]


@dataclass(frozen=True, slots=True)
class Decision:
    """A person's decision that two records are the ``same`` or ``different``."""

    a: int
    b: int
    decision: str
    reviewer: str = ""


@dataclass(frozen=True, slots=True)
class Result:
    """What a de-duplication found: clusters with evidence, pairs for people, and the compared pairs."""

    clusters: tuple[Cluster, ...]
    uncertain: tuple[Pair, ...]
    pairs: tuple[Pair, ...]  # every match and uncertain pair found by the tool (evidence, incremental runs)
    blocked: tuple[Pair, ...]
    stats: dict[str, Any] = field(default_factory=dict)
    #: the run's facts (pagination of journal volumes, recurring titles), to decide a pair again as this run did
    facts: Facts = field(default_factory=lambda: Facts({}, frozenset()))

    def removed(self) -> dict[int, int]:
        """Removed record id -> kept record id."""
        return {d.record_id: d.duplicate_of for c in self.clusters for d in c.duplicates}

    def links(self) -> tuple[Pair, ...]:
        """The notices (errata, retractions, comments, replies) linked to the work they concern; the
        notice's id is ``scores["notice"]``, the work's ``scores["work"]``."""
        return tuple(p for p in self.pairs if p.verdict == LINK)


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while the stages run, then on again as before. The stages build
    millions of small objects with no reference cycles among them (keys, pairs, scores); with the collector
    on, each of its full passes walks all of them, and the passes grow with them: 0.2 s of a 10,000-record
    run, 4.8 s of a 100,000-record one (the one step that grew faster than the records). Nothing is kept
    longer: reference counting frees what the stages drop, and the collector, on again, takes any cycle."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def prepare_all(records: Iterable[tuple[int, Record]]) -> dict[int, Keys]:
    keys: dict[int, Keys] = {}
    for record_id, record in records:
        if record_id in keys:
            raise ValueError(f"record id {record_id} given twice")
        keys[record_id] = prepare(record_id, record)
    return keys


def find_pairs(keys: Mapping[int, Keys], only: set[int] | None = None,
               index: dict[tuple[str, str], list[int]] | None = None,
               facts: Facts | None = None, scored: dict[tuple[int, int], Scores] | None = None) \
        -> tuple[list[Pair], dict[str, int]]:
    """Block, compare and decide; returns the match and uncertain pairs and counts of the work done.
    ``index``: the blocking keys' :func:`~harvester.dedup.block.block_index` of ``keys``, if made already;
    ``facts``: the run's facts (default: as ``keys``, the whole set, show them); ``scored``: see :func:`judge`."""
    candidates, skipped = candidate_pairs(dict(keys), only, index)
    facts = set_facts(keys.values()) if facts is None else facts
    found = judge(keys, candidates, facts, scored)
    return found, {"candidate_pairs": len(candidates), "skipped_blocks": skipped}


def judge(keys: Mapping[int, Keys], candidates: Iterable[tuple[int, int]],
          facts: Facts | None = None, scored: dict[tuple[int, int], Scores] | None = None) -> list[Pair]:
    """Compare and decide each candidate pair ``(a, b)``; the match and uncertain pairs, by ids. ``scored``, when
    given, receives the scores of each pair returned, by ``(a, b)``: :func:`resolve` reads them again."""
    found: list[Pair] = []
    for a, b in sorted(candidates):
        scores = compare(keys[a], keys[b], facts)
        rule = decide(scores)
        if rule.verdict != DISTINCT:
            found.append(Pair(a, b, rule.verdict, rule.name, scores.as_dict()))
        elif rule.name == "notice-vs-article":
            link = notice_link(keys[a], keys[b])
            if link is None:
                continue
            found.append(Pair(a, b, LINK, link[0], {**scores.as_dict(), **link[1]}))
        else:
            continue
        if scored is not None:
            scored[(a, b)] = scores
    return found


def notice_link(a: Keys, b: Keys) -> tuple[str, dict[str, Any]] | None:
    """The link between a notice and the work it concerns, as ``(rule, evidence)``, when the title the
    notice names reads as the work's title (``erratum-of``, ``retraction-of``, ``comment-on``)."""
    notice, work = (a, b) if a.notice and not b.notice else (b, a)
    rule = LINK_RULES.get(notice.notice)
    if rule is None or work.notice:
        return None
    alike = concerns(notice, work)
    if alike < LINK_TITLE:
        return None
    return rule, {"notice": notice.id, "work": work.id, "subject_title": round(alike, 3),
                  "reason": f"the {notice.notice}'s title names the work's title ({alike:.2f})"}


def _conflict(keys: Mapping[int, Keys], facts: Facts, scored: Mapping[tuple[int, int], Scores] | None = None) -> Any:
    """Whether two records may never share a cluster: a guard holds between them (checked for every
    pair across two groups before they join, so a chain of matches cannot bridge a guard). ``scored``: the
    scores :func:`judge` found for pairs ``(x, y)`` with the same ``facts``, read instead of comparing again
    (most pairs checked are the matches themselves)."""
    known = scored or {}

    def conflict(x: int, y: int) -> bool:
        scores = known.get((x, y))
        return never_together(compare(keys[x], keys[y], facts) if scores is None else scores)
    return conflict


def _other_issue(keys: Mapping[int, Keys]) -> Any:
    """Whether two records give issue numbers with none in common (for :func:`cluster.ambiguous`)."""
    def other(x: int, y: int) -> bool:
        return compare(keys[x], keys[y]).issues == DIFFERENT
    return other


def _hard_conflict(keys: Mapping[int, Keys]) -> Any:
    """Two different DOIs or PMIDs: not one record, whoever says so."""
    def conflict(x: int, y: int) -> bool:
        scores = compare(keys[x], keys[y])
        return scores.doi == DIFFERENT or scores.pmid == DIFFERENT
    return conflict


def resolve(keys: Mapping[int, Keys], pairs: Sequence[Pair], decisions: Sequence[Decision] = (),
            sources: Mapping[int, str] | None = None, preference: Sequence[str] = (),
            facts: Facts | None = None, scored: Mapping[tuple[int, int], Scores] | None = None) -> Result:
    """People's decisions over the tool's pairs, then clusters and kept records. ``facts``: the whole
    run's facts (default: as ``keys`` show them, right when ``keys`` are the run's); ``scored``: the scores
    :func:`judge` found with these ``facts`` (given only with them)."""
    if scored is not None and facts is None:
        raise ValueError("scores found by judge are read only with the facts they were found with")
    facts = set_facts(keys.values()) if facts is None else facts
    latest: dict[tuple[int, int], Decision] = {}
    for decision in decisions:
        if decision.a in keys and decision.b in keys and decision.a != decision.b:
            latest[(min(decision.a, decision.b), max(decision.a, decision.b))] = decision
    cannot = {pair for pair, d in latest.items() if d.decision == DIFFERENT_DECISION}
    edges = [p for p in pairs if p.verdict == MATCH and (p.a, p.b) not in cannot]
    edges += [Pair(a, b, MATCH, "reviewer", {"reviewer": d.reviewer}, by="reviewer")
              for (a, b), d in latest.items() if d.decision == SAME_DECISION]
    clustering = cluster(edges, cannot, _conflict(keys, facts, scored), PRIORITY, _hard_conflict(keys),
                         _other_issue(keys))
    by_group: dict[int, list[Pair]] = defaultdict(list)
    first_of = {member: group[0] for group in clustering.groups for member in group}
    for edge in clustering.joined:
        if edge.a in first_of:
            by_group[first_of[edge.a]].append(edge)
    source_of = sources or {}
    clusters = tuple(build_cluster(group, by_group[group[0]], keys, source_of, preference)
                     for group in clustering.groups)
    uncertain = for_people(pairs, first_of, set(latest))
    stats = {"records": len(keys), "clusters": len(clusters),
             "duplicates": sum(len(c.duplicates) for c in clusters), "uncertain": len(uncertain),
             "blocked": len(clustering.blocked), "decisions": len(latest)}
    return Result(clusters, uncertain, tuple(pairs), clustering.blocked, stats, facts)


def for_people(pairs: Sequence[Pair], first_of: Mapping[int, int], decided: set[tuple[int, int]]) -> tuple[Pair, ...]:
    """The pairs a person still has to see: the uncertain pairs and the matches left between two clusters
    (refused because they would join records known to differ, or made by an ambiguous record); one per pair
    of clusters (the most alike), none inside one cluster, none between clusters a person already decided
    about."""
    decided_groups = {tuple(sorted((first_of.get(a, a), first_of.get(b, b)))) for a, b in decided}
    best: dict[tuple[int, int], Pair] = {}
    for pair in pairs:
        if pair.verdict not in (UNCERTAIN, MATCH) or (pair.a, pair.b) in decided:
            continue
        ga, gb = first_of.get(pair.a, pair.a), first_of.get(pair.b, pair.b)
        group = (min(ga, gb), max(ga, gb))
        if ga == gb or group in decided_groups:
            continue
        score = (float(pair.scores.get("title_words", 0.0)), -pair.a, -pair.b)
        current = best.get(group)
        if current is None or score > (float(current.scores.get("title_words", 0.0)), -current.a, -current.b):
            best[group] = pair
    return tuple(sorted(best.values(), key=lambda p: (p.a, p.b)))


def dedupe(records: Iterable[tuple[int, Record]], decisions: Sequence[Decision] = (),
           sources: Mapping[int, str] | None = None, preference: Sequence[str] = ()) -> Result:
    """De-duplicate in-memory records given as ``(id, record)``; ``sources`` maps id -> source name for
    the protocol's ``preference`` (default: each record's ``database``)."""
    records = list(records)
    with collector_paused():
        keys = prepare_all(records)
        if sources is None:
            sources = {record_id: record.database for record_id, record in records}
        facts = set_facts(keys.values())
        scored: dict[tuple[int, int], Scores] = {}
        pairs, work = find_pairs(keys, facts=facts, scored=scored)
        result = resolve(keys, pairs, decisions, sources, preference, facts, scored)
    result.stats.update(work)
    return result
