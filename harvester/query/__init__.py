"""Boolean search queries as data: parsed once, written for every database, linted, evaluated.

- :mod:`harvester.query.ast`: the tree (:class:`Term`, :class:`And`, :class:`Or`, :class:`Not`, :class:`Near`);
- :mod:`harvester.query.parser`: the protocol's syntax (PubMed's) into the tree;
- :mod:`harvester.query.translate` and ``targets/``: the tree written for each database, with warnings.
"""

from harvester.query.ast import And, Near, Node, Not, Or, Term, depth, terms, walk
from harvester.query.dialect import QueryWarning, Translation
from harvester.query.parser import FIELD_TAGS, MAX_DEPTH, PROXIMITY_TAGS, parse
from harvester.query.translate import DATABASES, dialect, to_pubmed, translate, translate_all

__all__ = [
    "DATABASES", "FIELD_TAGS", "MAX_DEPTH", "PROXIMITY_TAGS", "And", "Near", "Node", "Not", "Or", "QueryWarning",
    "Term", "Translation", "depth", "dialect", "parse", "terms", "to_pubmed", "translate", "translate_all", "walk",
]
