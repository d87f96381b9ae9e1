"""Where each record ends up in the flow: the one table PRISMA counts are aggregated from.

Contract between screening (which computes outcomes from the ledger) and ``prisma.counts`` (which only
aggregates them): every record held in the ledger has exactly one :class:`Outcome`, so every identified
record falls into exactly one path through the diagram.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Arm = Literal["databases", "registers", "other"]

#: The end states, in flow order. "awaiting-*" are records not yet decided at that stage.
END_STATES: tuple[str, ...] = (
    "duplicate",  # removed before screening as a duplicate of another record
    "ineligible-automation",  # removed before screening by an automation rule
    "removed-other",  # removed before screening for another reason
    "awaiting-screening",
    "excluded-screening",  # excluded at title/abstract (by a reviewer or a title-abstract rule)
    "awaiting-retrieval",
    "not-retrieved",
    "awaiting-assessment",
    "excluded-full-text",  # reason is mandatory
    "included",
)


@dataclass(frozen=True, slots=True)
class Outcome:
    record_id: int
    source: str  # the protocol source's name
    database: str
    arm: Arm
    end: str  # one of END_STATES
    reason: str | None = None  # exclusion reason (rule reason or reviewer's reason)
    by: Literal["automation", "reviewer"] | None = None
    duplicate_of: int | None = None
    study_id: str | None = None  # reports of one study share it; default: the record's own id
