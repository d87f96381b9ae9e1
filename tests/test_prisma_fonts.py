"""Figures that render anywhere: the SVG declares a font stack with metric-compatible fallbacks, and every line of
text, measured with the declared font's metrics (and a substitute's margin), lies inside its box: checked on the
rendered SVG's geometry for every layout, and, where headless Chromium is installed, on the boxes a browser lays
out."""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from prisma import fonts
from prisma.diagram import DiagramOptions, draw
from prisma.templates import TEMPLATES
from tests.conftest import missing_tool
from tests.test_prisma_layouts import counts_of, generated_review

LAYOUT_COUNTS = {"new": False, "new-other": False, "2009": False, "updated": True, "updated-other": True}


def _nodes(svg: str) -> list[tuple[str, tuple[float, float, float, float], list[tuple[float, float, float, str, str]]]]:
    """Each node with a drawn box: id, box (x0, y0, x1, y1), and its texts (x, y, size, family, text)."""
    found = []
    for match in re.finditer(r'<g id="([^"]+)" class="node">(.*?)</g>', svg, re.S):
        body = match.group(2)
        polygon = re.search(r'<polygon[^>]* points="([^"]+)"', body)
        if polygon is None:
            continue
        points = [tuple(map(float, pair.split(","))) for pair in polygon.group(1).split()]
        xs, ys = [p[0] for p in points], [p[1] for p in points]
        texts = [(float(t.group(1)), float(t.group(2)), float(t.group(4)), t.group(3), html.unescape(t.group(5)))
                 for t in re.finditer(r'<text[^>]* x="([-\d.]+)" y="([-\d.]+)" font-family="([^"]+)" '
                                      r'font-size="([\d.]+)"[^>]*>([^<]*)</text>', body)]
        found.append((match.group(1), (min(xs), min(ys), max(xs), max(ys)), texts))
    return found


@pytest.mark.parametrize("family", ["Helvetica", "Times", "Georgia"])
@pytest.mark.parametrize("layout", sorted(LAYOUT_COUNTS))
def test_every_text_fits_its_box_with_a_wider_substitute_font(layout: str, family: str) -> None:
    counts = counts_of(generated_review(awaiting=True), previous=LAYOUT_COUNTS[layout])
    options = DiagramOptions(font=family, footnotes=True, font_size=10)
    svg = draw(counts, TEMPLATES[layout], "svg", options).decode("utf-8")
    declared = fonts.font(family)
    checked = 0
    for node, (x0, y0, x1, y1), texts in _nodes(svg):
        for x, y, size, stack, text in texts:
            assert stack == declared.stack, (node, stack)
            wide = declared.width(text, size) * (1 + fonts.FALLBACK_MARGIN)  # a substitute a fifth wider
            assert x0 <= x - wide / 2 and x + wide / 2 <= x1, (layout, node, text, wide, x1 - x0)
            assert y0 <= y - size * 0.8 and y + size * 0.25 <= y1, (layout, node, text)  # ascent and descent
            checked += 1
    assert checked > 20


def test_the_stack_names_metric_compatible_fallbacks() -> None:
    assert fonts.font("Helvetica").stack.split(",")[:3] == ["Helvetica", "Arial", "Liberation Sans"]
    assert "Liberation Serif" in fonts.font("Times").stack.split(",")
    assert fonts.font("Georgia").stack.startswith("Georgia,Helvetica,")  # unknown metrics: measured wider
    assert fonts.font("Georgia").width("abc", 10) > fonts.font("Helvetica").width("abc", 10)
    # Helvetica's widths (Adobe's metrics): 'W' is wider than 'i', a space 0.278 em
    helvetica = fonts.font("Helvetica")
    assert helvetica.width(" ", 1000) == 278 and helvetica.width("W", 10) > 4 * helvetica.width("i", 10)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_MEASURE = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>{svg}<pre id="result"></pre><script>
const out = [];
for (const g of document.querySelectorAll('g.node')) {{
  const shape = g.querySelector('polygon');
  if (!shape) continue;
  const box = shape.getBBox();
  for (const t of g.querySelectorAll('text')) {{
    const b = t.getBBox();
    out.push({{node: g.id, text: t.textContent, inside: b.x >= box.x - 0.5 && b.x + b.width <= box.x + box.width + 0.5
      && b.y >= box.y - 0.5 && b.y + b.height <= box.y + box.height + 0.5}});
  }}
}}
document.getElementById('result').textContent = JSON.stringify(out);
</script></body></html>"""


@pytest.mark.parametrize("layout", sorted(LAYOUT_COUNTS))
def test_in_headless_chromium_every_text_lies_inside_its_box(layout: str, tmp_path: Path) -> None:
    if CHROMIUM is None:
        missing_tool("headless Chromium is not installed (apt-get install chromium; .ci/run installs it)",
                     "PRISMA_HARVEST_REQUIRE_CHROMIUM")
    assert CHROMIUM is not None
    counts = counts_of(generated_review(awaiting=True), previous=LAYOUT_COUNTS[layout])
    svg = draw(counts, TEMPLATES[layout], "svg", DiagramOptions(footnotes=True)).decode("utf-8")
    page = tmp_path / "measure.html"
    page.write_text(_MEASURE.format(svg=svg[svg.index("<svg"):]), encoding="utf-8")
    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                          "--disable-component-update", "--no-first-run", "--disable-sync",
                          f"--user-data-dir={tmp_path / 'p'}", "--dump-dom", page.as_uri()],
                         check=True, capture_output=True, timeout=120).stdout.decode("utf-8")
    found = re.search(r'<pre id="result">(.*?)</pre>', dom, re.S)
    assert found is not None, dom[-500:]
    measured = json.loads(html.unescape(found.group(1)))
    assert len(measured) > 30
    outside = [(m["node"], m["text"]) for m in measured if not m["inside"]]
    assert outside == [], outside
