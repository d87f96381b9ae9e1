"""Citation searching (``prisma-harvest cite``): the references and the citing works of chosen records,
through Europe PMC or OpenAlex, into the ledger as an "other methods: citation searching" run.

- **Which records**: the included studies (their screening outcome), or records named by ledger id.
- **Which works**: backward, the works a record cites (Europe PMC ``/{source}/{id}/references``;
  OpenAlex's ``referenced_works``); forward, the works citing it (Europe PMC ``/citations``; OpenAlex
  ``filter=cites:``). A record is found at the service by its own id when it came from there, else by
  PMID or DOI; a record the service does not hold is named in the run's message.
- **Stored once**: every work found is a record of the source :data:`~harvester.protocol.CITATION_SOURCE`,
  keyed by the service's id, so a work two records lead to (or a second run finds again) is one record
  with several links (``citation_links``: which record, which direction, which service). Each record's
  works and links are committed together. The new works are then de-duplicated against everything held
  (the incremental de-duplication), and the PRISMA diagram counts them under other methods, citation
  searching.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harvester.dedup import dedupe_new
from harvester.errors import HarvestError, UsageError
from harvester.ledger import Ledger
from harvester.ledger.citations import close_abandoned_cites, store_links
from harvester.ledger.duplicates import current_duplicates
from harvester.ledger.records import StoredRecord, existing_records, get_record
from harvester.ledger.runs import finish_run, start_run
from harvester.lock import ReviewLock
from harvester.protocol import CITATION_SOURCE, Protocol
from harvester.records import Record
from harvester.sources import live

SERVICES = ("europepmc", "openalex")
DIRECTIONS = ("backward", "forward")


@dataclass(slots=True)
class CiteOutcome:
    run_id: int
    service: str
    directions: tuple[str, ...]
    records: tuple[int, ...]  # the records searched from
    found: int = 0  # links (record, work, direction)
    works: int = 0  # distinct works found
    new: int = 0  # works new to the ledger
    not_found: list[str] = field(default_factory=list)  # records the service does not hold
    duplicates: int | None = None  # of the new works, duplicates of records held (de-duplication)

    def to_json(self) -> dict[str, Any]:
        return {"run_id": self.run_id, "service": self.service, "directions": list(self.directions),
                "records": list(self.records), "links": self.found, "works": self.works, "new": self.new,
                "not_found": self.not_found, "duplicates": self.duplicates}


def cite(protocol: Protocol, *, directions: Sequence[str] = DIRECTIONS, start: Sequence[str] = ("included",),
         via: str = "europepmc", services: Mapping[str, live.Settings] | None = None) -> CiteOutcome:
    """Search the references and/or citing works of the chosen records into the review's ledger."""
    if via not in SERVICES:
        raise UsageError("--via", [f"expected one of {', '.join(SERVICES)}, got {via!r}"])
    unknown = [d for d in directions if d not in DIRECTIONS]
    if unknown or not directions:
        raise UsageError("--backward/--forward", [f"expected backward and/or forward, got {list(directions)!r}"])
    with ReviewLock(protocol.ledger_path, command="cite"), Ledger.open(protocol.ledger_path) as ledger:
        seeds = _seeds(ledger, protocol, start)
        client = _client(protocol, via, services)
        try:
            client.ready()
            return _cite(ledger, protocol, client, via, tuple(directions), seeds)
        finally:
            client.close()


def _client(protocol: Protocol, via: str, services: Mapping[str, live.Settings] | None) -> live.PagedClient:
    from harvester.sources import registry

    kind = registry.client_class(via)
    settings = (services or {}).get(via) or live.Settings.from_env(kind.service, email=protocol.email)
    return kind(settings)


