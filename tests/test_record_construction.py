"""The fast ways in: ``records.record_from_fields`` (the RIS reader builds every record with it) gives what
``Record(...)`` gives, and ``encoding.inspect_path(..., sha256=True)`` hashes the very bytes it checks."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harvester.formats.encoding import inspect_path
from harvester.records import Record, record_from_fields

_TEXT = st.text(max_size=20)
_TEXTS = st.lists(_TEXT, max_size=3).map(tuple)
_FIELDS = st.tuples(
    _TEXT, _TEXT, _TEXTS, st.none() | st.integers(1500, 2100), _TEXT, _TEXT, _TEXTS, _TEXT, _TEXT, _TEXT, _TEXT, _TEXT,
    _TEXTS, _TEXTS, _TEXTS, _TEXTS, _TEXT, _TEXT, _TEXT, _TEXT, _TEXT,
    st.lists(st.tuples(_TEXT, _TEXT), max_size=3).map(tuple), st.integers(0, 10**6), st.integers(0, 10**6))


@given(_FIELDS)
def test_record_from_fields_is_record(values: tuple[Any, ...]) -> None:
    made = record_from_fields(*values)
    plain = Record(*values)
    assert type(made) is Record
    assert made == plain and hash(made) == hash(plain) and repr(made) == repr(plain)
    assert made.to_json() == plain.to_json()
    assert pickle.loads(pickle.dumps(made)) == plain
    assert dataclasses.replace(made, title="other") == dataclasses.replace(plain, title="other")
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.title = "changed"  # type: ignore[misc]


def test_record_from_fields_takes_every_field_in_order() -> None:
    names = [field.name for field in dataclasses.fields(Record)]
    with pytest.raises(TypeError):
        record_from_fields(*range(len(names) - 1))
    made = record_from_fields(*range(len(names)))
    assert [getattr(made, name) for name in names] == list(range(len(names)))


@pytest.mark.parametrize("data", [
    "TY  - JOUR\nTI  - Caf\u00e9\nER  - \n".encode(),  # UTF-8, read once
    b"TY  - JOUR\r\nTI  - Caf\xe9\r\nER  - \r\n",  # not UTF-8: read again as Windows-1252
    "TY  - JOUR\nTI  - x\nER  - \n".encode("utf-16"),
])
def test_inspect_path_hashes_the_bytes_it_checks(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "export.ris"
    path.write_bytes(data)
    assert inspect_path(path, sha256=True).sha256 == hashlib.sha256(data).hexdigest()
    assert inspect_path(path).sha256 == ""


@given(_FIELDS, st.sets(st.sampled_from([field.name for field in dataclasses.fields(Record)])))
def test_from_mapping_gives_the_record_written(values: tuple[Any, ...], dropped: set[str]) -> None:
    record = Record(*values)
    data = json.loads(record.to_json())
    assert Record.from_mapping(data) == record
    partial = {key: (None if key == "title" else value) for key, value in data.items() if key not in dropped}
    kept: dict[str, Any] = {key: value for key, value in partial.items() if value is not None or key == "year"}
    fields: dict[str, Any] = {key: tuple(map(tuple, value)) if key == "tags" else
                              tuple(value) if isinstance(value, list) else value for key, value in kept.items()}
    expected = Record(**fields)
    made = Record.from_mapping(partial | {"unknown": 1})
    assert type(made) is Record and made == expected
