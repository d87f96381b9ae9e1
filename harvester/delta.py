"""The delta report of a refresh: what is new since the last run, in reviewers' terms. Pure: no I/O.

A scheduler mails or posts it, so it comes as Markdown (for people) and JSON (for scripts). It tells:
- new unique records: new to the ledger and not duplicates of anything held (these go to screening);
- known records: new to the ledger but the same article as a record already held (and which one);
- duplicates among the new: newcomers that duplicate another newcomer (counted once, as unique);
- revised records: held records the source modified in the window (errata, retractions, new MeSH);
- records the source no longer returns: listed after a full re-run, estimated from counts otherwise;
- per source, the window searched and the change in the query's total count.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class DeltaRecord:
    """Enough of a record to recognise it in a report; ``id`` is its ledger id."""

    id: int
    source: str
    title: str = ""
    authors: tuple[str, ...] = ()
    year: int | None = None
    journal: str = ""
    doi: str = ""
    pmid: str = ""

    def cite(self) -> str:
        """One line: first author, year, title, journal, ids."""
        first = self.authors[0].split(",")[0] if self.authors else ""
        who = f"{first}{' et al.' if len(self.authors) > 1 else ''}" if first else "[no author]"
        ids = ", ".join(x for x in (f"PMID {self.pmid}" if self.pmid else "", f"doi:{self.doi}" if self.doi else "")
                        if x)
        text = f"{who} ({self.year or 'n.d.'}). {self.title or '[no title]'}"
        if self.journal:
            text += f" {self.journal}."
        return f"{text} [{ids}]" if ids else text


@dataclass(frozen=True, slots=True)
class KnownRecord:
    """A newcomer that is the same article as records already held."""

    record: DeltaRecord
    duplicate_of: tuple[DeltaRecord, ...]


@dataclass(frozen=True, slots=True)
class SourceDelta:
    """What one source's refresh searched and found."""

    source: str
    kind: str  # pubmed | file
    status: str  # searched | skipped | imported | unchanged | failed (its search rolled back; see note)
    windows: tuple[str, ...] = ()  # e.g. "crdt 2026/11/20-2026/11/26"
    run_ids: tuple[int, ...] = ()
    returned: int = 0  # records returned by the window searches / read from changed files
    new: int = 0  # of them, new to the ledger
    previous_total: int | None = None  # the query's total count at the last successful run
    current_total: int | None = None  # the query's total count now
    no_longer_returned: int | None = None  # estimated from counts, or exact after a full re-run
    note: str = ""
    known: int | None = None  # of the new, the same article as a record already held (de-duplication)

    @property
    def total_change(self) -> int | None:
        if self.previous_total is None or self.current_total is None:
            return None
        return self.current_total - self.previous_total


@dataclass(frozen=True, slots=True)
class Delta:
    """The whole report of one refresh run."""

    review: str
    refresh_run_id: int
    started_at: str
    ended_at: str
    status: str  # ok | failed
    sources: tuple[SourceDelta, ...] = ()
    new_unique: tuple[DeltaRecord, ...] = ()
    known: tuple[KnownRecord, ...] = ()
    duplicates_among_new: tuple[KnownRecord, ...] = ()
    revised: tuple[DeltaRecord, ...] = ()
    no_longer_returned: tuple[DeltaRecord, ...] = ()
    notes: tuple[str, ...] = field(default=())
    message: str = ""

    @property
    def new_records(self) -> int:
        """Every record new to the ledger (unique, known and duplicates among new)."""
        return len(self.new_unique) + len(self.known) + len(self.duplicates_among_new)

    @property
    def found_new(self) -> bool:
        """True when screening has something new to do (drives ``--exit-code``)."""
        return bool(self.new_unique)

    def to_json(self) -> dict[str, Any]:
        return to_json(self)


