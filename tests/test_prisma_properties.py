"""No option combination writes a figure that does not add up, on random small reviews built through the library.

Each example is a review brought in the way the commands do it (``import_files``, ``withdraw``, ``dedupe_ledger``,
``apply_rules``, screening sheets exported and decisions imported, ``link_study``): random articles in random
sources (so random duplicates, within and across the arms), random languages and titles a screening rule excludes,
random decisions of two screeners and a resolver at each stage (reasons that differ too), a file withdrawn before
de-duplication or after screening (and perhaps the withdrawal undone), previous numbers or not, the protocol's
``show_screening_reasons`` on or off. Then every layout with every combination of ``--draft``, ``--strict`` and
``--footnotes`` either refuses (naming a layout that fits, or because ``--strict`` meets provisional numbers), or
writes a figure: stamped DRAFT only when it was asked and the layout does not fit, otherwise one whose every number,
read back from it, is the number counted from the ledger with SQL
(``tests.prisma_review.ledger_flow``), and which ``check`` with the same options passes. The counts written as
the PRISMA2020 CSV and read back (``--counts``) fit the same layouts and draw the same numbers.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harvester import dedup
from harvester import protocol as protocol_module
from harvester.errors import InputError
from harvester.importing import import_files
from harvester.ledger import Ledger
from harvester.outputs import LoadedCounts, check_loaded, counts_of, draw_diagram
from harvester.review import open_review
from harvester.screening import apply_rules, export_sheet, import_decisions
from harvester.screening.studies import link_study
from harvester.withdraw import withdraw
from prisma.check import layouts_that_fit
from prisma.diagram import DiagramOptions
from prisma.prisma2020_csv import read_counts, write_counts
from tests.prisma_figures import assert_figure, dot_boxes
from tests.prisma_review import (
    FILES,
    REASONS,
    Article,
    _title,
    decision_rows,
    ledger_flow,
    protocol_text,
    write_decisions,
    write_files,
)

LAYOUTS = ("new", "new-other", "updated", "updated-other", "2009")
_TA = st.sampled_from([None, "include", "exclude"])
_FT = st.sampled_from([None, "include", "exclude", "maybe"])


@st.composite
def articles(draw: st.DrawFn) -> list[Article]:
    found = []
    for i in range(draw(st.integers(1, 9))):
        sources = tuple(draw(st.lists(st.sampled_from(sorted(FILES)), min_size=1, max_size=3, unique=True)))
        ta = {who: d for who, d in zip(("AB", "CD", "EF"), draw(st.tuples(_TA, _TA, _TA)), strict=True) if d}
        ft = {who: d for who, d in zip(("AB", "CD", "EF"), draw(st.tuples(_FT, _FT, _FT)), strict=True) if d}
        animal = draw(st.booleans())
        found.append(Article(
            f"A{i + 1:02d}", _title(i + 1, "Peer workers in an animal model of" if animal else
                                    "Experiences of peer workers in"), sources,
            language=draw(st.sampled_from(["eng", "eng", "ger"])), ta=ta, ta_reason=draw(st.sampled_from(["", "Off"])),
            retrieved=draw(st.booleans()), ft=ft, ft_reason=draw(st.sampled_from(REASONS)),
            study=draw(st.sampled_from(["", "", "S1"])),
            ft_reasons={"CD": draw(st.sampled_from(REASONS))} if draw(st.booleans()) else {}))
    return found


def build(folder: Path, plan: list[Article], previous: tuple[int, int] | None, reasons: bool,
          withdrawn: tuple[int, str, bool] | None, undo: bool = False) -> Path:
    """The review through the library; ``withdrawn``: (which file, when: "before" de-duplication or "after"
    screening, as never identified); ``undo``: the withdrawal is then undone."""
    files = write_files(folder, plan, mistakes=False)
    sources = [name for name, (filename, _) in FILES.items() if filename in files]
    path = folder / "review.toml"
    path.write_text(protocol_text(previous=previous, screening_reasons=reasons, sources=sources), encoding="utf-8")
    protocol = protocol_module.load(path)
    target = sorted(files.values())[withdrawn[0] % len(files)] if withdrawn else None
    by_title = {art.title: art for art in plan}
    with Ledger.open(protocol.ledger_path) as ledger:
        assert all(result.status == "imported" for result in import_files(ledger, protocol))

        def take_back(when: str) -> None:
            if withdrawn is not None and withdrawn[1] == when:
                withdraw(ledger, file=target, reason="a mistake", exclude_from_counts=withdrawn[2], who="AB")
                if undo:
                    withdraw(ledger, file=target, reason="not a mistake after all", undo=True, who="CD")

        take_back("before")
        dedup.dedupe_ledger(ledger, protocol)
        apply_rules(ledger, protocol)
        ids: dict[str, int] = {}
        for stage in ("title-abstract", "retrieval", "full-text"):
            sheet = list(csv.DictReader(io.StringIO(export_sheet(ledger, protocol, stage).text)))
            found, rows = decision_rows(stage, sheet, by_title)
            ids.update(found)
            for who, decided in rows.items():
                if decided:
                    write_decisions(folder / f"{stage}-{who}.csv", decided)
                    import_decisions(ledger, protocol, folder / f"{stage}-{who}.csv",
                                     role="resolver" if who == "EF" else "screener")
        linked = [ids[art.key] for art in plan if art.key in ids and art.study == "" and art.ft]
        if len(linked) >= 2:  # two reports linked from the command line too
            link_study(ledger, "S2", linked[:2], who="AB")
        take_back("after")
    return path


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(articles(), st.one_of(st.none(), st.tuples(st.integers(0, 5), st.integers(0, 5))), st.booleans(),
       st.one_of(st.none(), st.tuples(st.integers(0, 7), st.sampled_from(["before", "after"]), st.booleans())),
       st.booleans())
def test_every_option_either_refuses_or_writes_a_figure_of_the_ledgers_numbers(
        plan: list[Article], previous: tuple[int, int] | None, reasons: bool,
        withdrawn: tuple[int, str, bool] | None, undo: bool) -> None:
    if previous is not None:
        previous = (previous[0], previous[0] + previous[1])  # reports >= studies
    with tempfile.TemporaryDirectory() as folder:
        path = build(Path(folder), plan, previous, reasons, withdrawn, undo)
        loaded = counts_of(open_review(path))
        flow = ledger_flow(Path(folder) / "ledger.sqlite")
        pending = flow.count("awaiting-screening", "awaiting-retrieval", "awaiting-assessment")
        fits = layouts_that_fit(loaded.counts)
        assert fits, "some layout always fits a ledger's counts"
        for layout, draft, strict, footnotes in itertools.product(LAYOUTS, *[(False, True)] * 3):
            out = Path(folder) / f"{layout}-{draft}-{strict}-{footnotes}.dot"
            try:
                drawn = draw_diagram(loaded, layout, "dot", out, DiagramOptions(footnotes=footnotes), draft, strict)
            except InputError as error:
                message = str(error)
                assert not out.exists()
                if strict and pending:
                    assert "--strict refuses provisional numbers" in message
                    continue
                assert layout not in fits and not draft, message
                named = set(re.findall(r"--template ([\w-]+)", message))
                assert named and named <= set(fits), (layout, fits, message)
                continue
            assert not (strict and pending)
            checked = check_loaded(loaded, layout)
            dot = drawn.data.decode("utf-8")
            if "DRAFT" in dot:
                assert draft and layout not in fits and checked.problems
                continue
            assert layout in fits and not checked.problems, (layout, checked.problems)
            assert any(f"provisional: {pending} record(s)" in w for w in drawn.warnings) == bool(pending)
            assert_figure(dot_boxes(dot), flow, layout, previous, footnotes, reasons)
        # the PRISMA2020 CSV written from these counts, read back (``--counts``), draws the same numbers
        written = read_counts(Path(folder) / "counts.csv", write_counts(loaded.counts))
        again = LoadedCounts(written.counts, "counts.csv", "counts", written.layout, written.warnings)
        assert layouts_that_fit(again.counts) == fits
        for layout in fits:
            dot = draw_diagram(again, layout, "dot", Path(folder) / "again.dot", DiagramOptions(footnotes=True)).data
            assert_figure(dot_boxes(dot.decode("utf-8")), flow, layout, previous, True, False)


def test_a_cluster_whose_kept_record_is_withdrawn_is_decided_on_the_record_that_now_keeps_it(tmp_path: Path) -> None:
    """Found by the property: the CINAHL copy kept its cluster, its file was withdrawn before de-duplication, so the
    websites copy stands for the work and the sheets list it; importing a decision on it was refused ("removed as a
    duplicate of record 1; decide record 1", a record withdrawn)."""
    work = Article("A01", _title(1), ("CINAHL", "Charity websites"), retrieved=False)
    build(tmp_path, [work], None, False, (0, "before", False))  # cinahl.ris, the first file, withdrawn
    flow = ledger_flow(tmp_path / "ledger.sqlite")
    assert sorted((source, end) for source, end, _ in flow.ends.values()) == [
        ("CINAHL", "removed-other"), ("Charity websites", "not-retrieved")]
