"""The only module that talks to Graphviz: counts + template -> DOT source -> SVG, PNG or PDF.

Layout is computed here, not by Graphviz: every box is pinned (``pos="x,y!"``, neato), sized from its
wrapped text, so the same counts always give the same DOT text and the same picture (golden-file
tests compare DOT). Text is wrapped to the box width and escaped into HTML-like labels, so a quote or
``<`` in a reason cannot break the DOT source (PRISMA2020#83). Phase labels are horizontal in a left
column: Graphviz cannot rotate node text, and post-processing the SVG is what breaks the R package's
exports (PRISMA2020#14, #50).

Rendering uses the system ``dot`` (through the ``graphviz`` package) when present, else the
``graphviz-pure`` executable installed with this package (dot-compatible; SVG and PNG only).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import graphviz

from harvester.errors import HarvestError
from prisma.counts import Line, PrismaCounts
from prisma.templates import Box, Count, Lines, Template, Text, Value

FORMATS = ("svg", "png", "pdf", "dot")
COLOURS = {  # style -> (fill in colour, fill in greyscale); colours as the official template's
    "main": ("white", "white"),
    "grey": ("#f2f2f2", "#f2f2f2"),
    "header": ("#ffc125", "#d9d9d9"),
    "grey-header": ("#dcdcdc", "#ececec"),
    "phase": ("#bcd2ee", "#bfbfbf"),
}
GAP_X = 0.45  # inches between columns
GAP_Y = 0.4  # inches between rows
PHASE_WIDTH = 1.2
HEADER_HEIGHT = 0.45
_COUNT = re.compile(r"\(n = [\d,]+\)")


class RenderError(HarvestError):
    """Graphviz could not render the diagram (no renderer, or a format the renderer lacks)."""


@dataclass(frozen=True, slots=True)
class DiagramOptions:
    """How the diagram looks. ``links`` adds an ``href`` per box to ``#box-<key>`` (the HTML report)."""

    font: str = "Helvetica"
    font_size: float = 10.0
    box_width: float = 3.2  # inches
    greyscale: bool = False
    dpi: int = 300  # PNG only
    links: bool = False
    footnotes: bool = False
    #: count key -> the wording to print for its line instead of the template's (translations, renamed boxes)
    labels: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        for name, value, low, high in (("font_size", self.font_size, *FONT_SIZES), ("box_width", self.box_width,
                                       *BOX_WIDTHS), ("dpi", self.dpi, *DPIS)):
            if not low <= value <= high:
                raise RenderError(f"{name.replace('_', '-')} {value:g} is out of range: give {low:g} to {high:g}")


#: What the renderer draws legibly (points; inches; dots per inch: above 2,400 graphviz-pure runs out of memory).
FONT_SIZES: tuple[float, float] = (4.0, 72.0)
BOX_WIDTHS: tuple[float, float] = (1.0, 12.0)
DPIS: tuple[int, int] = (36, 2400)


def number(n: int) -> str:
    return f"{n:,}"


def _n(value: int) -> str:
    return f"(n = {number(value)})"


def box_lines(box: Box, values: dict[str, Value], labels: dict[str, str] | None = None) -> list[str] | None:
    """The text lines of a box (before wrapping), or None when an optional box has nothing to show.

    ``labels`` renames a count's line: the label before ``(n = x)``, or, for a count on its own line, the
    wording line just above it (``Records screened`` / ``(n = 61)``).
    """
    lines: list[str] = []
    shown = False
    renamed = labels or {}
    for part in box.parts:
        if isinstance(part, Text):
            lines.append(part.text)
        elif isinstance(part, Count):
            value = values.get(part.key)
            if not isinstance(value, int) or (part.hide_zero and value == 0):
                continue
            if part.show_if is not None:
                gate = values.get(part.show_if)
                if not isinstance(gate, int) or gate <= 0:
                    continue
            shown = True
            label = part.label
            if part.key in renamed:
                if label:
                    label = renamed[part.key]
                elif lines:
                    lines[-1] = renamed[part.key]
            if part.inline:
                lines.append(f"{label} {_n(value)}" if label else _n(value))
            else:
                lines.extend([label, _n(value)])
        elif isinstance(part, Lines):
            entries = values.get(part.key) or ()
            assert isinstance(entries, tuple)
            if entries and part.heading:
                lines.append(part.heading)
            for entry in entries:
                assert isinstance(entry, Line)
                shown = True
                lines.append(f"{entry.name} {_n(entry.n)}" if entry.name else _n(entry.n))
    if box.optional and not shown:
        return None
    return lines


def _wrap(lines: list[str], width_inches: float, font_size: float) -> list[str]:
    """Wrap to the box: about 0.5 em per character for Helvetica-like fonts, with a margin."""
    chars = max(12, int((width_inches * 72 - 16) / (font_size * 0.5)))
    wrapped: list[str] = []
    for line in lines:
        kept = _COUNT.sub(lambda match: match.group(0).replace(" ", "\ue000"), line)  # never split "(n = 1,520)"
        parts = textwrap.wrap(kept, chars, break_on_hyphens=False) or [""]
        wrapped.extend(part.replace("\ue000", " ") for part in parts)
    return wrapped


