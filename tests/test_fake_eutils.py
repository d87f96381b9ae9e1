"""The fake E-utilities server answers like NCBI, including the ways NCBI goes wrong."""

from __future__ import annotations

import json
import time
from datetime import date

import pytest
import requests
from lxml import etree

from harvester.formats.pubmed_xml import iter_records
from tests.fake_eutils import FAULT_KINDS, FakeEutils, Faults


def _get(fake: FakeEutils, endpoint: str, **params: str) -> requests.Response:
    return requests.get(fake.url + endpoint + ".fcgi", params=params, timeout=10)


def _post(fake: FakeEutils, endpoint: str, **data: str) -> requests.Response:
    return requests.post(fake.url + endpoint + ".fcgi", data=data, timeout=10)


def test_esearch_shape_counts_and_date_filters() -> None:
    with FakeEutils(50, enforce_pace=False, start=date(2010, 1, 1), end=date(2010, 12, 31)) as fake:
        root = etree.fromstring(_get(fake, "esearch", db="pubmed", term="x[tiab]").content)
        assert root.tag == "eSearchResult"
        assert root.findtext("Count") == "50" and len(root.findall("IdList/Id")) == 20  # retmax default 20
        assert root.findtext("QueryTranslation") == "x[Title/Abstract]"
        half = etree.fromstring(_post(fake, "esearch", term="x", mindate="2010/01/01", maxdate="2010/06/30",
                                      datetype="pdat", retmax="100").content)
        in_range = int(half.findtext("Count") or 0)
        assert 0 < in_range < 50 and len(half.findall("IdList/Id")) == in_range
        assert "2010/01/01:2010/06/30[Date - Publication]" in (half.findtext("QueryTranslation") or "")
        uid = etree.fromstring(_post(fake, "esearch", term=f"(x) AND 1:{fake.first_pmid + 9}[uid]",
                                     retmax="100").content)
        assert uid.findtext("Count") == "10"
        count = etree.fromstring(_post(fake, "esearch", term="x", rettype="count").content)
        assert count.findtext("Count") == "50" and count.find("IdList") is None
        assert fake.stats.requests["esearch"] == 4 and fake.stats.methods == {"GET": 1, "POST": 3}


def test_the_cap_error_and_warning() -> None:
    with FakeEutils(12_000, enforce_pace=False, books_every=0) as fake:
        past = _post(fake, "esearch", term="x", retstart="15000")
        assert past.status_code == 200
        assert b"<ERROR>Search Backend failed: Exception: Position 15000 is out of acceptable range [9999,9998]" \
               b"</ERROR>" in past.content
        root = etree.fromstring(_post(fake, "esearch", term="x", retmax="10000").content)
        assert root.findtext("WarningList/OutputMessage", "").startswith("Restrictions achieved")
        assert len(root.findall("IdList/Id")) == 9999 and root.findtext("Count") == "12000"
        tail = etree.fromstring(_post(fake, "esearch", term="x", retstart="9990", retmax="100").content)
        assert len(tail.findall("IdList/Id")) == 9  # positions 9990..9998


def test_history_server_and_efetch() -> None:
    with FakeEutils(30, enforce_pace=False, deleted=frozenset({30_000_003})) as fake:
        first = etree.fromstring(_post(fake, "esearch", term="x", usehistory="y", retmax="0").content)
        webenv, key = first.findtext("WebEnv"), first.findtext("QueryKey")
        assert webenv and webenv.startswith("MCID_") and key == "1"
        again = etree.fromstring(_post(fake, "esearch", term="y", usehistory="y", WebEnv=webenv).content)
        assert again.findtext("WebEnv") == webenv and again.findtext("QueryKey") == "2"
        body = _post(fake, "efetch", db="pubmed", WebEnv=webenv, query_key="1", retstart="0", retmax="10").content
        assert len(list(iter_records(body))) == 10
        ids = ",".join(str(p) for p in range(30_000_000, 30_000_005))
        records = list(iter_records(_post(fake, "efetch", db="pubmed", id=ids, retmode="xml").content))
        assert [r.pmid for r in records] == ["30000000", "30000001", "30000002", "30000004"]  # deleted omitted
        assert fake.stats.served["30000001"] == 1 and "30000003" not in fake.stats.served
        posted = etree.fromstring(_post(fake, "epost", db="pubmed", id=ids).content)
        assert posted.findtext("QueryKey") == "1"
        empty = etree.fromstring(_post(fake, "epost", db="pubmed", id="").content)
        assert "Empty ID list" in (empty.findtext("ERROR") or "")
        lost = _post(fake, "efetch", db="pubmed", WebEnv="MCID_nope", query_key="9").content
        assert b"<eFetchResult><ERROR>Cannot retrieve history data" in lost


