"""What each command of the way out does, as one library call (``harvester/cli/diagrams.py`` only parses and
prints): ``diagram``, ``counts``, ``check``, ``report``, and the outputs of ``run``.

Counts come from the ledger (a protocol, opened once into a :class:`~harvester.review.Review`) or from
someone else's CSV (``--counts``); either way they are checked before drawing, and refused with the
failing boxes named unless the caller allows a mismatch. ``prisma`` draws and writes from the values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from harvester.errors import InputError, UsageError
from harvester.review import Review, open_review
from prisma.check import Mismatch, box_count, check_counts, check_records, require_consistent
from prisma.counts import PrismaCounts
from prisma.diagram import DiagramOptions, draw
from prisma.html_report import report_html
from prisma.prisma2020_csv import read_counts, write_counts
from prisma.search_report import to_markdown
from prisma.since import UpdatedCounts, check_since
from prisma.templates import TEMPLATES, choose_template


@dataclass(frozen=True, slots=True)
class LoadedCounts:
    counts: PrismaCounts
    where: str  # the file the counts came from (a ledger or a CSV), for messages
    name: str  # a short name for output files
    layout: str  # "2020" or "2009": the template a CSV was written for
    warnings: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()  # box wording a CSV changes (translations)
    updated: UpdatedCounts | None = None  # with --since: the split into previous and new identification


@dataclass(frozen=True, slots=True)
class Diagram:
    data: bytes
    path: Path
    template: str
    warnings: tuple[str, ...]
    format: str = "svg"

    def to_json(self) -> dict[str, Any]:
        return {"path": str(self.path), "template": self.template, "format": self.format,
                "warnings": list(self.warnings)}


@dataclass(frozen=True, slots=True)
class BoxCheck:
    key: str
    n: int | None
    records: tuple[int, ...]
    traced: bool  # the ledger ids behind this box are known (counts from the ledger)


@dataclass(frozen=True, slots=True)
class CheckResult:
    counts: PrismaCounts
    problems: tuple[Mismatch, ...]
    boxes: tuple[BoxCheck, ...]
    warnings: tuple[str, ...] = ()
    updated: UpdatedCounts | None = None

    def to_json(self) -> dict[str, Any]:
        """Whether the diagram adds up, every problem, and every box with its count and the records behind it."""
        return {"ok": not self.problems, "problems": [str(p) for p in self.problems],
                "warnings": list(self.warnings),
                **({"since": self.updated.to_json()} if self.updated is not None else {}),
                "boxes": [{"box": b.key, "n": b.n, "records": list(b.records) if b.traced else None}
                          for b in self.boxes]}


def load_counts(protocol: Path | None = None, counts_csv: Path | None = None, since: str | None = None) -> LoadedCounts:
    """Counts from a CSV when given, else from the protocol's ledger; with ``since`` (a run id or a date), the
    updated-review counts: previous studies from the records up to it, the new identification after it."""
    if counts_csv is not None:
        if since is not None:
            raise UsageError("--since", ["--since splits the ledger's records; it cannot apply to --counts "
                                               "(give the CSV's previous_studies and previous_reports instead)"])
        read = read_counts(counts_csv)
        return LoadedCounts(read.counts, str(counts_csv), counts_csv.stem, read.layout, read.warnings,
                            tuple(sorted(read.renamed_boxes().items())))
    if protocol is None:
        raise UsageError("PROTOCOL", ["give a PROTOCOL, or --counts FILE.csv"])
    return counts_of(open_review(protocol, since))


def counts_of(review: Review) -> LoadedCounts:
    """The counts of a review already opened."""
    updated = review.updated
    return LoadedCounts(review.counts, review.where, review.protocol.id, "2020",
                        updated.warnings if updated is not None else (), updated=updated)


def make_diagram(protocol: Path | None, counts_csv: Path | None, template: str | None = None, fmt: str = "svg",
                 out: Path | None = None, options: DiagramOptions | None = None,
                 allow_mismatch: bool = False, since: str | None = None) -> Diagram:
    """Check the counts, draw them in a template and write the file; returns what was written. With ``since``
    the counts are the updated review's, and the updated template is chosen unless one is given."""
    return draw_diagram(load_counts(protocol, counts_csv, since), template, fmt, out, options, allow_mismatch)


