"""The PRISMA2020 R package's CSV (Haddaway et al. 2022): read it, and write it from counts.

The file has eight columns (``data,node,box,description,boxtext,tooltips,url,n``); ``data`` names the
count, ``n`` holds it. Four rows hold lists, ``Name, n; Name, n`` (the name is what precedes the first
comma); a bare number is one unnamed line. A blank (or ``NA``) ``n`` hides the line. Numbers may carry
thousands separators. The template ships ``xxx`` placeholders in its lists: those lines are hidden
with a warning, so the package's own template reads without error.

We read rows by exact ``data`` key (the R package greps). Our extra counts (automation split,
records awaiting a decision, other-method kinds the template has no line for) are written as extra
rows whose keys contain none of the package's keys, so the R package ignores them.

A PRISMA 2009 counts file (:data:`KEYS_2009`, columns ``data,boxtext,n``) is read here too, checked
with the 2009 identities naming the 2009 boxes, then mapped onto the 2020 model (docs/prisma.md).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harvester.errors import InputError
from prisma.counts import Line, PrismaCounts

COLUMNS = ("data", "node", "box", "description", "boxtext", "tooltips", "url", "n")
LIST_KEYS = frozenset({"database_specific_results", "register_specific_results", "dbr_excluded", "other_excluded"})
#: our rows beyond the package's (key -> PrismaCounts field, label)
EXTRA_ROWS: dict[str, tuple[str, str]] = {
    "x_ta_excl_automation": ("records_excluded_automation", "Records excluded at title/abstract by automation tools"),
    "x_ta_excl_reviewers": ("records_excluded_reviewers", "Records excluded at title/abstract by reviewers"),
    "x_ta_awaiting": ("records_awaiting_screening", "Records awaiting title/abstract screening"),
    "x_dbr_retrieval_awaiting": ("dbr_awaiting_retrieval", "Reports awaiting retrieval (databases and registers)"),
    "x_dbr_assessment_awaiting": ("dbr_awaiting_assessment", "Reports awaiting assessment (databases and registers)"),
    "x_oth_retrieval_awaiting": ("other_awaiting_retrieval", "Reports awaiting retrieval (other methods)"),
    "x_oth_assessment_awaiting": ("other_awaiting_assessment", "Reports awaiting assessment (other methods)"),
    "x_oth_methods": ("other_method_results", "Records identified from other methods without a template line"),
    "x_oth_removed": ("other_removed", "Other-method records removed before retrieval"),
}
EXTRA_LISTS = frozenset({"x_oth_methods", "x_oth_removed"})
#: extra rows whose 0 is a count, not "not reported" (their field is None when the split is unknown)
SPLIT_ROWS = frozenset({"x_ta_excl_automation", "x_ta_excl_reviewers"})
#: package keys read into PrismaCounts fields of another name
RENAMED = {"total_studies_ma": "meta_analysis_studies", "total_reports_ma": "meta_analysis_reports"}
#: rows that are labels only (title bars, side bars): their n is ignored
LABEL_ROWS = frozenset({"NA", "", "identification", "screening", "included"})

#: The PRISMA 2009 counts file: key -> box wording (Moher et al. 2009).
KEYS_2009: dict[str, str] = {
    "database_results": "Records identified through database searching",
    "other_results": "Additional records identified through other sources",
    "after_duplicates": "Records after duplicates removed",
    "records_screened": "Records screened",
    "records_excluded": "Records excluded",
    "fulltext_assessed": "Full-text articles assessed for eligibility",
    "fulltext_excluded": "Full-text articles excluded, with reasons",
    "qualitative": "Studies included in qualitative synthesis",
    "quantitative": "Studies included in quantitative synthesis (meta-analysis)",
}

_TEMPLATE_ROWS: tuple[tuple[str, str, str, str, str], ...] = (
    # data, node, box, boxtext, url  (description and tooltip are written from boxtext)
    ("NA", "node4", "prevstud", "Previous studies", "prevstud.html"),
    ("previous_studies", "node5", "box1", "Studies included in previous version of review", "previous_studies.html"),
    ("previous_reports", "NA", "box1", "Reports of studies included in previous version of review", "NA"),
    ("NA", "node6", "newstud", "Identification of new studies via databases and registers", "newstud.html"),
    ("database_results", "node7", "box2", "Databases", "database_results.html"),
    ("database_specific_results", "NA", "box2", "Specific Databases", "database_results.html"),
    ("register_results", "NA", "box2", "Registers", "NA"),
    ("register_specific_results", "NA", "box2", "Specific Registers", "database_results.html"),
    ("NA", "node16", "othstud", "Identification of new studies via other methods", "othstud.html"),
    ("website_results", "node17", "box11", "Websites", "website_results.html"),
    ("organisation_results", "NA", "box11", "Organisations", "NA"),
    ("citations_results", "NA", "box11", "Citation searching", "NA"),
    ("duplicates", "node8", "box3", "Duplicate records", "duplicates.html"),
    ("excluded_automatic", "NA", "box3", "Records marked as ineligible by automation tools", "NA"),
    ("excluded_other", "NA", "box3", "Records removed for other reasons", "NA"),
    ("records_screened", "node9", "box4", "Records screened", "records_screened.html"),
    ("records_excluded", "node10", "box5", "Records excluded", "records_excluded.html"),
    ("dbr_sought_reports", "node11", "box6", "Reports sought for retrieval", "dbr_sought_reports.html"),
    ("dbr_notretrieved_reports", "node12", "box7", "Reports not retrieved", "dbr_notretrieved_reports.html"),
    ("other_sought_reports", "node18", "box12", "Reports sought for retrieval", "other_sought_reports.html"),
    ("other_notretrieved_reports", "node19", "box13", "Reports not retrieved", "other_notretrieved_reports.html"),
    ("dbr_assessed", "node13", "box8", "Reports assessed for eligibility", "dbr_assessed.html"),
    ("dbr_excluded", "node14", "box9", "Reports excluded", "dbrexcludedrecords.html"),
    ("other_assessed", "node20", "box14", "Reports assessed for eligibility", "other_assessed.html"),
    ("other_excluded", "node21", "box15", "Reports excluded", "other_excluded.html"),
    ("new_studies", "node15", "box10", "New studies included in review", "new_studies.html"),
    ("new_reports", "NA", "box10", "Reports of new included studies", "NA"),
    ("total_studies", "node22", "box16", "Total studies included in review", "total_studies.html"),
    ("total_reports", "NA", "box16", "Reports of total included studies", "NA"),
    ("identification", "node1", "identification", "Identification", "identification.html"),
    ("screening", "node2", "screening", "Screening", "screening.html"),
    ("included", "node3", "included", "Included", "included.html"),
    ("total_studies_ma", "node23", "box17", "Total studies included in meta-analysis",
     "total_studies_meta_analysis.html"),
    ("total_reports_ma", "NA", "box17", "Reports of total included studies in meta-analysis", "NA"),
)
_KNOWN = {row[0] for row in _TEMPLATE_ROWS} | set(EXTRA_ROWS)
_NUMBER = re.compile(r"^\s*\d[\d,\s]*$")


@dataclass(frozen=True, slots=True)
class CountsFile:
    """Counts read from a CSV, what the reader noticed, and the file's layout (``2020`` or ``2009``)."""

    counts: PrismaCounts
    layout: str
    warnings: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)  # data key -> boxtext, as the file words it

    def renamed_boxes(self) -> dict[str, str]:
        """Box wording the file changes from the package's defaults (a translation, a renamed line), by
        PrismaCounts field; defaults are left to our templates, which hold the official wording."""
        if self.layout != "2020":
            return {}
        defaults = {row[0]: row[3] for row in _TEMPLATE_ROWS}
        return {RENAMED.get(key, key): text for key, text in self.labels.items()
                if text and key in defaults and text != defaults[key] and key not in LIST_KEYS}


