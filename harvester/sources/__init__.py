"""Live sources: one module per online database, and the only code in the project that talks HTTP.

``pubmed`` reaches PubMed through NCBI E-utilities; ``http`` and ``pace`` are what every live source
shares (retries with backoff, one pace limiter per quota for the whole process). Sources return
records; :mod:`harvester.search` writes them to the ledger.
"""