def _label(lines: list[str]) -> str:
    return "<" + "<BR/>".join(html.escape(line, quote=False) for line in lines) + ">"


def _height(line_count: int, font_size: float) -> float:
    return round(line_count * font_size * 1.3 / 72 + 0.22, 3)


def to_dot(counts: PrismaCounts, template: Template, options: DiagramOptions | None = None,
           *, dpi: int | None = None) -> str:
    """The diagram as DOT text: deterministic for the same counts, template and options."""
    options = options or DiagramOptions()
    values = dict(template.values(counts))
    fill = 1 if options.greyscale else 0
    unit = options.box_width + GAP_X
    graph = graphviz.Digraph("prisma", engine="neato")
    attrs = {"layout": "neato", "splines": "line", "outputorder": "edgesfirst", "bgcolor": "white",
             "pad": "0.2", "fontname": options.font}
    if dpi:
        attrs["dpi"] = str(dpi)
    graph.attr("graph", **attrs)
    graph.attr("node", shape="box", style="filled", color="black", fontname=options.font,
               fontsize=f"{options.font_size:g}", fixedsize="true", penwidth="1")
    graph.attr("edge", color="black", arrowhead="normal", arrowsize="0.8", penwidth="1")

    # text and heights first: rows grow to their tallest box
    laid: list[tuple[Box, list[str], float, float]] = []  # box, lines, width, height
    for box in template.boxes:
        raw = box_lines(box, values, dict(options.labels))
        if raw is None:
            continue
        width = options.box_width * box.span + GAP_X * (box.span - 1)
        lines = _wrap(raw, width, options.font_size)
        height = HEADER_HEIGHT if box.style.endswith("header") else _height(len(lines), options.font_size)
        laid.append((box, lines, width, height))
    rows = sorted({box.row for box, *_ in laid})
    row_height = {row: max(h for b, _, _, h in laid if b.row == row) for row in rows}
    row_top: dict[int, float] = {}
    y = 0.0
    for row in range(min(rows), max(rows) + 1):
        row_top[row] = y
        y += row_height.get(row, 0.0) + (GAP_Y if row in row_height else 0.0)

    def centre_y(row: int) -> float:
        return -(row_top[row] + row_height.get(row, 0.0) / 2)

    shown = {box.id for box, *_ in laid}
    for box, lines, width, height in laid:
        height = height if box.style.endswith("header") else row_height[box.row]
        x = (box.column + (box.span - 1) / 2) * unit
        node = {"label": _label(lines), "pos": f"{x:.3f},{centre_y(box.row):.3f}!", "width": f"{width:.3f}",
                "height": f"{height:.3f}", "fillcolor": COLOURS[box.style][fill], "id": f"node-{box.id}"}
        if options.links and box.link:
            node.update(href=f"#box-{box.link}", tooltip=" ".join(lines))
        graph.node(box.id, **node)

    first_column = min(box.column for box, *_ in laid)
    phase_x = first_column * unit - options.box_width / 2 - GAP_X / 2 - PHASE_WIDTH / 2
    for label, first, last in template.phases:
        last = max((row for row in rows if row <= last), default=first)
        if first not in row_top or last < first:
            continue
        top, bottom = row_top[first], row_top[last] + row_height.get(last, 0.0)
        graph.node(f"phase_{label.lower()}", label=_label([label]), width=f"{PHASE_WIDTH:.3f}",
                   height=f"{bottom - top:.3f}", pos=f"{phase_x:.3f},{-(top + bottom) / 2:.3f}!",
                   fillcolor=COLOURS["phase"][fill], id=f"phase-{label.lower()}")

    for tail, head in template.edges:
        if head.startswith("bend:"):
            _, corner, target = head.split(":")
            column_text, row_text = corner.split(",")
            column, row = float(column_text), int(row_text)
            if tail not in shown or target not in shown:
                continue
            bend = f"bend_{tail}_{target}"
            graph.node(bend, label="", shape="point", width="0.01", height="0.01", style="invis",
                       pos=f"{column * unit:.3f},{centre_y(row):.3f}!")
            graph.edge(tail, bend, arrowhead="none")
            graph.edge(bend, target)
        elif tail in shown and head in shown:
            graph.edge(tail, head)

    if options.footnotes and template.footnotes:
        bottom = row_top[max(rows)] + row_height[max(rows)] + GAP_Y
        text = _wrap(list(template.footnotes), 2 * options.box_width + GAP_X, options.font_size * 0.8)
        tall = _height(len(text), options.font_size)
        graph.node("footnotes", label=_label(text), shape="plaintext", style="",
                   fontsize=f"{options.font_size * 0.8:g}", width=f"{2 * options.box_width + GAP_X:.3f}",
                   height=f"{tall:.3f}", pos=f"{0.5 * unit:.3f},{-(bottom + tall / 2):.3f}!")
    return graph.source