def _blank(text: str | None) -> bool:
    return text is None or text.strip() in ("", "NA")


def _integer(text: str, where: str, problems: list[str]) -> int | None:
    if _blank(text):
        return None
    if not _NUMBER.match(text):
        problems.append(f"{where}: expected a whole number, got {text.strip()!r}")
        return None
    return int(re.sub(r"[,\s]", "", text))


def parse_list(text: str, where: str, problems: list[str], warnings: list[str]) -> tuple[Line, ...]:
    """``Name, n; Name, n`` (or a bare number: one unnamed line); placeholder counts hide their line."""
    lines: list[Line] = []
    if _blank(text):
        return ()
    for entry in (part.strip() for part in text.split(";")):
        if not entry:
            continue
        name, _, count = entry.partition(",") if "," in entry else ("", "", entry)
        name, count = name.strip(), count.strip()
        if not re.search(r"\d", count):
            warnings.append(f"{where}: {entry!r} has no count (a template placeholder?); line hidden")
            continue
        value = _integer(count, f"{where}: {name or 'entry'}", problems)
        if value is not None:
            lines.append(Line(name, value))
    return tuple(lines)


def read_counts(path: str | Path, text: str | None = None) -> CountsFile:
    """Read a PRISMA2020-package CSV (or our 2009 counts file); refuses it, listing every problem."""
    path = Path(path)
    if text is None:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise InputError(str(path), [f"cannot read: {error}"]) from error
    rows = list(csv.DictReader(io.StringIO(text)))
    header = set(rows[0]) if rows else set()
    if not {"data", "n"} <= header:
        raise InputError(str(path), ["expected a CSV with at least the columns 'data' and 'n' "
                                     "(the PRISMA2020 package's template, or data,boxtext,n for PRISMA 2009)"])
    keys = {(row.get("data") or "").strip() for row in rows}
    if "after_duplicates" in keys or "fulltext_assessed" in keys:
        return _read_2009(path, rows)
    return _read_2020(path, rows)


