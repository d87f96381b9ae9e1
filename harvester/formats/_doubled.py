"""A block of lines written twice across a record boundary: the evidence it leaves, for every format.

When a run of lines that holds the end of one record (``a``) and the start of the next (``b``) is written twice
in a row (a copy and paste, a transfer that resends a block), the file reads as ``a``, then a record made of
``b``'s first lines followed by ``a``'s last lines, then ``b``: one record more, each record well formed, so no
reader rejects anything. When the block holds whole records ``c1 .. cq`` between ``a`` and ``b`` they are
doubled too, and stand in the same order on both sides of the made-up record. A block that starts between
two records (or at the file's start) and ends inside ``b`` makes a record that is ``b``'s first lines only; one
that starts inside ``a`` and ends between records, a record that is ``a``'s last lines only.

The rule, which holds for any export: a record whose lines are the first lines of a later record followed by
the last lines of an earlier one (either part may be empty, never the whole of its record), the two at the same
distance ``d``, with the ``d - 1`` records before it equal, in order, to the ``d - 1`` after it. A real export
holds no such record: its records are distinct, or duplicates that are equal (never flagged), or copies from
other sources that differ in their identifiers and field order. The one look-alike is a copy of the next record
with a run of its fields missing (or of the previous one with its first fields missing) directly beside it,
which a single database's export never writes. Each finding is a :class:`Damage` warning naming the record
(the record is kept as read; ``import --strict`` refuses the file). See docs/importing.md, Robustness.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import TypeVar

from harvester.formats.base import Damage, Rejected
from harvester.records import Record

#: How far apart the two records a made-up record is built from may stand (the doubled block holding up to
#: ``MAX_DISTANCE - 1`` whole records besides the two cut ones); the records held at once is twice this plus one.
MAX_DISTANCE = 16

Item = TypeVar("Item", bound="Record | Rejected")


def _common_prefix(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_suffix(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        n += 1
    return n


def made_of(lines: list[str], before: list[str] | None, after: list[str] | None) -> tuple[int, int] | None:
    """``(head, tail)`` when ``lines`` are the first ``head`` lines of ``after`` followed by the last ``tail`` lines
    of ``before`` (None: no such record, that part is empty); None otherwise. Either part may be empty, never
    the whole of its source record, and the record is neither of them."""
    size = len(lines)
    if not size or lines in (before, after):
        return None
    most_head = _common_prefix(lines, after) if after is not None else 0
    most_tail = _common_suffix(lines, before) if before is not None else 0
    for head in range(min(most_head, size), max(0, size - most_tail) - 1, -1):  # the longest head first
        tail = size - head
        if (not head and before is not None and tail == len(before)) or \
                (not tail and after is not None and head == len(after)):
            continue
        return head, tail
    return None


def _may_be_made_of(raw: str, before: str | None, after: str | None) -> bool:
    """A cheap test :func:`made_of` needs passed, on the raw texts: a head of two lines or more is ``after``'s
    first two lines; a head of one line or none leaves a tail that is all but the first line, at the end of
    ``before``. Most records fail both at their first differing character (the file is read at full speed)."""
    first = raw.find("\n")
    second = raw.find("\n", first + 1) if first >= 0 else -1
    if second < 0:
        return True  # a record of one or two lines: the full test is as cheap
    if after is not None and after.startswith(raw[:second]) and after[second:second + 1] in ("", "\n"):
        return True
    rest = raw[first + 1:]
    return before is not None and before.endswith(rest) and before[-len(rest) - 1: -len(rest)] in ("", "\n")


def _made_of(record: Record, before: Record | None, after: Record | None, path: str) -> str | None:
    """The warning when ``record`` is made of ``after``'s first lines and ``before``'s last lines, else None."""
    if not _may_be_made_of(record.raw, before.raw if before else None, after.raw if after else None):
        return None
    found = made_of(record.raw.split("\n"), before.raw.split("\n") if before else None,
                    after.raw.split("\n") if after else None)
    if found is None:
        return None
    head, tail = found
    parts = ([f"the first {head} lines of record {after.position}"] if head and after else []) + \
            ([f"the last {tail} lines of record {before.position}"] if tail and before else [])
    return Damage(f"{path}:{record.line}: record {record.position} is {' followed by '.join(parts)}: "
                  "a block of lines written twice? (read as it is)")


def _check(window: deque[Record], raws: deque[str], at: int, path: str) -> str | None:
    record, size = window[at], len(window)
    found = _made_of(record, window[at - 1] if at else None, window[at + 1] if at + 1 < size else None, path)
    if found or not at or at + 1 >= size:
        return found
    if raws.count(window[at + 1].raw) < 2:  # at a distance d > 1 it is the record d - 1 places before too
        return None
    for distance in range(2, MAX_DISTANCE + 1):
        if at - distance < 0 or at + distance >= size:
            return None
        if any(window[at - distance + i].raw != window[at + i].raw for i in range(1, distance)):
            continue  # the records between are not the same records, in the same order, on either side
        found = _made_of(record, window[at - distance], window[at + distance], path)
        if found:
            return found
    return None


def watch(items: Iterable[Item], path: str, warnings: list[str] | None) -> Iterator[Item]:
    """``items`` passed on as they come, with a warning added to ``warnings`` for each record made by a doubled
    block (see the module's rule). Holds ``2 * MAX_DISTANCE + 1`` records; each record's verdict is given once
    the records after it are seen (the last ones at the end)."""
    if warnings is None:
        yield from items
        return
    window: deque[Record] = deque(maxlen=2 * MAX_DISTANCE + 1)
    raws: deque[str] = deque(maxlen=2 * MAX_DISTANCE + 1)  # their raw texts, counted at C speed
    for item in items:
        yield item
        if isinstance(item, Record):
            window.append(item)
            raws.append(item.raw)
            if len(window) > MAX_DISTANCE:
                found = _check(window, raws, len(window) - 1 - MAX_DISTANCE, path)
                if found:
                    warnings.append(found)
    for at in range(max(0, len(window) - MAX_DISTANCE), len(window)):
        found = _check(window, raws, at, path)
        if found:
            warnings.append(found)


def doubled_blocks(records: Iterable[Record], path: str) -> list[str]:
    """The warnings :func:`watch` gives for a file's records read whole."""
    warnings: list[str] = []
    for _ in watch(records, path, warnings):
        pass
    return warnings
