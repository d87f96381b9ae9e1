"""Live sources: one module per online service, and the only code in the project that talks HTTP.

``pubmed`` reaches PubMed through NCBI E-utilities; ``europepmc``, ``clinicaltrials`` and ``openalex``
are cursor-paged services on ``live`` (settings, pages, windows); ``registry`` says which client serves
which protocol kind. ``http`` and ``pace`` are what every source shares (retries with backoff and
``Retry-After``, errors inside HTTP 200, timeouts, a fast stop when a host was never reached, one pace
limiter per host and key for the whole process). Sources return records; :mod:`harvester.search` and
:mod:`harvester.citations` write them to the ledger.
"""