def _read_2020(path: Path, rows: list[dict[str, Any]]) -> CountsFile:
    problems: list[str] = []
    warnings: list[str] = []
    values: dict[str, Any] = {}
    labels: dict[str, str] = {}
    for number, row in enumerate(rows, start=2):
        key = (row.get("data") or "").strip()
        where = f"line {number} ({key})"
        if key in LABEL_ROWS:
            continue
        if key not in _KNOWN:
            warnings.append(f"{where}: unknown row ignored")
            continue
        if key in values:
            problems.append(f"{where}: {key} appears twice")
            continue
        labels[key] = (row.get("boxtext") or "").strip()
        n = row.get("n") or ""
        name = EXTRA_ROWS[key][0] if key in EXTRA_ROWS else RENAMED.get(key, key)
        if key in LIST_KEYS or key in EXTRA_LISTS:
            values[name] = parse_list(n, where, problems, warnings)
        else:
            values[name] = _integer(n, where, problems)
    if problems:
        raise InputError(str(path), problems)
    for name in ("records_awaiting_screening", "dbr_awaiting_retrieval", "dbr_awaiting_assessment",
                 "other_awaiting_retrieval", "other_awaiting_assessment"):
        if values.get(name) is None:
            values.pop(name, None)
    counts = PrismaCounts(**values)
    if counts.other_sought_reports is not None and not counts.other_methods:
        warnings.append("other-method reports are given but no other-method records: the other arm is hidden")
    return CountsFile(counts, "2020", tuple(warnings), labels)


