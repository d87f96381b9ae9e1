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
from harvester.files import write_whole
from harvester.review import Review, open_review
from prisma.check import Mismatch, box_count, check_layout, default_layout, provisional
from prisma.counts import PrismaCounts
from prisma.diagram import DiagramOptions, draw
from prisma.html_report import report_html
from prisma.prisma2020_csv import read_counts, write_counts
from prisma.search_report import to_markdown
from prisma.since import UpdatedCounts, check_since
from prisma.templates import TEMPLATES


@dataclass(frozen=True, slots=True)
class LoadedCounts:
    counts: PrismaCounts
    where: str  # the file the counts came from (a ledger or a CSV), for messages
    name: str  # a short name for output files
    layout: str  # "2020" or "2009": the template a CSV was written for
    warnings: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()  # box wording a CSV changes (translations)
    updated: UpdatedCounts | None = None  # with --since: the split into previous and new identification
    screening_reasons: bool = False  # the protocol's show_screening_reasons


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
class Written:
    """A file of the way out (or, for ``counts``, its text) and the warnings to print with it."""

    path: Path
    warnings: tuple[str, ...] = ()
    text: str = ""


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
    template: str = "new"  # the layout checked

    def to_json(self) -> dict[str, Any]:
        """Whether the diagram adds up, every problem, and every box with its count and the records behind it."""
        return {"ok": not self.problems, "template": self.template, "problems": [str(p) for p in self.problems],
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
                        updated.warnings if updated is not None else (), updated=updated,
                        screening_reasons=review.protocol.screening.show_screening_reasons)


def make_diagram(protocol: Path | None, counts_csv: Path | None, template: str | None = None, fmt: str = "svg",
                 out: Path | None = None, options: DiagramOptions | None = None,
                 draft: bool = False, since: str | None = None, strict: bool = False) -> Diagram:
    """Check the counts in the layout to be drawn, draw them and write the file; returns what was written. With
    ``since`` the counts are the updated review's, and the updated template is chosen unless one is given."""
    return draw_diagram(load_counts(protocol, counts_csv, since), template, fmt, out, options, draft, strict)


def layout_problems(loaded: LoadedCounts, template: str) -> list[Mismatch]:
    """Every identity of the layout ``template`` that fails on these counts (with ``--since``, also the split's)."""
    problems = check_layout(loaded.counts, TEMPLATES[template])
    if loaded.updated is not None:
        problems += check_since(loaded.updated)
    return problems


def notices(loaded: LoadedCounts, strict: bool = False) -> list[str]:
    """The warnings every command of the way out gives (the reader's, and "provisional" while records await a
    decision); with ``strict``, a provisional review is refused instead."""
    warnings = list(loaded.warnings)
    pending = provisional(loaded.counts)
    if pending is not None:
        if strict:
            raise InputError(loaded.where, [pending + "; --strict refuses provisional numbers: record the pending "
                                            "decisions first (`prisma-harvest screen export`)"])
        warnings.append(pending)
    return warnings


def refusal(loaded: LoadedCounts, name: str, problems: list[Mismatch]) -> list[str]:
    """Why a layout is not drawn: each problem, what to do, and (the one notion of provisional, given by every
    command) the records still awaiting a decision, which a refusal must not hide."""
    pending = provisional(loaded.counts)
    return ([str(problem) for problem in problems]
            + [f"the {name} diagram does not add up; fix the numbers, choose the layout that fits, or pass --draft "
               "to draw it stamped DRAFT"] + ([pending] if pending is not None else []))


def draw_diagram(loaded: LoadedCounts, template: str | None = None, fmt: str = "svg", out: Path | None = None,
                 options: DiagramOptions | None = None, draft: bool = False, strict: bool = False) -> Diagram:
    """Check counts already loaded in the layout drawn, draw them and write the file (see :func:`make_diagram`).
    A figure that does not add up is refused, naming each failing box, unless ``draft``: then it is drawn
    stamped DRAFT, and each problem is a warning."""
    name = template or default_layout(loaded.counts, loaded.layout)
    warnings = notices(loaded, strict)
    problems = layout_problems(loaded, name)
    if problems and not draft:
        raise InputError(loaded.where, refusal(loaded, name, problems))
    options = options or DiagramOptions()
    if draft and problems:  # the stamp says the numbers do not add up: never on a figure whose numbers do
        options = replace(options, draft=True)
    if loaded.screening_reasons:
        options = replace(options, screening_reasons=True)
    if loaded.labels and not options.labels:
        options = replace(options, labels=loaded.labels)
    data = draw(loaded.counts, TEMPLATES[name], fmt, options)
    path = out or Path(f"{loaded.name}-prisma-{name}.{fmt}")
    write_whole(path, data)
    warnings.extend(f"drawn as a DRAFT although it does not add up: {p}" for p in problems)
    return Diagram(data, path, name, tuple(warnings), fmt)