def draw_diagram(loaded: LoadedCounts, template: str | None = None, fmt: str = "svg", out: Path | None = None,
                 options: DiagramOptions | None = None, allow_mismatch: bool = False) -> Diagram:
    """Check counts already loaded, draw them and write the file (see :func:`make_diagram`)."""
    if not allow_mismatch:
        require_consistent(loaded.counts, loaded.where)
        if loaded.updated is not None:
            _require_split(loaded.updated, loaded.where)
    name = template or ("2009" if loaded.layout == "2009" else choose_template(loaded.counts))
    options = options or DiagramOptions()
    if loaded.labels and not options.labels:
        options = replace(options, labels=loaded.labels)
    data = draw(loaded.counts, TEMPLATES[name], fmt, options)
    path = out or Path(f"{loaded.name}-prisma-{name}.{fmt}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    warnings = list(loaded.warnings)
    if loaded.counts.awaiting:
        warnings.append(f"provisional: {loaded.counts.awaiting:,} record(s) still await a decision")
    if allow_mismatch:
        warnings.extend(f"mismatch drawn as given: {p}" for p in check_counts(loaded.counts))
    return Diagram(data, path, name, tuple(warnings), fmt)


def _require_split(updated: UpdatedCounts, where: str) -> None:
    problems = check_since(updated)
    if problems:
        raise InputError(where, [str(problem) for problem in problems])


def counts_text(protocol: Path | None, counts_csv: Path | None = None, fmt: str = "json",
                since: str | None = None) -> str:
    """The counts as the PRISMA2020 package's CSV or as JSON (with the record ids behind each box; with
    ``since``, also ``since``: the boundary, how many records fall on each side, and the warnings)."""
    loaded = load_counts(protocol, counts_csv, since)
    if fmt == "prisma2020-csv":
        return write_counts(loaded.counts)
    data = loaded.counts.to_json()
    if loaded.updated is not None:
        data["since"] = loaded.updated.to_json()
    return json.dumps(data, indent=2, ensure_ascii=False)


def check(protocol: Path | None, counts_csv: Path | None = None, since: str | None = None) -> CheckResult:
    """Every box with its count and the records behind it, and every identity that fails (with ``since``, also
    the split: each record on one side, total = previous + new on the record ids)."""
    return check_loaded(load_counts(protocol, counts_csv, since))


def check_loaded(loaded: LoadedCounts) -> CheckResult:
    """:func:`check` for counts already loaded."""
    counts = loaded.counts
    problems = tuple(check_counts(counts) + check_records(counts)
                     + (check_since(loaded.updated) if loaded.updated is not None else []))
    keys = list(dict.fromkeys([*BOX_ORDER, *sorted(counts.records)]))
    boxes = tuple(BoxCheck(key, box_count(counts, key), counts.records.get(key, ()), key in counts.records)
                  for key in keys
                  if box_count(counts, key) is not None or key in counts.records)
    return CheckResult(counts, problems, boxes, loaded.warnings, loaded.updated)


BOX_ORDER = ("previous_identified", "previous_studies", "previous_reports", "database_results", "register_results",
             "website_results", "organisation_results", "citations_results", "duplicates", "excluded_automatic",
             "excluded_other", "records_screened", "records_excluded", "records_excluded_automation",
             "records_excluded_reviewers", "records_awaiting_screening", "dbr_sought_reports", "dbr_awaiting_retrieval",
             "dbr_notretrieved_reports", "dbr_assessed", "dbr_awaiting_assessment", "dbr_included",
             "other_sought_reports", "other_awaiting_retrieval", "other_notretrieved_reports", "other_assessed",
             "other_awaiting_assessment", "other_included", "new_studies", "new_reports", "total_studies",
             "total_reports")


def write_report(protocol: Path, out: Path | None = None, template: str | None = None,
                 options: DiagramOptions | None = None, markdown: bool = False, since: str | None = None) -> Path:
    """The self-contained HTML report (or, with ``markdown``, the PRISMA-S search report) written to a file;
    with ``since``, of the updated review (see :func:`load_counts`)."""
    review = open_review(protocol, since)
    if markdown:
        text = to_markdown(review.search)
    else:
        text = report_html(review.title, review.counts, review.search, review.titles,
                           TEMPLATES[template] if template else None, options, updated=review.updated)
    path = out or Path(f"{review.protocol.id}-{'search-report.md' if markdown else 'prisma-report.html'}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_outputs(review: Review | Path, folder: Path, options: DiagramOptions | None = None) -> list[Path]:
    """Everything the way out produces, into one folder (for a pipeline's ``--out``): the diagram (SVG, and
    PNG at ``options.dpi``), the counts as PRISMA2020 CSV and JSON, the PRISMA-S search report (Markdown)
    and the HTML report. Counts that do not add up are still written, and the check's problems are in the
    HTML report; the caller runs :func:`check_loaded` to decide its exit code. ``review``: one already
    opened (the pipeline's), or a protocol file to open."""
    if not isinstance(review, Review):
        review = open_review(review)
    folder.mkdir(parents=True, exist_ok=True)
    counts = review.counts
    name = choose_template(counts)
    written = []
    for fmt in ("svg", "png"):
        path = folder / f"prisma-{name}.{fmt}"
        path.write_bytes(draw(counts, TEMPLATES[name], fmt, options))
        written.append(path)
    texts = {
        "prisma-counts.csv": write_counts(counts),
        "prisma-counts.json": json.dumps(counts.to_json(), indent=2, ensure_ascii=False),
        "search-report.md": to_markdown(review.search),
        "report.html": report_html(review.title, counts, review.search, review.titles, TEMPLATES[name], options),
    }
    for filename, text in texts.items():
        path = folder / filename
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
