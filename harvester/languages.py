"""Language names and codes as databases write them, checked against ISO 639.

The table is pycountry's copy of ISO 639-3 (with the ISO 639-1 two-letter codes, the ISO 639-2/B
bibliographic codes MEDLINE writes, and the English names): a well-kept data package, used rather than a
hand-copied list that would miss or misspell languages. :func:`key` gives one canonical code for every
way of writing a language (``en``, ``eng``, ``English``; ``de``, ``ger``, ``deu``, ``German``), so a
protocol's ``languages`` and a record's ``LA`` compare; :func:`problem` says what is wrong with a
value a reviewer wrote (``englsh``), with a "did you mean".
"""

from __future__ import annotations

import difflib
import unicodedata
from functools import cache

import pycountry


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


@cache
def _tables() -> tuple[dict[str, str], dict[str, str], dict[str, str], frozenset[str]]:
    """(every written form -> canonical code, the forms of the major languages -> code, code -> English name,
    the special codes). Codes win over names (``en`` is English, not the language named "En"); major
    languages, those with an ISO 639-1 code, win over others and are what suggestions are drawn from."""
    forms: dict[str, str] = {}
    major: dict[str, str] = {}
    names: dict[str, str] = {}
    special: set[str] = set()
    ordered = sorted(pycountry.languages, key=lambda language: not getattr(language, "alpha_2", None))
    for attributes in (("alpha_2", "alpha_3", "bibliographic"), ("name", "common_name", "inverted_name")):
        for language in ordered:
            code = language.alpha_3
            names[code] = language.name
            if getattr(language, "scope", "") == "S":
                special.add(code)  # mul, und, mis, zxx: "multiple", "undetermined"...
            written = [getattr(language, attribute, None) for attribute in attributes]
            if "name" in attributes:
                written += _short_names(language.name)
            for form in filter(None, written):
                forms.setdefault(_fold(form), code)
                if getattr(language, "alpha_2", None):
                    major.setdefault(_fold(form), code)
    return forms, major, names, frozenset(special)


def _short_names(name: str) -> list[str]:
    """How a name is also written: without ISO's bracketed period (``Modern Greek (1453-)``) and ``Modern``."""
    short = name.split(" (")[0].split(";")[0].strip()
    return [short, short.removeprefix("Modern ")]


def key(value: str) -> str | None:
    """The canonical ISO 639-3 code for a language however written (code, bibliographic code or English name);
    None for a value that is no ISO 639 language."""
    return _tables()[0].get(_fold(value))


def problem(value: str) -> str | None:
    """What is wrong with a language a reviewer wrote: None when it is an ISO 639 code or name. A three-letter
    code one letter away from a major language's code (``enl``, Enlhet, beside ``eng``) is refused too: a
    typo is likelier than a rare language, which can be written by its name instead."""
    forms, major, names, special = _tables()
    folded = _fold(value)
    code = forms.get(folded)
    if code is not None:
        if folded in major or len(folded) != 3 or code in special:
            return None
        near = sorted({major[form] for form in major if len(form) == 3 and _one_apart(form, folded)})
        if not near:
            return None
        shown = ", ".join(f"{names[c]} ({c})" for c in near)
        return (f"{value!r} is the ISO 639-3 code of {names[code]}, one letter away from {shown}: a typo? write "
                f"{names[code]!r} to mean it")
    guesses = difflib.get_close_matches(folded, list(major), n=3, cutoff=0.6)
    suggestion = ", ".join(dict.fromkeys(f"{names[major[g]]} ({major[g]})" for g in guesses))
    hint = f"; did you mean {suggestion}?" if suggestion else ""
    return f"{value!r} is not an ISO 639 language code or English language name{hint}"


def _one_apart(a: str, b: str) -> bool:
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1
