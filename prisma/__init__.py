"""prisma-harvester: the way out. Counts derived from the ledger, PRISMA flow diagrams and reports.

This package reads the ledger (through ``harvester.ledger``'s query functions) and never harvests.
"""