def _seeds(ledger: Ledger, protocol: Protocol, start: Sequence[str]) -> list[StoredRecord]:
    """The records to search from: ``included`` (the included studies) and/or ledger record ids."""
    wanted: list[int] = []
    for item in start:
        for part in item.replace(",", " ").split():
            if part == "included":
                from harvester.screening.outcomes import record_outcomes

                included = [o.record_id for o in record_outcomes(ledger, protocol) if o.end == "included"]
                if not included:
                    raise HarvestError("no record is included yet: screen the records first, or name records "
                                       "with --from RECORD")
                wanted += included
            elif part.isdigit():
                wanted.append(int(part))
            else:
                raise UsageError("--from", [f"expected 'included' or ledger record ids, got {part!r}"])
    wanted = list(dict.fromkeys(wanted))
    missing = sorted(set(wanted) - existing_records(ledger, [i for i in wanted if i < 2**63]))
    if missing:
        raise UsageError("--from", [f"record(s) {', '.join(map(str, missing))} are not in the ledger "
                                    f"{protocol.ledger_path}"])
    return [get_record(ledger, record_id) for record_id in wanted]


def _identity(seed: StoredRecord, via: str, client: live.PagedClient) -> str | None:
    record = seed.record
    own = record.source_id if seed.origin == "run" else ""
    if via == "europepmc":
        from harvester.sources.europepmc import EuropePmc

        assert isinstance(client, EuropePmc)
        pmcid = next((value for name, value in record.tags if name.lower() == "pmcid"), "")
        return client.find(key=own if ":" in own else "", pmid=record.pmid, pmcid=pmcid, doi=record.doi)
    from harvester.sources.openalex import OpenAlex

    assert isinstance(client, OpenAlex)
    return client.find(key=own, doi=record.doi, pmid=record.pmid)


def _works(client: live.PagedClient, via: str, identity: str, direction: str) -> list[Record]:
    if via == "europepmc":
        from harvester.sources.europepmc import EuropePmc, link_record

        assert isinstance(client, EuropePmc)
        source, _, identifier = identity.partition(":")
        return [link_record(item) for item in client.links(source, identifier, direction)]
    from harvester.sources.openalex import OpenAlex

    assert isinstance(client, OpenAlex)
    return client.referenced(identity) if direction == "backward" else client.citing(identity)


def _cite(ledger: Ledger, protocol: Protocol, client: live.PagedClient, via: str, directions: tuple[str, ...],
          seeds: list[StoredRecord]) -> CiteOutcome:
    run_id = start_run(ledger, "cite", source=CITATION_SOURCE, database="Citation searching",
                       platform=client.service.name, query=None,
                       parameters={"method": "citation searching", "service": via, "directions": list(directions),
                                   "records": [seed.id for seed in seeds], **client.settings.public()})
    outcome = CiteOutcome(run_id, via, directions, tuple(seed.id for seed in seeds))
    close_abandoned_cites(ledger, run_id)
    works: set[int] = set()
    try:
        for seed in seeds:
            identity = _identity(seed, via, client)
            if identity is None:
                outcome.not_found.append(f"#{seed.id}")
                continue
            for direction in directions:
                found = _works(client, via, identity, direction)
                ids = store_links(ledger, run_id, CITATION_SOURCE, seed.id, direction, via, found)
                outcome.found += len(set(ids))
                works.update(ids)
    except HarvestError as error:
        finish_run(ledger, run_id, "failed", message=str(error), count_retrieved=len(works))
        raise
    except BaseException:
        finish_run(ledger, run_id, "interrupted", message="stopped before finishing; what it stored is kept",
                   count_retrieved=len(works))
        raise
    new = [record_id for record_id in sorted(works) if get_record(ledger, record_id).run_id == run_id]
    outcome.works, outcome.new = len(works), len(new)
    if new:
        dedupe_new(ledger, protocol, new)
        removed = current_duplicates(ledger)
        outcome.duplicates = sum(1 for record_id in new if record_id in removed)
    message = (f"{outcome.found} link(s) to {outcome.works} work(s) from {len(seeds)} record(s) "
               f"({', '.join(directions)}, via {client.service.name}); {outcome.new} new to the ledger")
    if outcome.not_found:
        message += f"; not held by {client.service.name}: {', '.join(outcome.not_found)}"
    finish_run(ledger, run_id, "ok", message=message, count_retrieved=outcome.works)
    return outcome