# -- rendering ---------------------------------------------------------------------------------------------


def system_dot() -> str | None:
    """The system Graphviz ``dot``, unless ``PRISMA_HARVEST_RENDERER=pure`` asks for graphviz-pure."""
    if os.environ.get("PRISMA_HARVEST_RENDERER") == "pure":
        return None
    return shutil.which("dot")


def pure_dot() -> str | None:
    """The ``graphviz-pure`` executable: beside this Python first (a venv), then on PATH."""
    beside = Path(sys.prefix) / ("Scripts" if os.name == "nt" else "bin") / "graphviz-pure"
    for candidate in (beside, beside.with_suffix(".exe")):
        if candidate.is_file():
            return str(candidate)
    return shutil.which("graphviz-pure")


def renderer() -> str:
    """Which renderer :func:`render` will use: ``"system"`` or ``"graphviz-pure"``."""
    if os.environ.get("PRISMA_HARVEST_RENDERER") == "system" or system_dot():
        return "system"
    if pure_dot():
        return "graphviz-pure"
    raise RenderError("no Graphviz renderer: install Graphviz (dot) or `pip install graphviz-pure`")


def render(dot: str, fmt: str, pdf_dpi: int = 600) -> bytes:
    """Render DOT text. PDF is vector with the system Graphviz; with graphviz-pure (which has no PDF output) it
    is a raster PDF holding the diagram as a JPEG at ``pdf_dpi``."""
    if fmt == "dot":
        return dot.encode("utf-8")
    if fmt not in FORMATS:
        raise RenderError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if renderer() == "system":
        try:
            return graphviz.pipe("neato", fmt, dot.encode("utf-8"), quiet=True)
        except (graphviz.ExecutableNotFound, graphviz.CalledProcessError) as error:
            raise RenderError(f"Graphviz failed to render {fmt}: {error}") from error
    if fmt == "pdf":
        return _raster_pdf(_pure(dot, "jpg", ["-Gdpi=" + str(pdf_dpi)]), pdf_dpi)
    return _pure(dot, fmt)


def _pure(dot: str, fmt: str, extra: list[str] | None = None) -> bytes:
    executable = pure_dot()
    assert executable is not None
    result = subprocess.run([executable, "-Kneato", f"-T{fmt}", *(extra or [])], input=dot.encode("utf-8"),
                            capture_output=True, check=False, timeout=120)
    if result.returncode != 0:
        reason = result.stderr.decode("utf-8", "replace").strip()[:500] or (
            f"it stopped with exit code {result.returncode} and no message (too large an image? try a lower --dpi)")
        raise RenderError(f"graphviz-pure failed to render {fmt}: {reason}")
    return result.stdout


def _jpeg_size(jpeg: bytes) -> tuple[int, int, int]:
    """Width, height and colour components from a JPEG's start-of-frame marker."""
    at = 2
    while at + 9 < len(jpeg):
        if jpeg[at] != 0xFF:
            raise RenderError("graphviz-pure returned a malformed JPEG")
        marker = jpeg[at + 1]
        length = int.from_bytes(jpeg[at + 2:at + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            height = int.from_bytes(jpeg[at + 5:at + 7], "big")
            width = int.from_bytes(jpeg[at + 7:at + 9], "big")
            return width, height, jpeg[at + 9]
        at += 2 + length
    raise RenderError("graphviz-pure returned a JPEG without a frame header")


def _raster_pdf(jpeg: bytes, dpi: int) -> bytes:
    """A one-page PDF holding the diagram as a JPEG at ``dpi`` (graphviz-pure has no PDF output).

    Raster, not vector: the fallback when the system Graphviz is missing; its page size is the figure's.
    """
    width, height, components = _jpeg_size(jpeg)
    page_w, page_h = width * 72 / dpi, height * 72 / dpi
    space = {1: "/DeviceGray", 3: "/DeviceRGB", 4: "/DeviceCMYK"}.get(components, "/DeviceRGB")
    content = f"q {page_w:.2f} 0 0 {page_h:.2f} 0 0 cm /Im0 Do Q".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {page_w:.2f} {page_h:.2f}] "
        f"/Resources << /XObject << /Im0 4 0 R >> >> /Contents 5 0 R >>".encode(),
        f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace {space} "
        f"/BitsPerComponent 8 /Filter /DCTDecode /Length {len(jpeg)} >>\nstream\n".encode() + jpeg + b"\nendstream",
        f"<< /Length {len(content)} >>\nstream\n".encode() + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def draw(counts: PrismaCounts, template: Template, fmt: str = "svg", options: DiagramOptions | None = None) -> bytes:
    """Counts -> the diagram in ``fmt`` (svg, png at ``options.dpi``, pdf, or the DOT text itself)."""
    options = options or DiagramOptions()
    dot = to_dot(counts, template, options, dpi=options.dpi if fmt == "png" else None)
    return render(dot, fmt, pdf_dpi=max(options.dpi, 300))