def test_pace_limit_answers_429_with_ncbis_json() -> None:
    with FakeEutils(5, limit=3, key_limit=10, faults=Faults(rate=0.0)) as fake:
        answers = [_post(fake, "esearch", term="x") for _ in range(5)]
        assert [a.status_code for a in answers[:3]] == [200, 200, 200]
        refused = answers[3]
        assert refused.status_code == 429
        body = json.loads(refused.content)
        assert body["error"] == "API rate limit exceeded" and body["limit"] == "3" and int(body["count"]) >= 4
        assert refused.headers["X-RateLimit-Limit"] == "3" and "Retry-After" not in refused.headers
        assert fake.stats.pace_429 == 2
        time.sleep(1.05)
        keyed = [_post(fake, "esearch", term="x", api_key="K1") for _ in range(10)]
        assert all(a.status_code == 200 for a in keyed)  # 10/s with a key, counted per key
        assert fake.stats.keys_seen == {"K1"}
        assert all("api_key" not in entry["params"] for entry in fake.stats.log)


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_each_fault(kind: str) -> None:
    faults = Faults(rate=1.0, kinds=(kind,), slow_seconds=0.1, stall_seconds=0.5, retry_after="2")
    with FakeEutils(5, enforce_pace=False, faults=faults) as fake:
        try:
            answer = requests.post(fake.url + "efetch.fcgi", data={"id": "30000000,30000001"}, timeout=0.3)
        except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError):
            assert kind == "dropped"
            answer = None
        except requests.exceptions.Timeout:
            assert kind == "stall"
            answer = None
        assert fake.stats.faults == {kind: 1}
        if kind == "429":
            assert answer is not None and answer.status_code == 429 and answer.headers["Retry-After"] == "2"
            assert json.loads(answer.content)["error"] == "API rate limit exceeded"
            assert fake.stats.pace_429 == 0
        elif kind == "5xx":
            assert answer is not None and answer.status_code in (500, 502, 503) and b"Diagnostic" in answer.content
        elif kind == "html":
            assert answer is not None and answer.status_code == 200 and answer.content.startswith(b"<!DOCTYPE html>")
        elif kind == "error200":
            assert answer is not None and answer.status_code == 200 and b"<eFetchResult><ERROR>" in answer.content
        elif kind == "truncated":
            assert answer is not None and answer.status_code == 200
            with pytest.raises(Exception, match="truncated|Document is empty|malformed"):
                list(iter_records(answer.content))
        elif kind == "slow":
            assert answer is not None and len(list(iter_records(answer.content))) == 2
        if kind in ("truncated", "dropped"):  # only the records sent whole count as served
            whole = answer.content.count(b"</PubmedArticle>") if answer is not None else None
            assert len(fake.stats.served) <= 1 and (whole is None or len(fake.stats.served) == whole)
        else:
            assert not fake.stats.served or kind == "slow"


def test_big_efetch_answers_break_as_users_of_the_real_service_report() -> None:
    """Answers over ``oversize_records`` records are cut short (connection closed mid-body); the records sent
    whole are counted as served; small answers are never cut."""
    faults = Faults(oversize_records=100, oversize_rate=1.0)
    with FakeEutils(300, enforce_pace=False, faults=faults, books_every=0) as fake:
        small = _post(fake, "efetch", id=",".join(str(p) for p in fake.pmids()[:100]))
        assert len(list(iter_records(small.content))) == 100 and fake.stats.faults == {}
        with pytest.raises((requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError)):
            _post(fake, "efetch", id=",".join(str(p) for p in fake.pmids()))
        assert fake.stats.faults == {"oversize": 1}
        cut = [pmid for pmid, times in fake.stats.served.items() if int(pmid) - fake.first_pmid >= 100]
        assert len(cut) < 200 and all(fake.stats.served[pmid] == 1 for pmid in cut)
        sent_whole = sorted(int(pmid) for pmid in cut)
        assert sent_whole == list(range(fake.first_pmid + 100, fake.first_pmid + 100 + len(sent_whole)))
    with FakeEutils(300, enforce_pace=False, faults=Faults(oversize_records=100, oversize_rate=0.0)) as fake:
        whole = _post(fake, "efetch", id=",".join(str(p) for p in fake.pmids()))
        assert len(list(iter_records(whole.content))) == 300 and not fake.stats.faults
