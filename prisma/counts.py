"""The counts model: every box of the PRISMA 2020 flow diagrams, and the one way to fill it from outcomes.

Field names reuse the PRISMA2020 R package's CSV keys (``database_results``, ``dbr_excluded``...), so a
CSV written by :mod:`prisma.prisma2020_csv` opens in the Shiny app and ours reads theirs. A count of
``None`` means "not reported": the line is hidden, as a blank ``n`` hides it in the R package.

When counts come from the ledger, :attr:`PrismaCounts.records` maps each box key (and each named line,
as ``key/name``) to the ledger ids of the records behind it, so every number on the diagram can be
traced to the records that make it (``prisma-harvest check --records``). Counts read from someone
else's CSV carry no ids.

Rendering only reads a :class:`PrismaCounts`; nothing here touches the ledger: the harvester computes one
:class:`~prisma.flow.Outcome` per record (``harvester.review.counts_from_ledger``) and
:func:`counts_from_outcomes` aggregates them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from harvester.errors import HarvestError
from prisma.flow import Outcome

#: How each other-method kind of the protocol (``OTHER_METHODS``) is printed, and the PRISMA2020 CSV
#: key it fills. Kinds without a key are written as extra ``other_method_results`` lines.
OTHER_METHOD_LABELS: dict[str, tuple[str, str | None]] = {
    "websites": ("Websites", "website_results"),
    "organisations": ("Organisations", "organisation_results"),
    "citation searching": ("Citation searching", "citations_results"),
    "grey literature": ("Grey literature", None),
    "hand searching": ("Hand searching", None),
    "other": ("Other methods", None),
}

#: The wording of other-method removals (the 2020 template has no removal box in that arm).
OTHER_REMOVED_LABELS: dict[str, str] = {
    "duplicate": "Duplicate records",
    "ineligible-automation": "Marked as ineligible by automation tools",
    "removed-other": "Removed for other reasons",
    "excluded-screening": "Excluded at title/abstract screening",
}


@dataclass(frozen=True, slots=True)
class Line:
    """One named line inside a box: a database, a register, an other method, or an exclusion reason."""

    name: str
    n: int


@dataclass(frozen=True)
class PrismaCounts:
    """Every box of the four PRISMA 2020 templates (and what the 2009 layout is drawn from).

    Lists (``database_specific_results``, ``dbr_excluded``...) hold one :class:`Line` per name, in a
    stable order. ``*_awaiting_*`` count records not yet decided at a stage: a diagram with any of
    them is provisional, and the arithmetic checks account for them.
    """

    # previous version of the review (updated reviews)
    previous_studies: int | None = None
    previous_reports: int | None = None
    # identification: databases and registers
    database_results: int | None = None
    database_specific_results: tuple[Line, ...] = ()
    register_results: int | None = None
    register_specific_results: tuple[Line, ...] = ()
    # identification: other methods
    website_results: int | None = None
    organisation_results: int | None = None
    citations_results: int | None = None
    other_method_results: tuple[Line, ...] = ()  # other kinds (grey literature, hand searching...)
    # removed before screening
    duplicates: int | None = None
    excluded_automatic: int | None = None
    excluded_other: int | None = None
    # screening
    records_screened: int | None = None
    records_excluded: int | None = None
    records_excluded_automation: int | None = None  # the ``**`` split of records_excluded
    records_excluded_reviewers: int | None = None
    records_awaiting_screening: int = 0
    # retrieval and eligibility, databases and registers
    dbr_sought_reports: int | None = None
    dbr_notretrieved_reports: int | None = None
    dbr_awaiting_retrieval: int = 0
    dbr_assessed: int | None = None
    dbr_awaiting_assessment: int = 0
    dbr_excluded: tuple[Line, ...] = ()
    # other methods
    other_removed: tuple[Line, ...] = ()  # other-method records that never reached retrieval
    other_sought_reports: int | None = None
    other_notretrieved_reports: int | None = None
    other_awaiting_retrieval: int = 0
    other_assessed: int | None = None
    other_awaiting_assessment: int = 0
    other_excluded: tuple[Line, ...] = ()
    # included
    new_studies: int | None = None
    new_reports: int | None = None
    total_studies: int | None = None
    total_reports: int | None = None
    # extension: studies in a quantitative synthesis (2009 box; PRISMA2020 ``total_studies_ma``)
    meta_analysis_studies: int | None = None
    meta_analysis_reports: int | None = None
    #: box key (or ``key/name`` for a named line) -> ledger record ids behind it; empty for CSV counts
    records: Mapping[str, tuple[int, ...]] = field(default_factory=dict, compare=False)

    # -- derived totals (never stored) --------------------------------------------------------------
    @property
    def identified_dbr(self) -> int:
        return (self.database_results or 0) + (self.register_results or 0)

    @property
    def other_methods(self) -> tuple[Line, ...]:
        """Every other-method line shown in the "Records identified from:" box of the other arm."""
        named = [
            Line(label, value)
            for label, key in (("Websites", "website_results"), ("Organisations", "organisation_results"),
                               ("Citation searching", "citations_results"))
            if (value := getattr(self, key)) is not None
        ]
        return (*named, *self.other_method_results)

    @property
    def identified_other(self) -> int:
        return sum(line.n for line in self.other_methods)

    @property
    def has_other_arm(self) -> bool:
        """True when any other-method line is reported (the R package drops the arm otherwise)."""
        return bool(self.other_methods) or self.other_sought_reports is not None

    @property
    def has_previous(self) -> bool:
        return self.previous_studies is not None or self.previous_reports is not None

    @property
    def removed_before_screening(self) -> int:
        return (self.duplicates or 0) + (self.excluded_automatic or 0) + (self.excluded_other or 0)

    @property
    def dbr_excluded_total(self) -> int:
        return sum(line.n for line in self.dbr_excluded)

    @property
    def other_excluded_total(self) -> int:
        return sum(line.n for line in self.other_excluded)

    @property
    def other_removed_total(self) -> int:
        return sum(line.n for line in self.other_removed)

    @property
    def awaiting(self) -> int:
        """Records not yet decided at some stage: the diagram is provisional while this is above 0."""
        return (self.records_awaiting_screening + self.dbr_awaiting_retrieval + self.dbr_awaiting_assessment
                + self.other_awaiting_retrieval + self.other_awaiting_assessment)

    def to_json(self) -> dict[str, Any]:
        """Every box as plain JSON values; lists as ``[{"name": ..., "n": ...}]``; ids under ``records``."""
        data: dict[str, Any] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "records":
                data["records"] = {key: list(ids) for key, ids in sorted(value.items())}
            elif isinstance(value, tuple):
                data[item.name] = [{"name": line.name, "n": line.n} for line in value]
            else:
                data[item.name] = value
        return data


def counts_from_outcomes(
    outcomes: Iterable[Outcome],
    *,
    other_methods: Mapping[str, str] | None = None,
    previous_studies: int | None = None,
    previous_reports: int | None = None,
    reasons_order: Iterable[str] = (),
) -> PrismaCounts:
    """Aggregate one outcome per record into the boxes.

    ``other_methods`` maps a protocol source name to its method (``"citation searching"``...); an
    other-arm source missing from it is counted under "Other methods". Reasons are listed in
    ``reasons_order`` first (the protocol's full-text reasons), then by name. Every count is the length
    of the id list behind it, so the ids and the numbers cannot disagree.
    """
    methods = other_methods or {}
    boxes: dict[str, list[int]] = {}

    def put(key: str, record_id: int) -> None:
        boxes.setdefault(key, []).append(record_id)

    study_of: dict[int, str] = {}
    seen: set[int] = set()
    for outcome in outcomes:
        if outcome.record_id in seen:
            raise HarvestError(f"record {outcome.record_id} has two outcomes; each record must have exactly one")
        seen.add(outcome.record_id)
        rid = outcome.record_id
        if outcome.arm == "other":
            _other(outcome, methods, put)
        else:
            _databases_and_registers(outcome, put)
        if outcome.end == "included":
            put("new_reports", rid)
            study_of[rid] = outcome.study_id or f"record:{rid}"

    order = list(dict.fromkeys(reasons_order))
    for label, key in OTHER_METHOD_LABELS.values():  # the template's own lines, under their CSV keys too
        if key and f"other_method_results/{label}" in boxes:
            boxes[key] = boxes[f"other_method_results/{label}"]
    ids = {key: tuple(sorted(value)) for key, value in boxes.items()}

    def n(key: str) -> int:
        return len(ids.get(key, ()))

    def lines(prefix: str, preferred: list[str] | None = None) -> tuple[Line, ...]:
        names = sorted(key.split("/", 1)[1] for key in ids if key.startswith(prefix + "/"))
        if preferred:
            rank = {name: i for i, name in enumerate(preferred)}
            names.sort(key=lambda name: (rank.get(name, len(rank)), name))
        return tuple(Line(name, n(f"{prefix}/{name}")) for name in names)

    has_registers = any(key.startswith("register_specific_results/") for key in ids)
    other_lines = lines("other_method_results")
    fixed = {label: key for label, key in OTHER_METHOD_LABELS.values() if key}
    has_other = bool(other_lines)
    by_kind = {line.name: line.n for line in other_lines}
    studies = len(set(study_of.values()))
    counts = PrismaCounts(
        previous_studies=previous_studies,
        previous_reports=previous_reports,
        database_results=n("database_results"),
        database_specific_results=lines("database_specific_results"),
        register_results=n("register_results") if has_registers else None,
        register_specific_results=lines("register_specific_results"),
        website_results=by_kind.get("Websites") if has_other else None,
        organisation_results=by_kind.get("Organisations") if has_other else None,
        citations_results=by_kind.get("Citation searching") if has_other else None,
        other_method_results=tuple(line for line in other_lines if line.name not in fixed),
        duplicates=n("duplicates"),
        excluded_automatic=n("excluded_automatic"),
        excluded_other=n("excluded_other"),
        records_screened=n("records_screened"),
        records_excluded=n("records_excluded"),
        records_excluded_automation=n("records_excluded_automation"),
        records_excluded_reviewers=n("records_excluded_reviewers"),
        records_awaiting_screening=n("records_awaiting_screening"),
        dbr_sought_reports=n("dbr_sought_reports"),
        dbr_notretrieved_reports=n("dbr_notretrieved_reports"),
        dbr_awaiting_retrieval=n("dbr_awaiting_retrieval"),
        dbr_assessed=n("dbr_assessed"),
        dbr_awaiting_assessment=n("dbr_awaiting_assessment"),
        dbr_excluded=lines("dbr_excluded", order),
        other_removed=lines("other_removed", list(OTHER_REMOVED_LABELS.values())),
        other_sought_reports=n("other_sought_reports") if has_other else None,
        other_notretrieved_reports=n("other_notretrieved_reports") if has_other else None,
        other_awaiting_retrieval=n("other_awaiting_retrieval"),
        other_assessed=n("other_assessed") if has_other else None,
        other_awaiting_assessment=n("other_awaiting_assessment"),
        other_excluded=lines("other_excluded", order),
        new_studies=studies,
        new_reports=n("new_reports"),
        total_studies=(previous_studies or 0) + studies if previous_studies is not None else None,
        total_reports=(previous_reports or 0) + n("new_reports") if previous_reports is not None else None,
        records=ids,
    )
    return counts


def _databases_and_registers(outcome: Outcome, put: Any) -> None:
    """File one database/register record under every box of its path, top to bottom."""
    rid, end = outcome.record_id, outcome.end
    if outcome.arm == "registers":
        put("register_results", rid)
        put(f"register_specific_results/{outcome.database}", rid)
    else:
        put("database_results", rid)
        put(f"database_specific_results/{outcome.database}", rid)
    removed = {"duplicate": "duplicates", "ineligible-automation": "excluded_automatic",
               "removed-other": "excluded_other"}
    if end in removed:
        put(removed[end], rid)
        return
    put("records_screened", rid)
    if end == "awaiting-screening":
        put("records_awaiting_screening", rid)
        return
    if end == "excluded-screening":
        put("records_excluded", rid)
        put("records_excluded_automation" if outcome.by == "automation" else "records_excluded_reviewers", rid)
        return
    _retrieval("dbr", outcome, put)


def _other(outcome: Outcome, methods: Mapping[str, str], put: Any) -> None:
    """File one other-method record: identified by its kind, then straight to retrieval (2020 template)."""
    rid, end = outcome.record_id, outcome.end
    label = OTHER_METHOD_LABELS.get(methods.get(outcome.source, "other"), ("Other methods", None))[0]
    put(f"other_method_results/{label}", rid)
    if end in OTHER_REMOVED_LABELS:
        put(f"other_removed/{OTHER_REMOVED_LABELS[end]}", rid)
        return
    if end == "awaiting-screening":  # no screening box in this arm: it waits for retrieval
        end = "awaiting-retrieval"
    _retrieval("other", outcome, put, end)


def _retrieval(arm: str, outcome: Outcome, put: Any, end: str | None = None) -> None:
    rid, end = outcome.record_id, end or outcome.end
    put(f"{arm}_sought_reports", rid)
    if end == "awaiting-retrieval":
        put(f"{arm}_awaiting_retrieval", rid)
        return
    if end == "not-retrieved":
        put(f"{arm}_notretrieved_reports", rid)
        return
    put(f"{arm}_assessed", rid)
    if end == "awaiting-assessment":
        put(f"{arm}_awaiting_assessment", rid)
    elif end == "excluded-full-text":
        put(f"{arm}_excluded/{outcome.reason or 'No reason given'}", rid)
    elif end == "included":
        put(f"{arm}_included", rid)
    else:
        raise HarvestError(f"record {rid}: unknown outcome end state {end!r}")
