"""The flow's vocabulary: where a record can end up in the PRISMA diagram, and in which arm.

The harvester computes one :class:`Outcome` per record (``harvester.screening.outcomes``); ``prisma``
only aggregates outcomes into boxes (:func:`prisma.counts.counts_from_outcomes`). The words live here,
at the way out, because the diagram defines them: an end state is a place in the flow.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

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
    """Where one record ends in the flow: every record held has exactly one, so every identified record falls
    into exactly one path through the diagram."""

    record_id: int
    source: str  # the protocol source's name
    database: str
    arm: Arm
    end: str  # one of END_STATES
    reason: str | None = None  # exclusion reason (rule reason or reviewer's reason)
    by: Literal["automation", "reviewer"] | None = None
    duplicate_of: int | None = None
    study_id: str | None = None  # reports of one study share it; default: the record's own id
    # optional, for the audit (added by screening): where it ended, by which rule or which people, and why
    stage: str | None = None  # dedupe | automation | title-abstract | retrieval | full-text
    rule: str | None = None  # the rule id, when a rule decided
    reviewers: tuple[str, ...] = ()  # who decided the deciding stage (the resolver, or the agreeing screeners)
    flags: tuple[str, ...] = ()  # ids of flag rules that fired, for the screeners' attention
    note: str = ""  # why a record is still awaiting (e.g. "screeners disagree: JM include, JS exclude")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
