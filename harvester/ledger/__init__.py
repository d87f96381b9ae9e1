"""The review's ledger: one SQLite file holding every record, run, merge and decision.

This package is the only code that talks to SQLite. :class:`Ledger` opens the file and applies the
schema migrations; the area modules (``runs``, ``records`` and those added by later stages) hold the
queries, as functions that take a :class:`Ledger`. Every write happens inside
:meth:`Ledger.transaction`, so a process killed at any moment leaves a consistent file.
"""

from harvester.ledger.core import DATABASE_ERRORS, Ledger, utc_now

__all__ = ["DATABASE_ERRORS", "Ledger", "utc_now"]
