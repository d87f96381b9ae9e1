"""prisma-harvester: the way in.

Sources and file formats produce :class:`~harvester.records.Record` objects; they are normalised,
de-duplicated and screened, and every step is written to the review's ledger (one SQLite file).
The way out (counts, diagrams, reports) lives in the sibling package ``prisma``.
"""

__version__ = "0.1.0"
