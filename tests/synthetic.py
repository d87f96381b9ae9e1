"""Synthetic but real-looking articles, for refresh tests and benchmarks: one generator, not one per file.

``article(n)`` is deterministic in ``n``: a title of twelve words from a health-services vocabulary, one to
five authors, a journal citation and a PMID. ``second_copy`` is the same article as another database exports
it (no PMID, the title in capitals with a full stop), a true duplicate that only fuzzy matching can find.
"""

from __future__ import annotations

import random
from dataclasses import replace

from harvester.records import Record

_VOCABULARY = """
peer support worker lay health advisor community mentor recovery coach mental illness hiv tuberculosis
adherence stigma qualitative interview focus group experience role identity boundary burnout training
supervision rural urban adolescent mother diabetes asthma cancer survivor veteran homeless prison substance
opioid alcohol smoking pregnancy breastfeeding malaria hepatitis dementia carer navigation outreach
empowerment trust disclosure relationship acceptability feasibility implementation cohort trial evaluation
uganda kenya india canada scotland brazil vietnam australia stroke rehabilitation exercise nutrition sleep
depression anxiety suicide violence refugee migrant elderly frailty falls caregiver palliative
"""
VOCABULARY = tuple(_VOCABULARY.split())
_SURNAMES = """
Smith Okafor Nguyen Garcia Muller Rossi Kowalski Haddad Tanaka Silva Brown Mensah Ivanova Cohen Dubois Larsen
Patel Khan Murphy Walsh Santos Yilmaz Novak Berg Costa Sato Kim Lee Ali Jones
"""
SURNAMES = tuple(_SURNAMES.split())
JOURNALS = ("BMC Public Health", "PLoS One", "AIDS Care", "Health Expectations", "Social Science & Medicine",
            "Qualitative Health Research", "BMJ Open", "Psychiatric Services", "Lancet", "JAMA")


def article(n: int, *, first_pmid: int = 20_000_000) -> Record:
    """Article ``n`` as PubMed holds it."""
    rng = random.Random(n)
    title = " ".join(rng.sample(VOCABULARY, 12)).capitalize()
    start = rng.randrange(1, 900)
    pmid = str(first_pmid + n)
    return Record(title=title, authors=tuple(f"{rng.choice(SURNAMES)}, {rng.choice('ABCDEFGHJKLMNPRST')}"
                                             for _ in range(rng.randrange(1, 6))),
                  year=1990 + rng.randrange(36), journal=rng.choice(JOURNALS), volume=str(rng.randrange(1, 80)),
                  issue=str(rng.randrange(1, 12)), pages=f"{start}-{start + rng.randrange(3, 15)}",
                  pmid=pmid, source_id=pmid, database="MEDLINE", raw=f"PMID- {pmid}")


def second_copy(record: Record, database: str) -> Record:
    """The same article exported by ``database``: no PMID, the title in capitals with a full stop."""
    return replace(record, title=record.title.upper() + ".", pmid="", source_id="", database=database)