def counts_text(protocol: Path | None, counts_csv: Path | None = None, fmt: str = "json",
                since: str | None = None, strict: bool = False) -> Written:
    """The counts as the PRISMA2020 package's CSV or as JSON (with the record ids behind each box; with
    ``since``, also ``since``: the boundary, how many records fall on each side, and the warnings); ``path`` is
    empty: the caller prints or writes the text."""
    loaded = load_counts(protocol, counts_csv, since)
    warnings = tuple(notices(loaded, strict))
    if fmt == "prisma2020-csv":
        return Written(Path(), warnings, write_counts(loaded.counts))
    data = loaded.counts.to_json()
    if loaded.updated is not None:
        data["since"] = loaded.updated.to_json()
    return Written(Path(), warnings, json.dumps(data, indent=2, ensure_ascii=False))


def check(protocol: Path | None, counts_csv: Path | None = None, since: str | None = None,
          template: str | None = None, strict: bool = False) -> CheckResult:
    """Every box with its count and the records behind it, and every identity of the layout ``diagram`` would draw
    with the same options that fails (with ``since``, also the split: each record on one side, total = previous +
    new on the record ids)."""
    return check_loaded(load_counts(protocol, counts_csv, since), template, strict)


def check_loaded(loaded: LoadedCounts, template: str | None = None, strict: bool = False) -> CheckResult:
    """:func:`check` for counts already loaded."""
    counts = loaded.counts
    name = template or default_layout(counts, loaded.layout)
    warnings = notices(loaded, strict)
    problems = tuple(layout_problems(loaded, name))
    keys = list(dict.fromkeys([*BOX_ORDER, *sorted(counts.records)]))
    boxes = tuple(BoxCheck(key, box_count(counts, key), counts.records.get(key, ()), key in counts.records)
                  for key in keys
                  if box_count(counts, key) is not None or key in counts.records)
    return CheckResult(counts, problems, boxes, tuple(warnings), loaded.updated, name)


BOX_ORDER = ("previous_identified", "previous_studies", "previous_reports", "database_results", "register_results",
             "website_results", "organisation_results", "citations_results", "duplicates", "excluded_automatic",
             "excluded_other", "records_screened", "records_excluded", "records_excluded_automation",
             "records_excluded_reviewers", "records_awaiting_screening", "dbr_sought_reports", "dbr_awaiting_retrieval",
             "dbr_notretrieved_reports", "dbr_assessed", "dbr_awaiting_assessment", "dbr_included",
             "other_sought_reports", "other_awaiting_retrieval", "other_notretrieved_reports", "other_assessed",
             "other_awaiting_assessment", "other_included", "new_studies", "new_reports", "total_studies",
             "total_reports")


def write_report(protocol: Path, out: Path | None = None, template: str | None = None,
                 options: DiagramOptions | None = None, markdown: bool = False, since: str | None = None,
                 draft: bool = False, strict: bool = False) -> Written:
    """The self-contained HTML report (or, with ``markdown``, the PRISMA-S search report) written to a file;
    with ``since``, of the updated review (see :func:`load_counts`). Its diagram is checked as ``diagram``
    checks it: refused when it does not add up, unless ``draft`` (then stamped DRAFT)."""
    review = open_review(protocol, since)
    loaded = counts_of(review)
    warnings = notices(loaded, strict)
    if markdown:
        text = to_markdown(review.search)
    else:
        name = template or default_layout(review.counts)
        problems = layout_problems(loaded, name)
        if problems and not draft:
            raise InputError(loaded.where, refusal(loaded, name, problems))
        warnings.extend(f"drawn as a DRAFT although it does not add up: {p}" for p in problems)
        options = replace(options or DiagramOptions(), screening_reasons=loaded.screening_reasons)
        text = report_html(review.title, review.counts, review.search, review.titles, TEMPLATES[name], options,
                           updated=review.updated)
    path = out or Path(f"{review.protocol.id}-{'search-report.md' if markdown else 'prisma-report.html'}")
    write_whole(path, text)
    return Written(path, tuple(warnings))


def write_outputs(review: Review | Path, folder: Path, options: DiagramOptions | None = None) -> list[Path]:
    """Everything the way out produces, into one folder (for a pipeline's ``--out``): the diagram (SVG, and
    PNG at ``options.dpi``), the counts as PRISMA2020 CSV and JSON, the PRISMA-S search report (Markdown)
    and the HTML report. Counts that do not add up are still written, but every figure of them is stamped
    DRAFT and the check's problems are in the HTML report; the caller runs :func:`check_loaded` to decide its
    exit code. ``review``: one already opened (the pipeline's), or a protocol file to open."""
    if not isinstance(review, Review):
        review = open_review(review)
    options = replace(options or DiagramOptions(footnotes=True),
                      screening_reasons=review.protocol.screening.show_screening_reasons)
    folder.mkdir(parents=True, exist_ok=True)
    counts = review.counts
    loaded = counts_of(review)
    name = default_layout(counts)
    draft = bool(layout_problems(loaded, name))
    written = [draw_diagram(loaded, name, fmt, folder / f"prisma-{name}.{fmt}", options, draft=draft).path
               for fmt in ("svg", "png")]
    texts = {
        "prisma-counts.csv": write_counts(counts),
        "prisma-counts.json": json.dumps(counts.to_json(), indent=2, ensure_ascii=False),
        "search-report.md": to_markdown(review.search),
        "report.html": report_html(review.title, counts, review.search, review.titles, TEMPLATES[name], options),
    }
    for filename, text in texts.items():
        path = folder / filename
        write_whole(path, text)
        written.append(path)
    return written