def _read_2009(path: Path, rows: list[dict[str, Any]]) -> CountsFile:
    """A 2009 counts file: checked with the 2009 identities, then mapped onto the 2020 model."""
    problems: list[str] = []
    warnings: list[str] = []
    got: dict[str, Any] = {}
    for number, row in enumerate(rows, start=2):
        key = (row.get("data") or "").strip()
        where = f"line {number} ({key})"
        if key not in KEYS_2009:
            warnings.append(f"{where}: unknown row ignored (PRISMA 2009 keys: {', '.join(KEYS_2009)})")
            continue
        n = row.get("n") or ""
        if key == "fulltext_excluded" and not _blank(n) and not _NUMBER.match(n):
            reasons = parse_list(n, where, problems, warnings)
            got["fulltext_reasons"] = reasons
            got[key] = sum(line.n for line in reasons)
        else:
            got[key] = _integer(n, where, problems)
    for key in ("database_results", "after_duplicates", "records_screened", "records_excluded",
                "fulltext_assessed", "fulltext_excluded", "qualitative"):
        if got.get(key) is None:
            problems.append(f"{KEYS_2009[key]} [{key}]: required in a PRISMA 2009 counts file")
    if problems:
        raise InputError(str(path), problems)
    found, other = got["database_results"], got.get("other_results") or 0
    after, screened, excluded = got["after_duplicates"], got["records_screened"], got["records_excluded"]
    assessed, ft_excluded, included = got["fulltext_assessed"], got["fulltext_excluded"], got["qualitative"]

    def box(key: str) -> str:
        return f"{KEYS_2009[key]} [{key}]"

    if after > found + other:
        problems.append(f"{box('after_duplicates')} holds {after:,}, more than the {found + other:,} identified")
    if screened != after:
        problems.append(f"{box('records_screened')} holds {screened:,} but records after duplicates removed = "
                        f"{after:,}")
    if assessed != screened - excluded:
        problems.append(f"{box('fulltext_assessed')} holds {assessed:,} but screened {screened:,} - excluded "
                        f"{excluded:,} = {screened - excluded:,}")
    if included != assessed - ft_excluded:
        problems.append(f"{box('qualitative')} holds {included:,} but assessed {assessed:,} - excluded with "
                        f"reasons {ft_excluded:,} = {assessed - ft_excluded:,}")
    quantitative = got.get("quantitative")
    if quantitative is not None and quantitative > included:
        problems.append(f"{box('quantitative')} holds {quantitative:,}, more than the {included:,} in the "
                        "qualitative synthesis")
    duplicates = found + other - after
    dbr_screened = found - duplicates
    if not problems and excluded > dbr_screened:
        problems.append(f"{box('records_excluded')} holds {excluded:,}: more than the {dbr_screened:,} database "
                        "records, so it cannot be drawn in a 2020 layout (other-method records go straight to "
                        "retrieval there)")
    if not problems and ft_excluded > dbr_screened - excluded:
        problems.append(f"{box('fulltext_excluded')} holds {ft_excluded:,}: more than the database reports assessed")
    if problems:
        raise InputError(str(path), problems)
    reasons = got.get("fulltext_reasons") or ((Line("", ft_excluded),) if ft_excluded else ())
    dbr_sought = dbr_screened - excluded
    counts = PrismaCounts(
        database_results=found, duplicates=duplicates, excluded_automatic=0, excluded_other=0,
        records_screened=dbr_screened, records_excluded=excluded,
        dbr_sought_reports=dbr_sought, dbr_notretrieved_reports=0, dbr_assessed=dbr_sought, dbr_excluded=reasons,
        other_method_results=(Line("Other sources", other),) if got.get("other_results") is not None else (),
        other_sought_reports=other if got.get("other_results") is not None else None,
        other_notretrieved_reports=0 if got.get("other_results") is not None else None,
        other_assessed=other if got.get("other_results") is not None else None,
        new_studies=included, new_reports=included, meta_analysis_studies=quantitative,
    )
    return CountsFile(counts, "2009", tuple(warnings), {key: KEYS_2009[key] for key in got if key in KEYS_2009})


def _format_list(lines: tuple[Line, ...]) -> str:
    return "; ".join(f"{line.name}, {line.n}" if line.name else str(line.n) for line in lines)


def write_counts(counts: PrismaCounts) -> str:
    """The PRISMA2020 package's CSV for these counts (its 34 rows in its order, then our extra rows)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for data, node, box, boxtext, url in _TEMPLATE_ROWS:
        name = RENAMED.get(data, data)
        if data == "NA" or data in LABEL_ROWS:
            n = "0"
        else:
            value = getattr(counts, name)
            n = _format_list(value) if data in LIST_KEYS else ("" if value is None else str(value))
        tooltip = boxtext if node != "NA" else "NA"
        writer.writerow((data, node, box, boxtext, boxtext, tooltip, url, n))
    for key, (name, label) in EXTRA_ROWS.items():
        value = getattr(counts, name)
        if key in EXTRA_LISTS:
            if not value:
                continue
            n = _format_list(value)
        else:
            # an awaiting count of 0 reads back as 0 when left out; the automation/reviewers split is None when not
            # reported, so its 0 is written (left out, a split "0 by automation tools" would read as not reported)
            if value is None or (value == 0 and key not in SPLIT_ROWS):
                continue
            n = str(value)
        writer.writerow((key, "NA", "NA", label, label, "NA", "NA", n))
    return out.getvalue()


def with_counts(counts: PrismaCounts, **changes: Any) -> PrismaCounts:
    """A copy with some boxes changed (tests and overrides); ids are dropped, they no longer match."""
    return replace(counts, records={}, **changes)
