"""De-duplication in named stages: prepare, block, compare, decide, cluster, merge.

Library entry points: :func:`dedupe` (pure, in memory), :func:`dedupe_ledger` (a full ``dedupe`` run
on a review's ledger), :func:`dedupe_new` (the incremental run for newly added records, same result),
and for people :func:`uncertain_pairs`, :func:`apply_decisions`, :func:`split`, :func:`clusters`.
"""

from __future__ import annotations

from harvester.dedup.pipeline import Decision, Result, dedupe, find_pairs, prepare_all, resolve
from harvester.dedup.runs import (
    Summary,
    apply_decisions,
    clusters,
    dedupe_ledger,
    dedupe_new,
    import_decisions,
    kept_views,
    split,
    uncertain_csv,
    uncertain_pairs,
)

__all__ = ["Decision", "Result", "Summary", "apply_decisions", "clusters", "dedupe", "dedupe_ledger", "dedupe_new",
           "find_pairs", "import_decisions", "kept_views", "prepare_all", "resolve", "split", "uncertain_csv",
           "uncertain_pairs"]
