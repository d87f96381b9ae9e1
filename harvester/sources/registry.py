"""Which client searches which protocol source kind (the cursor-paged services)."""

from __future__ import annotations

from harvester.errors import SourceError
from harvester.sources.live import PagedClient


def client_class(kind: str) -> type[PagedClient]:
    if kind == "europepmc":
        from harvester.sources.europepmc import EuropePmc

        return EuropePmc
    if kind == "clinicaltrials":
        from harvester.sources.clinicaltrials import ClinicalTrials

        return ClinicalTrials
    if kind == "openalex":
        from harvester.sources.openalex import OpenAlex

        return OpenAlex
    raise SourceError(f"no live client for sources of kind {kind!r}")
