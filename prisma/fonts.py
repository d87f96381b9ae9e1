"""Fonts the diagram declares, and their metrics, so that every line is wrapped to fit its box wherever it is read.

The SVG names a font *stack*: the declared family first, then fonts with the same metrics (every glyph the same
advance width), then the generic family. Helvetica, Arial, Liberation Sans and Nimbus Sans share Helvetica's
widths; Times, Times New Roman, Liberation Serif and Nimbus Roman share Times-Roman's. Text is measured with the
declared family's widths (the Adobe Core 14 font metrics, in 1/1000 em, for the printable ASCII range) and
wrapped to the box's inner width less a margin (:data:`FALLBACK_MARGIN`) for a reader whose system has none of
the stack and substitutes a wider sans-serif.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Advance widths (1/1000 em) of the characters " " (32) to "~" (126), in code order.
_HELVETICA = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,  # space to /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,  # 0-9 : ; < = > ?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,  # @ A-O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,  # P-Z [ \ ] ^ _
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,  # ` a-o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,  # p-z { | } ~
)
_TIMES = (
    250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278,
    500, 500, 500, 500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444,
    921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889, 722, 722,
    556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500,
    333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500,
    500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541,
)

#: A reader without any font of the stack gets a wider substitute: lines are kept this much shorter. DejaVu Sans,
#: the usual Linux substitute, runs up to about a fifth wider than Helvetica on English text ("t", "r", "i", "l").
FALLBACK_MARGIN = 0.2


@dataclass(frozen=True, slots=True)
class Font:
    """A declared family: the stack written into the SVG, and the widths text is measured with."""

    stack: str
    widths: tuple[int, ...]
    other: int  # the width assumed for a character outside printable ASCII (accented letters, dashes...)

    def width(self, text: str, size: float) -> float:
        """The advance width of ``text`` at ``size`` points, in points."""
        total = 0
        for char in text:
            code = ord(char)
            total += self.widths[code - 32] if 32 <= code <= 126 else self.other
        return total * size / 1000


_SANS = Font("Helvetica,Arial,Liberation Sans,Nimbus Sans,Nimbus Sans L,sans-serif", _HELVETICA, 667)
_SERIF = Font("Times,Times New Roman,Liberation Serif,Nimbus Roman,Nimbus Roman No9 L,serif", _TIMES, 722)
#: Declared family (lower case) -> its font; families with Helvetica's or Times' metrics share their stack.
FONTS: dict[str, Font] = {
    **{name: _SANS for name in ("helvetica", "arial", "liberation sans", "nimbus sans", "nimbus sans l")},
    **{name: _SERIF for name in ("times", "times-roman", "times new roman", "liberation serif", "nimbus roman")},
}


def font(family: str) -> Font:
    """The declared family's font: its name first in the stack, then the metric-compatible fonts. A family without
    known metrics falls back to Helvetica's compatible fonts and is measured 15% wider than Helvetica (a
    conservative guess)."""
    name = family.strip()
    known = FONTS.get(name.lower())
    base = known or _SANS
    stack = ",".join([name, *(other for other in base.stack.split(",") if other.lower() != name.lower())])
    if known is not None:
        return Font(stack, known.widths, known.other)
    return Font(stack, tuple(round(width * 1.15) for width in _HELVETICA), 767)
