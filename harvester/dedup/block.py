"""Stage 2, block: which pairs are worth comparing at all.

Comparing every pair grows with the square of the records (5 billion pairs at 100,000). Instead each
record gets a few blocking keys, and only records sharing a key are compared. A true duplicate pair
needs to share just one key, so the keys are chosen to fail independently: an identifier, the start of
the title, the end of the title (a translated or prefixed title keeps its end), and the first author
with the volume and first page (a title rewritten in another language keeps its citation).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from harvester.dedup.prepare import Keys, notice_subject

#: Characters of the compact title used for the title blocks.
TITLE_SPAN = 24

#: A block larger than this is split by year (and then skipped with a note): a key that common
#: (a generic title such as "editorial") says nothing about duplication.
MAX_BLOCK = 100


#: Opening words so common in titles that a block on them says nothing; the title-start key skips them.
COMMON_OPENINGS: frozenset[str] = frozenset({
    "a", "an", "the", "of", "in", "on", "and", "to", "for", "with", "by", "from", "at", "effect", "effects",
    "randomized", "randomised", "controlled", "trial", "study", "role", "evaluation", "association", "between",
    "efficacy", "safety", "impact", "systematic", "review", "meta", "analysis"})


def _title_start(k: Keys) -> str:
    return _start_of(k.title)


def _subject_start(k: Keys) -> str:
    """A notice's title start read after its opening words ("Erratum to: ..."): the start of the title of the
    work it concerns, so that the two meet in one block and can be linked."""
    if not k.notice:
        return ""
    subject = notice_subject(k.title)
    return _start_of(subject) if subject != k.title else ""


def _start_of(title: str) -> str:
    words = title.split()
    start = 0
    while start < len(words) - 3 and words[start] in COMMON_OPENINGS:
        start += 1
    compact = "".join(words[start:])
    return compact[:TITLE_SPAN] if len(compact) >= 12 else ""


def _title_end(k: Keys) -> str:
    return k.title_compact[-TITLE_SPAN:] if len(k.title_compact) >= 12 else ""


def _citation(k: Keys) -> str:
    if k.first_author and k.page_first and k.volume:
        return f"{k.first_author}|{k.volume}|{k.page_first}"
    return ""


def _author_year_page(k: Keys) -> str:
    if k.first_author and k.page_first and k.year:
        return f"{k.first_author}|{k.year}|{k.page_first}"
    return ""


#: The blocking keys, as data: name -> how to compute it from a record's keys ("" = no key).
BLOCKING_KEYS: dict[str, Callable[[Keys], str]] = {
    "doi": lambda k: k.doi,
    "pmid": lambda k: k.pmid,
    "title-start": _title_start,
    "title-end": _title_end,
    "author-volume-page": _citation,
    "author-year-page": _author_year_page,
}


def block_keys(k: Keys) -> list[tuple[str, str]]:
    """The blocking keys of one record, as ``(name, value)``."""
    found = []
    for name, function in BLOCKING_KEYS.items():
        value = function(k)
        if value:
            found.append((name, value))
    subject = _subject_start(k)
    if subject and ("title-start", subject) not in found:
        found.append(("title-start", subject))
    return found


def block_index(keys: Iterable[Keys]) -> dict[tuple[str, str], list[int]]:
    """Blocking key -> ids of every record holding it, in the order given, one-record blocks included: made
    once per run, it gives the blocks to compare within and each record's blocking keys to store."""
    found: dict[tuple[str, str], list[int]] = defaultdict(list)
    for k in keys:
        for key in block_keys(k):
            found[key].append(k.id)
    return found


def blocks(keys: Iterable[Keys], index: dict[tuple[str, str], list[int]] | None = None) \
        -> dict[tuple[str, str], list[int]]:
    """Blocking key -> record ids sharing it (in id order); ``index``: :func:`block_index` of ``keys``."""
    found = block_index(keys) if index is None else index
    return {key: sorted(ids) for key, ids in found.items() if len(ids) > 1}


def block_groups(members: Sequence[tuple[int, int | None]]) -> list[list[int]]:
    """The groups to compare within for ONE block given as ``(record id, year)``: the whole block, or a
    block over the limit split by year (a year and the next, so a year apart still meets; a part still
    over the limit is left out). Empty when nothing is to be compared. Used by full and incremental runs
    alike, so both see the same groups."""
    if len(members) < 2:
        return []
    if len(members) <= MAX_BLOCK:
        return [sorted(record_id for record_id, _ in members)]
    by_year: dict[int | None, list[int]] = defaultdict(list)
    for record_id, year in sorted(members):
        by_year[year].append(record_id)
    parts = []
    for year, ids in by_year.items():
        group = ids + (by_year.get(year + 1, []) if year is not None else [])
        if 1 < len(group) <= MAX_BLOCK:
            parts.append(sorted(set(group)))
    return parts


def groups(keys: dict[int, Keys], index: dict[tuple[str, str], list[int]] | None = None) \
        -> tuple[list[list[int]], int]:
    """The groups of records to compare within (blocks, large ones split by year), and how many large
    blocks were skipped."""
    found: list[list[int]] = []
    skipped = 0
    for ids in blocks(keys.values(), index).values():
        parts = block_groups([(record_id, keys[record_id].year) for record_id in ids])
        skipped += not parts
        found.extend(parts)
    return found, skipped


def candidate_pairs(keys: dict[int, Keys], only: set[int] | None = None,
                    index: dict[tuple[str, str], list[int]] | None = None) -> tuple[set[tuple[int, int]], int]:
    """Every pair sharing a group, as ``(smaller id, larger id)``; with ``only``, just the pairs that
    involve one of those records (the incremental path). Also returns how many blocks were skipped.
    ``index``: :func:`block_index` of ``keys``, when the caller made it already."""
    pairs: set[tuple[int, int]] = set()
    found, skipped = groups(keys, index)
    for group in found:
        if only is None:
            for i, a in enumerate(group):
                for b in group[i + 1:]:
                    pairs.add((a, b))
            continue
        for a in group:
            if a in only:
                for b in group:
                    if b != a:
                        pairs.add((a, b) if a < b else (b, a))
    return pairs, skipped


def still_candidates(keys: dict[int, Keys], pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of ``pairs`` still share a group among ``keys`` (a block can grow past the limit)."""
    found, _ = groups(keys)
    member_of: dict[int, set[int]] = defaultdict(set)
    for index, group in enumerate(found):
        for record_id in group:
            member_of[record_id].add(index)
    return {(a, b) for a, b in pairs if member_of.get(a, set()) & member_of.get(b, set())}
