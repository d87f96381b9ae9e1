"""The review's search strategy as a whole: its query read from the protocol (or pasted), written for each
database and linted (``commands.py``), checked on the records each source returned (``check.py``) and
against the studies the team knows (``known.py``), and summarised for the PRISMA-S report (``report.py``).

``harvester.query`` is the library underneath (tree, parsers, targets, lint) and imports nothing of the
review; this package is where the query meets the protocol, the ledger and the screening evaluator.
"""
