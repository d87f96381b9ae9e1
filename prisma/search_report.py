"""The search report (PRISMA-S, Rethlefsen et al. 2021), from the ledger's search log.

Per database: the platform, the date searched, the query exactly as sent, PubMed's translation of it,
the limits, and the records found (what the source reported and what was stored). Per export file:
the file, its database and platform, export date and the records read. Then other methods, and the
de-duplication: method, software version, records removed per rule. Every value comes from a run,
file or record row; items the ledger cannot know (peer review of the strategy, prior work) are listed
as "declared by the authors" so the report shows the gap instead of hiding it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from harvester import __version__
from harvester.ledger import Ledger
from harvester.ledger.records import list_files
from harvester.ledger.reporting import duplicate_rules, records_per_source
from harvester.ledger.runs import list_runs
from harvester.protocol import Protocol
from prisma.counts import PrismaCounts

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
    queries: tuple[SourceQuery, ...] = ()  # per source: the string for its database, warnings, lint, recall


def _limits(parameters: dict[str, Any], text: str | None) -> str:
    parts = []
    if parameters.get("mindate") or parameters.get("maxdate"):
        parts.append(f"{parameters.get('datetype', 'pdat')} from {parameters.get('mindate') or 'the start'} "
                     f"to {parameters.get('maxdate') or 'the search date'}")
    if text:
        parts.append(text)
    return "; ".join(parts) or "none"


def build_search_report(ledger: Ledger, protocol: Protocol, counts: PrismaCounts | None = None) -> SearchReport:
    """Gather the PRISMA-S items from the ledger's runs and files and the protocol's sources."""
    held = records_per_source(ledger)
    databases: list[DatabaseSearch] = []
    searches = [run for run in list_runs(ledger, kind="search")]
    for source in protocol.sources:
        if source.kind != "pubmed":
            continue
        runs = [run for run in searches if run.source == source.name]
        ok = [run for run in runs if run.status == "ok"] or runs
        if not ok:
            continue
        last = ok[-1]
        databases.append(DatabaseSearch(
            source=source.name, database=last.database or source.database, platform=last.platform or source.platform,
            searched=last.started_at[:10], query=last.query or protocol.query_for(source),
            translation=last.query_translation or "", limits=_limits(last.parameters, source.limits),
            reported=last.count_reported, retrieved=last.count_retrieved, run_id=last.id, status=last.status,
            earlier=tuple(run.started_at[:10] for run in ok[:-1]),
        ))
    files: list[FileImport] = []
    kinds = {source.name: source for source in protocol.sources}
    for stored in list_files(ledger):
        declared = kinds.get(stored.source)
        if declared is not None and declared.kind == "other":
            continue
        files.append(FileImport(
            source=stored.source, database=stored.database, platform=declared.platform if declared else "",
            path=stored.path, format=stored.format, export_date=stored.export_date or "",
            searched=(declared.searched or "") if declared else "", records_read=stored.records_read,
            sha256=stored.sha256, query=protocol.query_for(declared) if declared else "",
            limits=(declared.limits or "none") if declared else "none",
        ))
    others = tuple(
        OtherMethod(source.name, source.method or "other", tuple(str(path) for path in source.files),
                    held.get(source.name, 0))
        for source in protocol.sources if source.kind == "other"
    )
    dedupe_runs = [run for run in list_runs(ledger, kind="dedupe") if run.status == "ok"]
    if dedupe_runs:
        last = dedupe_runs[-1]
        settings = ", ".join(f"{key.replace('_', ' ')} {last.parameters[key]}" for key in ("mode", "rules_version")
                             if last.parameters.get(key))
        method = str(last.parameters.get("method") or "prisma-harvester de-duplication (exact identifiers, then "
                     "fuzzy title, authors and citation)") + (f", {settings}" if settings else "")
        if last.message:
            method += f": {last.message}"
        dedup = Deduplication(last.id, last.started_at[:10], last.tool_version, method,
                              counts.duplicates if counts else None, duplicate_rules(ledger, last.id))
    else:
        dedup = Deduplication(None, "", __version__, "not run yet", counts.duplicates if counts else None)
    from harvester.strategy.report import source_queries  # values from the strategy stage (issue-12 moves this)

    return SearchReport(protocol.title, protocol.query_text, tuple(databases), tuple(files), others, dedup, held,
                        queries=source_queries(ledger, protocol))


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


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
        if item.earlier:
            out.append(f"- Earlier runs of this search: {', '.join(item.earlier)}")
        out += ["- Query as run:", "", "```", item.query, "```", ""]
        if item.translation:
            out += ["- PubMed's translation:", "", "```", item.translation, "```", ""]
    out += ["## Databases searched through export files", ""]
    if not report.files:
        out += ["No export files imported.", ""]
    else:
        out += ["| Database | Platform | Searched | Exported | File | Format | Records read |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        for imported in report.files:
            out.append(f"| {imported.database} | {imported.platform} | {imported.searched or '-'} | "
                       f"{imported.export_date or '-'} | `{imported.path}` | {imported.format} | "
                       f"{imported.records_read:,} |")
        out.append("")
        for imported in report.files:
            if imported.query:
                out += [f"Search strategy for {imported.database} ({imported.platform or 'platform not given'}), "
                        "as the protocol states it (limits: " + imported.limits + "):", "", "```", imported.query,
                        "```", ""]
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
                   + (f"<dt>Earlier runs</dt><dd>{e(', '.join(item.earlier))}</dd>" if item.earlier else "")
                   + f"<dt>Query as run</dt><dd><pre>{e(item.query)}</pre></dd>"
                   + (f"<dt>PubMed's translation</dt><dd><pre>{e(item.translation)}</pre></dd>"
                      if item.translation else "")
                   + "</dl>")
    out.append("<h3>Databases searched through export files</h3>")
    if not report.files:
        out.append("<p>No export files imported.</p>")
    else:
        out.append("<table><tr><th>Database</th><th>Platform</th><th>Searched</th><th>Exported</th><th>File</th>"
                   "<th>Format</th><th>Records read</th></tr>")
        for imported in report.files:
            out.append(f"<tr><td>{e(imported.database)}</td><td>{e(imported.platform)}</td>"
                       f"<td>{e(imported.searched or '-')}</td><td>{e(imported.export_date or '-')}</td>"
                       f"<td><code>{e(imported.path)}</code></td><td>{e(imported.format)}</td>"
                       f"<td>{imported.records_read:,}</td></tr>")
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
               + "</ul></section>")
    return "\n".join(out)