def to_json(delta: Delta) -> dict[str, Any]:
    """The report as plain JSON-ready values, with the counts a scheduler branches on at the top."""
    sources = []
    for source in delta.sources:
        item = asdict(source)
        item["windows"] = list(source.windows)
        item["run_ids"] = list(source.run_ids)
        item["total_change"] = source.total_change
        sources.append(item)
    return {
        "review": delta.review,
        "refresh_run_id": delta.refresh_run_id,
        "status": delta.status,
        "message": delta.message,
        "started_at": delta.started_at,
        "ended_at": delta.ended_at,
        "counts": {
            "new_records": delta.new_records,
            "new_unique": len(delta.new_unique),
            "known": len(delta.known),
            "duplicates_among_new": len(delta.duplicates_among_new),
            "revised": len(delta.revised),
            "no_longer_returned": len(delta.no_longer_returned),
        },
        "sources": sources,
        "new_unique": [_record_json(r) for r in delta.new_unique],
        "known": [_known_json(k) for k in delta.known],
        "duplicates_among_new": [_known_json(k) for k in delta.duplicates_among_new],
        "revised": [_record_json(r) for r in delta.revised],
        "no_longer_returned": [_record_json(r) for r in delta.no_longer_returned],
        "notes": list(delta.notes),
    }


def _record_json(record: DeltaRecord) -> dict[str, Any]:
    data = asdict(record)
    data["authors"] = list(record.authors)
    return data


def _known_json(known: KnownRecord) -> dict[str, Any]:
    data = _record_json(known.record)
    data["duplicate_of"] = [_record_json(r) for r in known.duplicate_of]
    return data


def to_markdown(delta: Delta) -> str:
    """The report for people: a summary line, a table of sources, then each list."""
    lines = [f"# Refresh of {delta.review}: run #{delta.refresh_run_id} ({delta.status})", ""]
    lines.append(f"Started {delta.started_at}, ended {delta.ended_at}.")
    if delta.message:
        lines.append(f"**{delta.message}**")
    lines += ["", f"- **{len(delta.new_unique)} new unique record(s)** to screen",
              f"- {len(delta.known)} new record(s) already held as another record (known)",
              f"- {len(delta.duplicates_among_new)} new record(s) duplicating another new record",
              f"- {len(delta.revised)} held record(s) revised at the source",
              f"- {len(delta.no_longer_returned)} held record(s) no longer returned (full re-run)", ""]
    if delta.sources:
        lines += ["| source | status | window | returned | new | known | gone | total before | total now | change "
                  "| note |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for s in delta.sources:
            change = s.total_change
            lines.append(
                f"| {_cell(s.source)} | {s.status} | {_cell('; '.join(s.windows)) or '-'} | {s.returned} | {s.new} "
                f"| {_num(s.known)} | {_num(s.no_longer_returned)} | {_num(s.previous_total)} "
                f"| {_num(s.current_total)} "
                f"| {'-' if change is None else f'{change:+d}'} | {_cell(s.note)} |")
        lines.append("")
    _section(lines, "New unique records", [f"{r.id}. {r.cite()}" for r in delta.new_unique])
    _section(lines, "Known records (new here, already held)", [_same_as(k) for k in delta.known])
    _section(lines, "Duplicates among the new records", [_same_as(k) for k in delta.duplicates_among_new])
    _section(lines, "Revised at the source", [f"{r.id}. {r.cite()}" for r in delta.revised])
    _section(lines, "No longer returned", [f"{r.id}. {r.cite()}" for r in delta.no_longer_returned])
    if delta.notes:
        _section(lines, "Notes", list(delta.notes))
    return "\n".join(lines).rstrip() + "\n"


def _same_as(known: KnownRecord) -> str:
    others = ", ".join(f"#{d.id} ({d.source})" for d in known.duplicate_of)
    return f"{known.record.id}. {known.record.cite()} — same as {others}"


def _section(lines: list[str], title: str, items: list[str]) -> None:
    if not items:
        return
    lines += [f"## {title} ({len(items)})", ""]
    lines += ["- " + " ".join(item.split("\n")) for item in items]
    lines.append("")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _num(value: int | None) -> str:
    return "-" if value is None else str(value)
