"""De-duplication in named stages: prepare, block, compare, decide, cluster, merge.

Library entry points: :func:`dedupe` (pure, in memory), :func:`dedupe_ledger` (a full ``dedupe`` run
on a review's ledger) and :func:`dedupe_new` (the incremental run for newly added records).
"""

from __future__ import annotations

from harvester.dedup.pipeline import Decision, Result, dedupe, find_pairs, prepare_all, resolve

__all__ = ["Decision", "Result", "dedupe", "find_pairs", "prepare_all", "resolve"]
