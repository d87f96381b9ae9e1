"""One query, written for every database the review searches.

:func:`translate` takes the protocol's query tree and a database name and returns the string for
that database with every approximation as a warning. The database names are fixed (scripts and the
other modules use them): :data:`DATABASES`.
"""

from __future__ import annotations

from harvester.errors import QueryError
from harvester.query.ast import Node
from harvester.query.dialect import Dialect, Translation, Writer
from harvester.query.targets.clinicaltrials import CLINICALTRIALS
from harvester.query.targets.cochrane import COCHRANE
from harvester.query.targets.ebsco import CINAHL
from harvester.query.targets.embase import EMBASE
from harvester.query.targets.europepmc import EUROPEPMC
from harvester.query.targets.openalex import OPENALEX
from harvester.query.targets.ovid import OVID_EMBASE, OVID_MEDLINE, PSYCINFO
from harvester.query.targets.pubmed import PUBMED
from harvester.query.targets.scopus import SCOPUS
from harvester.query.targets.wos import WOS

DIALECTS: dict[str, Dialect] = {d.database: d for d in (
    PUBMED, OVID_MEDLINE, OVID_EMBASE, EMBASE, CINAHL, PSYCINFO, SCOPUS, WOS, COCHRANE, EUROPEPMC, OPENALEX,
    CLINICALTRIALS)}

#: Every target, in the order reports list them.
DATABASES: tuple[str, ...] = tuple(DIALECTS)


def dialect(database: str) -> Dialect:
    try:
        return DIALECTS[database.lower()]
    except KeyError:
        raise QueryError(database, 1, f"unknown database {database!r} (known: {', '.join(DATABASES)})") from None


def translate(node: Node, database: str, default_field: str | None = None) -> Translation:
    """The query for ``database``; unfielded terms get ``default_field`` (a PubMed tag; None: all fields)."""
    target = dialect(database)
    if target.custom is not None:
        return target.custom(node, target, default_field)
    return Writer(target, default_field).translate(node)


def translate_all(node: Node, default_field: str | None = None) -> list[Translation]:
    return [translate(node, database, default_field) for database in DATABASES]


def to_pubmed(node: Node, default_field: str | None = None) -> str:
    """The PubMed string (what the live search sends)."""
    return translate(node, "pubmed", default_field).query


#: Database names as protocols write them (lower case) -> the target, by platform where it matters.
_NAMES: dict[str, str] = {
    "pubmed": "pubmed", "medline": "pubmed", "embase": "embase", "embase.com": "embase", "cinahl": "cinahl",
    "cinahl plus": "cinahl", "cinahl complete": "cinahl", "psycinfo": "psycinfo", "apa psycinfo": "psycinfo",
    "scopus": "scopus", "web of science": "wos", "wos": "wos", "web of science core collection": "wos",
    "cochrane": "cochrane", "cochrane library": "cochrane", "central": "cochrane", "cochrane central": "cochrane",
    "europe pmc": "europepmc", "europepmc": "europepmc", "openalex": "openalex", "clinicaltrials.gov": "clinicaltrials",
    "clinicaltrials": "clinicaltrials",
}
_OVID = {"pubmed": "ovid-medline", "embase": "ovid-embase", "psycinfo": "psycinfo"}


def database_for(database: str, platform: str = "") -> str | None:
    """The target a protocol source's database and platform name (``MEDLINE`` on ``Ovid``: ovid-medline);
    None when it is none of the twelve."""
    name = " ".join(database.lower().split())
    target = DIALECTS[name].database if name in DIALECTS else _NAMES.get(name)
    if target is None:
        return None
    if "ovid" in platform.lower():
        return _OVID.get(target, target)
    return target
