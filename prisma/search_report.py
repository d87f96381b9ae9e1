"""The search report (PRISMA-S, Rethlefsen et al. 2021), from the ledger's search log.

Per database: the platform, the date searched, the query exactly as sent, PubMed's translation of it,
the limits, and the records found (what the source reported and what was stored). Per export file:
the file, its database and platform, export date and the records read. Then other methods, and the
de-duplication: method, software version, records removed per rule. Every value comes from a run,
file or record row; items the ledger cannot know (peer review of the strategy, prior work) are listed
as "declared by the authors" so the report shows the gap instead of hiding it.

The harvester gathers the values (``harvester.review.search_report``); this module holds them and writes
them out as Markdown or HTML.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from harvester import __version__

NOT_IN_LEDGER = (
    ("14", "Peer review", "Describe any search peer review process (e.g. PRESS)."),
    ("11", "Prior work", "Cite search strategies reused or adapted from earlier work."),
    ("6", "Contacts", "State whether authors, experts or manufacturers were contacted."),
)


@dataclass(frozen=True, slots=True)
class DatabaseSearch:
    source: str
    database: str
    platform: str
    searched: str
    query: str
    translation: str
    limits: str
    reported: int | None
    retrieved: int | None
    run_id: int
    status: str
    earlier: tuple[str, ...] = ()  # dates of earlier runs of the same search (PRISMA-S item 12)
    data_version: str = ""  # a register's own date for its data (ClinicalTrials.gov's dataTimestamp)
    notes: str = ""  # the run's message: gaps, the query compiler's warnings


@dataclass(frozen=True, slots=True)
class FailedAttempt:
    """A search that did not complete (failed, or stopped and not resumed): kept in the log, listed in an
    appendix, never as a search the review reports."""

    source: str
    database: str
    started: str
    run_id: int
    status: str
    message: str


@dataclass(frozen=True, slots=True)
class FileImport:
    source: str
    database: str
    platform: str
    path: str
    format: str
    export_date: str
    searched: str
    records_read: int
    sha256: str
    query: str
    limits: str = "none"
    withdrawn: str = ""  # a withdrawal in force on the file: how, why, who, when
    register: bool = False  # a study register's export (PRISMA-S item 3), not a bibliographic database's


@dataclass(frozen=True, slots=True)
class OtherMethod:
    source: str
    method: str
    files: tuple[str, ...]
    records: int


@dataclass(frozen=True, slots=True)
class Deduplication:
    run_id: int | None
    date: str
    tool_version: str
    method: str
    removed: int | None
    per_rule: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SourceQuery:
    """One source's search string as its database takes it, with the warnings of writing it, the lint
    result, the date searched and the known-studies recall (PRISMA-S items 8, 13-16), as plain values."""

    source: str
    database: str  # the target the string is written for ("" when none of the twelve: the protocol's text)
    query: str
    warnings: tuple[str, ...]
    lint: tuple[str, ...]
    searched: str
    recall: str = ""  # "12 of 14 known studies returned (85.7%) ..."; empty when no --known check was run


@dataclass(frozen=True, slots=True)
class SearchReport:
    title: str
    query: str
    databases: tuple[DatabaseSearch, ...]
    files: tuple[FileImport, ...]
    others: tuple[OtherMethod, ...]
    deduplication: Deduplication
    records_per_source: dict[str, int]
    tool_version: str = __version__
    failed: tuple[FailedAttempt, ...] = ()
    queries: tuple[SourceQuery, ...] = ()  # per source: the string for its database, warnings, lint, recall


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def _files_markdown(heading: str, files: list[FileImport], empty: str) -> list[str]:
    out = [f"## {heading}", ""]
    if not files:
        return out + [empty, ""]
    out += ["| Database | Platform | Searched | Exported | File | Format | Records read |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for imported in files:
        out.append(f"| {imported.database} | {imported.platform} | {imported.searched or '-'} | "
                   f"{imported.export_date or '-'} | `{imported.path}` | {imported.format} | "
                   f"{imported.records_read:,}" + (f" (withdrawn: {imported.withdrawn})" if imported.withdrawn
                                                  else "") + " |")
    out.append("")
    for imported in files:
        if imported.query:
            out += [f"Search strategy for {imported.database} ({imported.platform or 'platform not given'}), "
                    "as the protocol states it (limits: " + imported.limits + "):", "", "```", imported.query,
                    "```", ""]
    return out


def to_markdown(report: SearchReport) -> str:
    """The search report as Markdown, for a supplement or the methods section."""
    out = [f"# Search report (PRISMA-S): {report.title}", "",
           f"Generated by prisma-harvester {report.tool_version}.", "", "## Databases searched live", ""]
    if not report.databases:
        out += ["No live searches recorded.", ""]
    for item in report.databases:
        out += [f"### {item.database} via {item.platform}", "",
                f"- Date searched: {item.searched} (run #{item.run_id}, {item.status})",
                f"- Records found: {_n(item.reported)} reported by the database, {_n(item.retrieved)} retrieved",
                f"- Limits: {item.limits}"]
        if item.data_version:
            out.append(f"- Register data as of: {item.data_version}")
        if item.notes:
            out.append(f"- Notes: {item.notes}")
        if item.earlier:
            out.append(f"- Earlier runs of this search: {', '.join(item.earlier)}")
        out += ["- Query as run:", "", "```", item.query, "```", ""]
        if item.translation:
            out += ["- PubMed's translation:", "", "```", item.translation, "```", ""]
    for heading, files, empty in (
            ("Databases searched through export files", [i for i in report.files if not i.register],
             "No export files imported."),
            ("Study registers searched through export files (PRISMA-S item 3)",
             [i for i in report.files if i.register], ""),
    ):
        if files or empty:
            out += _files_markdown(heading, files, empty)
    out += _queries_markdown(report.queries)
    out += ["## Other methods", ""]
    if not report.others:
        out += ["None.", ""]
    for other in report.others:
        out.append(f"- {other.source}: {other.method}, {other.records:,} records"
                   + (f" (files: {', '.join(f'`{f}`' for f in other.files)})" if other.files else ""))
    out += ["", "## De-duplication", "",
            f"- Method: {report.deduplication.method}",
            f"- Software: prisma-harvester {report.deduplication.tool_version}"
            + (f", run #{report.deduplication.run_id} on {report.deduplication.date}"
               if report.deduplication.run_id else ""),
            f"- Records removed as duplicates: {_n(report.deduplication.removed)}"]
    for rule, n in sorted(report.deduplication.per_rule.items()):
        out.append(f"  - by rule {rule}: {n:,}")
    out += ["", "## Records held per source (before de-duplication)", ""]
    for source, n in sorted(report.records_per_source.items()):
        out.append(f"- {source}: {n:,}")
    out += ["", "## Declared by the authors (not in the ledger)", ""]
    for number, name, what in NOT_IN_LEDGER:
        out.append(f"- PRISMA-S item {number}, {name}: {what}")
    if report.failed:
        out += ["", "## Appendix: search attempts that did not complete", "",
                "Kept in the search log; the searches above are the successful runs.", ""]
        for attempt in report.failed:
            out.append(f"- {attempt.database} ({attempt.source}), run #{attempt.run_id} on {attempt.started}: "
                       f"{attempt.status}: {attempt.message}")
    return "\n".join(out) + "\n"


def _queries_markdown(queries: tuple[SourceQuery, ...]) -> list[str]:
    """PRISMA-S items 8 and 13-16: each database's exact string, how it differs from the protocol's, the lint."""
    if not queries:
        return []
    out = ["## Search strings per database", ""]
    for item in queries:
        out += [f"### {item.source} ({item.database or 'as written in the protocol'})", "",
                f"- Date searched: {item.searched or 'not given'}", "- Search string:", "", "```", item.query, "```",
                ""]
        out += ["- Translation warnings:" if item.warnings else "- Translation warnings: none"]
        out += [f"  - {warning}" for warning in item.warnings]
        out += ["- Lint: " + "; ".join(item.lint)]
        if item.recall:
            out.append(f"- Known studies: {item.recall}")
        out.append("")
    return out


def to_html(report: SearchReport) -> str:
    """The search report as an HTML fragment (a ``<section>``), for the self-contained report."""
    e = html.escape
    out = ['<section id="search-report">', "<h2>Search report (PRISMA-S)</h2>",
           f"<p>Generated by prisma-harvester {e(report.tool_version)}.</p>", "<h3>Databases searched live</h3>"]
    if not report.databases:
        out.append("<p>No live searches recorded.</p>")
    for item in report.databases:
        out.append(f"<h4>{e(item.database)} via {e(item.platform)}</h4><dl>"
                   f"<dt>Date searched</dt><dd>{e(item.searched)} (run #{item.run_id}, {e(item.status)})</dd>"
                   f"<dt>Records found</dt><dd>{_n(item.reported)} reported, {_n(item.retrieved)} retrieved</dd>"
                   f"<dt>Limits</dt><dd>{e(item.limits)}</dd>"
                   + (f"<dt>Register data as of</dt><dd>{e(item.data_version)}</dd>" if item.data_version else "")
                   + (f"<dt>Notes</dt><dd>{e(item.notes)}</dd>" if item.notes else "")
                   + (f"<dt>Earlier runs</dt><dd>{e(', '.join(item.earlier))}</dd>" if item.earlier else "")
                   + f"<dt>Query as run</dt><dd><pre>{e(item.query)}</pre></dd>"
                   + (f"<dt>PubMed's translation</dt><dd><pre>{e(item.translation)}</pre></dd>"
                      if item.translation else "")
                   + "</dl>")
    out.append("<h3>Databases and study registers searched through export files</h3>")
    if not report.files:
        out.append("<p>No export files imported.</p>")
    else:
        out.append("<table><tr><th>Database</th><th>Platform</th><th>Searched</th><th>Exported</th><th>File</th>"
                   "<th>Format</th><th>Records read</th></tr>")
        for imported in report.files:
            kind = " (study register)" if imported.register else ""
            out.append(f"<tr><td>{e(imported.database)}{kind}</td><td>{e(imported.platform)}</td>"
                       f"<td>{e(imported.searched or '-')}</td><td>{e(imported.export_date or '-')}</td>"
                       f"<td><code>{e(imported.path)}</code></td><td>{e(imported.format)}</td>"
                       f"<td>{imported.records_read:,}"
                       + (f" (withdrawn: {e(imported.withdrawn)})" if imported.withdrawn else "") + "</td></tr>")
        out.append("</table>")
        for imported in report.files:
            if imported.query:
                platform = imported.platform or "platform not given"
                out.append(f"<p>Search strategy for {e(imported.database)} ({e(platform)}), as the protocol states "
                           f"it (limits: {e(imported.limits)}):</p><pre>{e(imported.query)}</pre>")
    for query in report.queries:
        out.append(f"<h4>Search string for {e(query.source)} ({e(query.database or 'as written in the protocol')})</h4>"
                   f"<dl><dt>Date searched</dt><dd>{e(query.searched or 'not given')}</dd>"
                   f"<dt>Search string</dt><dd><pre>{e(query.query)}</pre></dd>"
                   f"<dt>Translation warnings</dt><dd>{'<br>'.join(e(w) for w in query.warnings) or 'none'}</dd>"
                   f"<dt>Lint</dt><dd>{e('; '.join(query.lint))}</dd>"
                   + (f"<dt>Known studies</dt><dd>{e(query.recall)}</dd>" if query.recall else "") + "</dl>")
    out.append("<h3>Other methods</h3><ul>")
    for other in report.others:
        out.append(f"<li>{e(other.source)}: {e(other.method)}, {other.records:,} records</li>")
    out.append("</ul>" if report.others else "<li>None.</li></ul>")
    dedup = report.deduplication
    out.append(f"<h3>De-duplication</h3><ul><li>Method: {e(dedup.method)}</li>"
               f"<li>Software: prisma-harvester {e(dedup.tool_version)}"
               + (f", run #{dedup.run_id} on {e(dedup.date)}" if dedup.run_id else "") + "</li>"
               f"<li>Records removed as duplicates: {_n(dedup.removed)}</li>"
               + "".join(f"<li>by rule {e(rule)}: {n:,}</li>" for rule, n in sorted(dedup.per_rule.items()))
               + "</ul>")
    out.append("<h3>Records held per source (before de-duplication)</h3><ul>"
               + "".join(f"<li>{e(s)}: {n:,}</li>" for s, n in sorted(report.records_per_source.items()))
               + "</ul>")
    out.append("<h3>Declared by the authors (not in the ledger)</h3><ul>"
               + "".join(f"<li>PRISMA-S item {n}, {e(name)}: {e(what)}</li>" for n, name, what in NOT_IN_LEDGER)
               + "</ul>")
    if report.failed:
        out.append("<h3>Appendix: search attempts that did not complete</h3><ul>"
                   + "".join(f"<li>{e(a.database)} ({e(a.source)}), run #{a.run_id} on {e(a.started)}: "
                             f"{e(a.status)}: {e(a.message)}</li>" for a in report.failed) + "</ul>")
    out.append("</section>")
    return "\n".join(out)
