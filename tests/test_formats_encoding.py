"""Bytes to records: byte-order marks, UTF-16, Windows-1252, line endings, and files that are not exports."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harvester.errors import FormatError
from harvester.formats import formats, read_bytes

RIS = "TY  - JOUR\nTI  - Café au lait: naïve résumé\nAU  - Müller, Jürgen\nPY  - 2020\nER  - \n\n" \
      "TY  - JOUR\nTI  - Second\nER  - \n"
MY_FORMATS = ("ris", "medline", "wos-plain", "enw", "ovid")


@pytest.mark.parametrize(("encoded", "encoding"), [
    (RIS.encode("utf-8"), "utf-8"),
    (b"\xef\xbb\xbf" + RIS.encode("utf-8"), "utf-8-sig"),
    (b"\xff\xfe" + RIS.encode("utf-16-le"), "utf-16-le"),
    (b"\xfe\xff" + RIS.encode("utf-16-be"), "utf-16-be"),
])
def test_unicode_encodings_give_the_same_records(encoded: bytes, encoding: str) -> None:
    parsed = read_bytes(encoded, "x.ris")
    assert parsed.encoding == encoding
    assert [r.title for r in parsed.records] == ["Café au lait: naïve résumé", "Second"]
    assert parsed.records[0].authors == ("Müller, Jürgen",)
    assert parsed.records[0].tags[0] == ("TY", "JOUR")  # no BOM left on the first tag


def test_windows_1252_falls_back_with_a_warning() -> None:
    parsed = read_bytes(RIS.encode("cp1252"), "x.ris")
    assert parsed.encoding == "cp1252"
    assert parsed.records[0].title == "Café au lait: naïve résumé"
    assert any("Windows-1252" in w and "x.ris:2" in w for w in parsed.warnings)


@pytest.mark.parametrize("newline", ["\r\n", "\r", "mixed"])
def test_line_endings(newline: str) -> None:
    if newline == "mixed":
        lines = RIS.split("\n")
        text = "".join(line + ("\r\n" if i % 2 else "\n") for i, line in enumerate(lines))
    else:
        text = RIS.replace("\n", newline)
    parsed = read_bytes(text.encode(), "x.ris")
    assert [r.title for r in parsed.records] == ["Café au lait: naïve résumé", "Second"]
    assert parsed.records[1].line == 7


@pytest.mark.parametrize(("data", "message"), [
    (b"", "empty"),
    (b"   \n\n", "empty"),
    (b"%PDF-1.4\x00\x01\x02\x03binary", "binary"),
    (b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "binary"),
    (b"Dear reviewer,\nthis is a letter, not an export.\n", "not a recognised export format"),
])
def test_files_that_are_not_exports_get_a_clear_message(data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message) as caught:
        read_bytes(data, "upload.ris")
    assert "upload.ris" in str(caught.value)


def test_wrong_format_named_by_the_user_is_a_clear_error() -> None:
    with pytest.raises(FormatError, match="does not look like MEDLINE"):
        read_bytes(b"just some words\n", "x.nbib", format="medline")


def test_truncated_last_record_is_rejected_with_its_line() -> None:
    parsed = read_bytes((RIS + "TY  - JOUR\nTI  - Cut off in the mid").encode(), "x.ris")
    assert len(parsed.records) == 2 and parsed.rejected[0].line == 10 and "cut off" in parsed.rejected[0].reason


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(MY_FORMATS + (None,)))
def test_arbitrary_bytes_never_crash_an_importer(data: bytes, name: str | None) -> None:
    try:
        parsed = read_bytes(data, "fuzz.txt", format=name)
    except FormatError:
        return
    assert parsed.records_read == len(parsed.records) + len(parsed.rejected)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(["TY  - JOUR", "ER  - ", "TI  - x", "AU  - a, b", "PMID- 1", "PT J", "ER", "EF",
                                 "%T t", "%0 Book", "<1>", "Title", "  value", "      cont", "", "1.", "FN x",
                                 "UT WOS:1", "KW  - k", "junk"]), max_size=30),
       st.sampled_from(MY_FORMATS))
def test_tag_soup_never_crashes_a_reader(lines: list[str], name: str) -> None:
    fmt = next(f for f in formats() if f.name == name)
    try:
        parsed = fmt.read("\n".join(lines), "soup.txt", None)
    except FormatError:
        return
    positions = [r.position for r in parsed.records] + [r.position for r in parsed.rejected]
    assert sorted(positions) == list(range(1, len(positions) + 1))  # every record numbered once
