"""Labelled tricky pairs, each with a note saying why it is (or is not) one record.

Each case is two records as databases printed them; ``expected`` is the verdict of the rules:
``match`` (merged), ``uncertain`` (sent to people) or ``distinct`` (kept apart).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from harvester.dedup import dedupe
from harvester.dedup.compare import compare
from harvester.dedup.decide import DISTINCT, MATCH, RULES, UNCERTAIN, decide
from harvester.dedup.prepare import prepare
from harvester.records import Record


@dataclass(frozen=True)
class Case:
    note: str
    a: Record
    b: Record
    expected: str


def R(**fields: object) -> Record:  # noqa: N802 - reads like a literal in the table below
    values = dict(fields)
    if isinstance(values.get("authors"), str):
        values["authors"] = (values["authors"],)
    return Record(**values)  # type: ignore[arg-type]


TITLE = "Effect of robot-assisted bilateral arm training on motor control after stroke"
ARTICLE: dict[str, object] = dict(title="Effect of robot-assisted bilateral arm training on motor control after stroke",
               authors="Wu, C. Y. and Yang, C. L. and Chuang, L. L.", year=2012, journal="Physical Therapy",
               volume="92", issue="8", pages="1006-1016")

CASES: list[Case] = [
    Case("same DOI in two cases and prefixes; titles alike",
         R(**ARTICLE, doi="10.2522/PTJ.20110282"), R(**ARTICLE, doi="https://doi.org/10.2522/ptj.20110282"), MATCH),
    Case("Scopus swaps given names and surnames ('Ching-yi, Wu'); title, volume and pages agree",
         R(**ARTICLE), R(**{**ARTICLE, "authors": "Ching-yi, Wu and Chieh-ling, Yang and Li-ling, Chuang"}), MATCH),
    Case("MEDLINE's bracketed translated title and a [Chinese] note are the same title",
         R(title="[Efficacy of batroxobin for vascular cognitive impairment].", authors="Zhai, Q. J. and Yue, X. Y.",
           year=2010, journal="Chinese Journal of Cerebrovascular Diseases", volume="7", pages="73-76"),
         R(title="Efficacy of batroxobin for vascular cognitive impairment. [Chinese]", authors="Zhai QJ; Yue XY",
           year=2010, journal="Chin J Cerebrovasc Dis", volume="7", pages="73-6"), MATCH),
    Case("online-first and print year one apart, abbreviated journal, abbreviated page range",
         R(**ARTICLE), R(**{**ARTICLE, "year": 2013, "journal": "Phys Ther", "pages": "1006-16"}), MATCH),
    Case("two different DOIs never merge, even with the same title (conference years 2021 and 2022)",
         R(title="Introduction to the Minitrack on Crowdsourcing", authors="Deng, X. and Taylor, J.", year=2021,
           doi="10.24251/HICSS.2021.510"),
         R(title="Introduction to the Minitrack on Crowdsourcing", authors="Deng, X. and Taylor, J.", year=2022,
           doi="10.24251/HICSS.2022.544"), DISTINCT),
    Case("an erratum is not its article",
         R(**ARTICLE), R(**{**ARTICLE, "title": "Erratum: " + TITLE, "pages": "1200"}), DISTINCT),
    Case("a comment on an article is not the article (even when the title repeats it)",
         R(**ARTICLE), R(**{**ARTICLE, "title": "Comment on: " + TITLE, "volume": "", "pages": ""}),
         DISTINCT),
    Case("a retraction notice is not the retracted article",
         R(**ARTICLE), R(**{**ARTICLE, "title": "Retraction notice: " + TITLE, "pages": ""}), DISTINCT),
    Case("conference abstract and the later journal article by the same authors: not the same record",
         R(title="Making the most of virtual expertise in telemedicine", authors="Standing, C. and Volpe, I.",
           year=2013, journal="Proceedings of the Symposium on Dependable Computing", pages="12-14"),
         R(title="Making the most of virtual expertise in telemedicine", authors="Standing, C. and Volpe, I.",
           year=2014, journal="Journal of Organizational Computing", volume="24", pages="138-156"), DISTINCT),
    Case("a proceedings paper one database types as a conference paper and another files under its book series,"
         " same year and page range: one paper",
         R(title="Detecting phishing websites with a feature-based classifier", authors="Lee, K. and Park, J.",
           year=2019, journal="Proceedings of the International Conference on Web Engineering", pages="211-225"),
         R(title="Detecting phishing websites with a feature-based classifier", authors="Lee K; Park J", year=2019,
           journal="Lecture Notes in Computer Science", volume="11496", pages="211-225"), MATCH),
    Case("... but a proceedings paper and a journal article on other pages the next year stay apart",
         R(title="Detecting phishing websites with a feature-based classifier", authors="Lee, K. and Park, J.",
           year=2019, journal="Proceedings of the International Conference on Web Engineering", pages="211-225"),
         R(title="Detecting phishing websites with a feature-based classifier", authors="Lee K; Park J", year=2020,
           journal="Journal of Web Engineering", volume="19", pages="1-24"), DISTINCT),
    Case("conference abstract three years before the article, other co-authors: kept apart",
         R(title="Making the most of virtual expertise in telemedicine and telehealth",
           authors="Standing, C. and Volpe, I.", year=2011, journal="Symposium on Dependable Computing"),
         R(title="Making the most of virtual expertise in telemedicine and telehealth environment",
           authors="Standing, C. and Gururajan, R.", year=2014, journal="Journal of Organizational Computing",
           volume="24", pages="138-156"), DISTINCT),
    Case("same title and authors but different pages: a person decides (data error or two parts)",
         R(**ARTICLE), R(**{**ARTICLE, "pages": "1100-1110"}), UNCERTAIN),
    Case("two meeting abstracts on one supplement page (81A) by the same authors are different abstracts",
         R(title="ASC-H: HPV status and histologic correlation based on age distributions",
           authors="Baker, S E and Yang, B and Chen, L", year=2009, journal="Laboratory Investigation", volume="89",
           pages="81A"),
         R(title="HPV status and histologic follow up on women with cytologic abnormality of ASC-H",
           authors="Baker, S E and Chen, L and Yang, B", year=2009, journal="Laboratory Investigation", volume="89",
           pages="81A"), UNCERTAIN),
    Case("a group author in one database, the chair in the other: title, volume and page range decide",
         R(title="Results of a randomized trial on the management of cytology interpretations of ASCUS",
           authors="Solomon, D", year=2003, journal="American Journal of Obstetrics and Gynecology", volume="188",
           pages="1383-1392"),
         R(title="Results of a randomized trial on the management of cytology interpretations of ASCUS",
           authors="ASCUS-LSIL Triage Study (ALTS) Group", year=2003,
           journal="American Journal of Obstetrics & Gynecology", volume="188", pages="1383-92"), MATCH),
    Case("a journal's abstract supplement indexed as a conference in Embase, as the journal elsewhere",
         R(title="DPP-4 inhibition reduces atherosclerosis by priming monocytes into M2 macrophages",
           authors="Brenner C.Franz W. M.Kuehlenthal S.", year=2014,
           journal="Circulation. Conference: American Heart Association", volume="130", issue="SUPPL. 2"),
         R(title="DPP-4 inhibition reduces atherosclerosis by priming monocytes into M2 macrophages",
           authors="Brenner C.Franz W. M.Kuehlenthal S.", year=2014, journal="Circulation", volume="130",
           issue="Supplement 2"), MATCH),
    Case("a volume cut to '1)' by an export is no volume at all; a truncated DOI says nothing",
         R(title="A dipeptidyl peptidase-4 inhibitor attenuates arterial inflammation after injury",
           authors="Akita K.Isoda K.Isobe S.", year=2013, journal="J Am Coll Cardiol", volume="1)", pages="E2048",
           doi="http://dx.doi.org/10.1016/S0735-1097%281"),
         R(title="A dipeptidyl peptidase-4 inhibitor attenuates arterial inflammation after injury",
           authors="Akita K.Isoda K.Isobe S.", year=2013, journal="Journal of the American College of Cardiology",
           volume="61", issue="10 SUPPL. 1", pages="E2048", doi="10.1016/S0735-1097(13)62048-1"), MATCH),
    Case("same authors and journal, different articles: titles differ, no shared citation",
         R(**ARTICLE), R(**{**ARTICLE, "title": "Bilateral arm training and daily function: a follow-up",
                            "pages": "1017-1025"}), DISTINCT),
    Case("part 2 of a series by the same authors in the same volume is another article",
         R(**ARTICLE), R(**{**ARTICLE, "title": TITLE + ": part 2", "pages": ""}), DISTINCT),
    Case("numbers read without spaces: 'CO 2' is 'CO2', '10 000' is '10000', 'HPV 16/18' is 'HPV16/18'",
         R(**{**ARTICLE, "title": "Persistence after laser CO 2 conization among 10 000 women: HPV 16/18"}),
         R(**{**ARTICLE, "title": "Persistence after laser CO2 conization among 10000 women: HPV16/18"}), MATCH),
    Case("a typing error in a number of the title ('p6INK4a' for 'p16INK4a'): same volume and page range decide",
         R(**{**ARTICLE, "title": "p6INK4a expression does not predict the outcome of CIN grade 2"}),
         R(**{**ARTICLE, "title": "p16(INK4a) expression does not predict the outcome of CIN grade 2"}), MATCH),
    Case("a BMJ article number (a1754) and print pages (969-972) are not comparable, so do not disagree",
         R(**{**ARTICLE, "journal": "BMJ", "pages": "969-972"}),
         R(**{**ARTICLE, "journal": "BMJ (Clinical research ed.)", "pages": "a1754"}), MATCH),
    Case("one database gives the last page of a short item, the other its range",
         R(**{**ARTICLE, "pages": "569"}), R(**{**ARTICLE, "pages": "567-569"}), MATCH),
    Case("an abstract book indexed twice (no authors, same journal, volume, issue and year)",
         R(title="Abstracts of the 79th EAS Congress", authors="Anonymous", year=2011,
           journal="Atherosclerosis Supplements. Conference: 79th European Atherosclerosis Society Congress",
           volume="12", issue="1"),
         R(title="Abstracts of the 79th EAS Congress", authors="Anonymous", year=2011,
           journal="Atherosclerosis Supplements", volume="12", issue="1"), MATCH),
    Case("an Embase conference record and the journal's record of it, neither with volume, pages or DOI, the same"
         " title and author list: the journal's abstract issue",
         R(title="Liraglutide inhibits endothelial cell dysfunction and adhesion molecules",
           authors="Simpson R. W.Liu H. B.", year=2010, journal="Diabetes. Conference: 70th Scientific Sessions"),
         R(title="Liraglutide inhibits endothelial cell dysfunction and adhesion molecules",
           authors="Simpson R. W.Liu H. B.", year=2010, journal="Diabetes"), MATCH),
    Case("... but when the journal record has a volume and pages it may be the later article: a person decides",
         R(title="Liraglutide inhibits endothelial cell dysfunction and adhesion molecules",
           authors="Simpson R. W.Liu H. B.", year=2010, journal="Diabetes. Conference: 70th Scientific Sessions"),
         R(title="Liraglutide inhibits endothelial cell dysfunction and adhesion molecules",
           authors="Simpson R. W.Liu H. B.", year=2010, journal="Diabetes", volume="59", pages="2341-2350"),
         UNCERTAIN),
    Case("... and so it does when the author lists differ (a co-author added)",
         R(title="Liraglutide inhibits endothelial cell dysfunction and adhesion molecules",
           authors="Simpson R. W.Liu H. B.", year=2010, journal="Diabetes. Conference: 70th Scientific Sessions"),
         R(title="Liraglutide inhibits endothelial cell dysfunction and adhesion molecules",
           authors="Simpson R. W.Liu H. B.Gaspari T.", year=2010, journal="Diabetes"), UNCERTAIN),
    Case("one abstract on two pages of one issue (e8-e9 and e3), the same title but for an apostrophe",
         R(title="Amantadine for symptom's of the posttraumatic confusional state: a randomized trial",
           authors="Yablon, S. and Sherer, M.", year=2010, journal="Archives of Physical Medicine and Rehabilitation",
           volume="91", issue="10", pages="e8-e9"),
         R(title="Amantadine for symptoms of the posttraumatic confusional state: a randomized trial",
           authors="Yablon, S. and Sherer, M.", year=2010, journal="Arch Phys Med Rehabil",
           volume="91", issue="10", pages="e3"), MATCH),
    Case("one abstract with one DOI and two page readings (i428 and 1428): the same item",
         R(title="Proximal tubular GLP-1 receptor activity is increased in CKD rat with myocardial infarction",
           authors="Kwon S. K.Kim S. J.", year=2016, journal="Nephrology Dialysis Transplantation", volume="1)",
           pages="i428", doi="http://dx.doi.org/10.1093/ndt/gfw188.21"),
         R(title="Proximal tubular GLP-1 receptor activity is increased in CKD rat with myocardial infarction",
           authors="Kwon S. K.Kim S. J.", year=2016, journal="Nephrology Dialysis Transplantation", volume="31",
           issue="SUPPL. 1", pages="1428-1428", doi="10.1093/ndt/gfw188.21"), MATCH),
    Case("a leading article is kept by one database and dropped by another ('The effects of' / 'Effects of')",
         R(title="The effects of incretin on artery lesions in apolipoprotein E-deficient mice",
           authors="Chen R.Wang Y.", year=2014, journal="Diabetes Metab Res Rev", volume="30", issue="S3",
           pages="52"),
         R(title="Effects of incretin on artery lesions in apolipoprotein E-deficient mice",
           authors="Chen R.Wang Y.", year=2014, journal="Diabetes/Metabolism Research and Reviews", volume="30",
           issue="SUPPL. 3", pages="51"), MATCH),
    Case("two abstracts of one group in one supplement, one word apart (mice / rats), on two pages: kept apart",
         R(title="Effects of incretin on artery lesions in apolipoprotein E-deficient mice",
           authors="Chen R.Wang Y.", year=2014, journal="Diabetes Metab Res Rev", volume="30", issue="S3",
           pages="52"),
         R(title="Effects of incretin on artery lesions in apolipoprotein E-deficient rats",
           authors="Chen R.Wang Y.", year=2014, journal="Diabetes Metab Res Rev", volume="30", issue="S3",
           pages="51"), DISTINCT),
    Case("two abstracts of one group one word apart (mice / rats), one database without pages: a person decides",
         R(title="Incretin reduces artery lesions in a model of atherosclerosis in apolipoprotein E-deficient mice",
           authors="Chen R.Wang Y.", year=2014, journal="Diabetes Metab Res Rev", volume="30", issue="S3"),
         R(title="Incretin reduces artery lesions in a model of atherosclerosis in apolipoprotein E-deficient rats",
           authors="Chen R.Wang Y.", year=2014, journal="Diabetes Metab Res Rev", volume="30", issue="S3",
           pages="51"), UNCERTAIN),
    Case("a title typed two ways (randomised / randomized, a dropped letter), one database without pages: the same"
         " article",
         R(title="Randomised trial of tumour screening in primary care for older adults", authors="Smith, J and Doe, A",
           year=2014, journal="Lancet Oncology", volume="15", issue="3", pages="301-309"),
         R(title="Randomized trial of tumour screning in primary care for older adults", authors="Smith J; Doe A",
           year=2014, journal="Lancet Oncol", volume="15", issue="3"), MATCH),
    Case("one title and author list in two journals the same year, one record without volume or pages: two"
         " journals' supplements can print one abstract as two records, so a person decides",
         R(title="Aphasia and cognitive communication rehabilitation: state of the evidence",
           authors="Graham, R. and Teasell, R. and Salter, K.", year=2010,
           journal="Canadian Journal of Neurological Sciences"),
         R(title="Aphasia and cognitive communication rehabilitation: state of the evidence",
           authors="Graham, R. and Teasell, R. and Salter, K.", year=2010, journal="Stroke", volume="41", issue="7",
           pages="e494"), UNCERTAIN),
    Case("a short generic title in one issue on two pages is two items (two editorials by one editor)",
         R(title="Editorial: the year in review", authors="Smith, J", year=2014, journal="Stroke", volume="45",
           issue="1", pages="1"),
         R(title="Editorial: the year in review", authors="Smith, J", year=2014, journal="Stroke", volume="45",
           issue="1", pages="5"), DISTINCT),
    Case("a DOI of another journal on one record (j.regpep on an Appetite record) is not this record's DOI",
         R(title="Liraglutide and linagliptin improve glycemic control in a hamster model of obesity",
           authors="Hansen F.Hansen G.Pedersen P. J.", year=2012, journal="Appetite", volume="59",
           issue="SUPPL. 1", pages="e24", doi="http://dx.doi.org/10.1016/j.appet.2012.05.003"),
         R(title="Liraglutide and linagliptin improve glycemic control in a hamster model of obesity",
           authors="Hansen F.Hansen G.Pedersen P. J.", year=2012, journal="Appetite", volume="1", pages="e24",
           doi="10.1016/j.regpep.2012.05.039"), MATCH),
    Case("two DOIs that both name the journal are two records, whatever else agrees",
         R(title="Liraglutide and linagliptin improve glycemic control in a hamster model of obesity",
           authors="Hansen F.Hansen G.", year=2012, journal="Appetite", volume="59", pages="e24",
           doi="10.1016/j.appet.2012.05.003"),
         R(title="Liraglutide and linagliptin improve glycemic control in a hamster model of obesity",
           authors="Hansen F.Hansen G.", year=2012, journal="Appetite", volume="59", pages="e24",
           doi="10.1016/j.appet.2012.05.010"), DISTINCT),
    Case("a DOI code that partly names the journal (STROKEAHA for Stroke) is the journal's own: DOIs differ",
         R(**{**ARTICLE, "journal": "Stroke"}, doi="10.1161/STROKEAHA.110.1"),
         R(**{**ARTICLE, "journal": "Stroke"}, doi="10.1161/STR.0000000000000001"), DISTINCT),
    Case("an abstract book titled with its meeting and year, indexed twice",
         R(title="ESICON 2017 Abstracts", authors="Anonymous", year=2017,
           journal="Indian Journal of Endocrinology and Metabolism. Conference: ESICON 2017", volume="21",
           issue="8 Supplement 1"),
         R(title="ESICON 2017 Abstracts", authors="Anonymous", year=2017,
           journal="Indian Journal of Endocrinology and Metabolism", volume="21", issue="8 Supplement 1"), MATCH),
    Case("a three-word section title without a number in one issue may be two sections: not merged",
         R(title="Poster session abstracts", authors="Anonymous", year=2017, journal="Stroke", volume="48",
           issue="Suppl 1"),
         R(title="Poster session abstracts", authors="Anonymous", year=2017, journal="Stroke", volume="48",
           issue="Suppl 1"), UNCERTAIN),
    Case("a meeting abstract's page with its abstract number (A175.E1638) is page A175",
         R(title="Saxagliptin enhances nitric oxide bioavailability in aortic and renal endothelium",
           authors="Mason R. P.Kubant R.", year=2010, journal="J Am Coll Cardiol", volume="55 (10 SUPPL 1)",
           pages="A175.E1638"),
         R(title="Saxagliptin enhances nitric oxide bioavailability in aortic and renal endothelium",
           authors="Mason R. P.Kubant R.", year=2010, journal="J Am Coll Cardiol", volume="55",
           issue="10 SUPPL 1", pages="A175"), MATCH),
    Case("... but another page of the same supplement is another abstract: a person decides",
         R(title="Saxagliptin enhances nitric oxide bioavailability in aortic and renal endothelium",
           authors="Mason R. P.Kubant R.", year=2010, journal="J Am Coll Cardiol", volume="55", pages="A175.E1638"),
         R(title="Saxagliptin enhances nitric oxide bioavailability in aortic and renal endothelium",
           authors="Mason R. P.Kubant R.", year=2010, journal="J Am Coll Cardiol", volume="55", pages="A176"),
         UNCERTAIN),
    Case("a recurring column in two issues of one volume, same editor, same page: two items (principle 2 and 3)",
         R(title="Editor's comments", authors="Smith, J", year=2014, journal="MIS Quarterly", volume="38",
           issue="1", pages="iii-iv"),
         R(title="Editor's comments", authors="Smith, J", year=2014, journal="MIS Quarterly", volume="38",
           issue="2", pages="iii-iv"), DISTINCT),
    Case("a recurring title in one issue on the same page, indexed twice: one item",
         R(title="Editor's comments", authors="Smith, J", year=2014, journal="MIS Quarterly", volume="38",
           issue="1", pages="iii-iv"),
         R(title="Editor's Comments.", authors="Smith J", year=2014, journal="MIS Q", volume="38",
           issue="1", pages="iii-iv"), MATCH),
    Case("same authors, journal, volume and pages, another issue, titles sharing almost no words (principle 1)",
         R(title="Digital platforms and the governance of health data sharing", authors="Lee, K. and Park, J.",
           year=2019, journal="Information Systems Research", volume="30", issue="2", pages="1-20"),
         R(title="Trust repair after outsourcing failures in hospitals", authors="Lee, K. and Park, J.",
           year=2019, journal="Information Systems Research", volume="30", issue="3", pages="1-20"), DISTINCT),
    Case("the same citation and authors with titles sharing almost no words, same issue: a person decides",
         R(title="Digital platforms and the governance of health data sharing", authors="Lee, K. and Park, J.",
           year=2019, journal="Information Systems Research", volume="30", issue="2", pages="1-20"),
         R(title="Trust repair after outsourcing failures in hospitals", authors="Lee, K. and Park, J.",
           year=2019, journal="Information Systems Research", volume="30", issue="2", pages="1-20"), UNCERTAIN),
    Case("a shared DOI with titles that disagree: a person decides, never a merge",
         R(**ARTICLE, doi="10.2522/ptj.20110282"),
         R(title="Quality of life of carers after stroke", authors="Doe, J", year=2012, journal="Physical Therapy",
           doi="10.2522/ptj.20110282"), UNCERTAIN),
    Case("a long specific title word for word in two issues of one volume, one page only: a person decides",
         R(**ARTICLE), R(**{**ARTICLE, "issue": "9", "pages": "1006"}), UNCERTAIN),
    Case("an article number in Embase's issue field ('(no pagination)', issue 93) is not another issue",
         R(title="Dietary resistant starch reduces adiposity in obesity-prone rats", authors="Belobrajdic D. P.",
           year=2012, journal="Nutr Metab (Lond)", volume="9", issue="1", pages="93"),
         R(title="Dietary resistant starch reduces adiposity in obesity-prone rats", authors="Belobrajdic D. P.",
           year=2012, journal="Nutrition and Metabolism", volume="9 (no pagination)", issue="93", pages="93"), MATCH),
    Case("an erratum notice titled only 'Erratum' in two issues: two notices",
         R(title="Erratum", year=2014, journal="Stroke", volume="45", issue="3", pages="e55"),
         R(title="Erratum", year=2014, journal="Stroke", volume="45", issue="4", pages="e99"), DISTINCT),
    Case("messy citation: the first page typed wrong (1060 for 1006), same last page: one article",
         R(**ARTICLE), R(**{**ARTICLE, "pages": "1060-1016", "journal": "Phys Ther"}), MATCH),
    Case("messy citation: a dropped digit in the first page (106 for 1006), year one apart: one article",
         R(**ARTICLE), R(**{**ARTICLE, "pages": "106-1016", "year": 2013}), MATCH),
    Case("... but another page range altogether with the same title and authors: a person decides",
         R(**ARTICLE), R(**{**ARTICLE, "pages": "1106-1116"}), UNCERTAIN),
    Case("... and a first page one keystroke apart but a title with a word changed: never merged",
         R(**ARTICLE), R(**{**ARTICLE, "title": TITLE.replace("stroke", "injury"), "pages": "1007-1016"}),
         DISTINCT),
    Case("messy citation: electronic page prefix (e12-e19 and 12-19) in one volume: one article",
         R(**{**ARTICLE, "pages": "12-19"}), R(**{**ARTICLE, "pages": "e12-e19"}), MATCH),
    Case("... but a supplement's pages (S12-S19) are another sequence of pages: a person decides",
         R(**{**ARTICLE, "pages": "12-19"}), R(**{**ARTICLE, "pages": "S12-S19"}), UNCERTAIN),
    Case("messy citation: print and online years one apart, same volume, issue and pages: one article",
         R(**ARTICLE), R(**{**ARTICLE, "year": 2011}), MATCH),
    Case("messy citation: one copy without volume, issue or pages: one article (title, authors, journal agree)",
         R(**ARTICLE), R(**{**ARTICLE, "volume": "", "issue": "", "pages": ""}), MATCH),
    Case("messy citation: the journal with a trailing full stop and a 'Conference' suffix: one article",
         R(**ARTICLE), R(**{**ARTICLE, "journal": "Physical Therapy. Conference: APTA Combined Sections Meeting"}),
         MATCH),
    Case("an erratum naming a MEDLINE bracketed translated title ('Correction to: [Title].') is not its article",
         R(title="[Efficacy of batroxobin for vascular cognitive impairment].", authors="Zhai, Q. J.", year=2010,
           journal="Chinese Journal of Cerebrovascular Diseases", volume="7", pages="73-76"),
         R(title="Correction to: [Efficacy of batroxobin for vascular cognitive impairment].", year=2011,
           journal="Chinese Journal of Cerebrovascular Diseases", volume="8", pages="12"), DISTINCT),
    Case("one abstract presented at two meetings, printed in two journals' supplements, neither with volume or"
         " pages: two reports, a person decides",
         R(title="Early mobilisation after stroke improves walking at three months", authors="Smith, J. and Doe, A.",
           year=2015, journal="Stroke. Conference: International Stroke Conference"),
         R(title="Early mobilisation after stroke improves walking at three months", authors="Smith, J. and Doe, A.",
           year=2015, journal="Cerebrovascular Diseases. Conference: European Stroke Conference"), UNCERTAIN),
    Case("... and a meeting abstract printed by a journal ('Diabetes. Conference: ...') beside a proceedings record"
         " of another meeting with the same title, authors and year: two printings, a person decides",
         R(title="Introduction to the minitrack on crowdsourcing and digital work", authors="Deng, X. and Taylor, J.",
           year=2021, journal="Proceedings of the Annual Hawaii International Conference on System Sciences",
           tags=(("ENTRYTYPE", "inproceedings"),)),
         R(title="Introduction to the minitrack on crowdsourcing and digital work", authors="Deng, X. and Taylor, J.",
           year=2021, journal="Diabetes. Conference: 78th Scientific Sessions",
           tags=(("ENTRYTYPE", "inproceedings"),)), UNCERTAIN),
    Case("... but one paper of one conference named two ways (no journal printing it) is one record",
         R(title="Cultural universality versus particularity in computer-mediated communication",
           authors="Lee, K. and Park, J.", year=2017, journal="AMCIS 2017 Proceedings",
           tags=(("ENTRYTYPE", "inproceedings"),)),
         R(title="Cultural universality versus particularity in computer-mediated communication",
           authors="Lee, K. and Park, J.", year=2017, journal="Americas Conference on Information Systems",
           tags=(("ENTRYTYPE", "inproceedings"),)), MATCH),
    Case("the same DOI and title, another issue number (an article number in one database's issue field,"
         " not marked): one article",
         R(**{**ARTICLE, "doi": "10.2522/ptj.20110282"}),
         R(**{**ARTICLE, "doi": "10.2522/ptj.20110282", "issue": "12", "pages": ""}), MATCH),
    Case("... but a shared DOI with a title that disagrees, in another issue, is never merged: a person decides",
         R(**{**ARTICLE, "doi": "10.2522/ptj.20110282"}),
         R(**{**ARTICLE, "title": "Quality of life of carers after stroke: a cohort", "doi": "10.2522/ptj.20110282",
              "issue": "12", "pages": ""}), UNCERTAIN),
    Case("PubMed ids differ: two records, whatever else agrees",
         R(**ARTICLE, pmid="22052947"), R(**ARTICLE, pmid="22052948"), DISTINCT),
    Case("same PubMed id, one title cut short by the database: still the same record",
         R(**ARTICLE, pmid="22052947"), R(**{**ARTICLE, "title": TITLE[:60], "pmid": "22052947"}), MATCH),
    Case("same PubMed id but another title (a mistyped id in one database): a person decides",
         R(**ARTICLE, pmid="22052947"),
         R(title="Quality of life of carers after stroke", authors="Doe, J", year=2012, pmid="22052947"), UNCERTAIN),
]


@pytest.mark.parametrize("case", CASES, ids=[c.note for c in CASES])
def test_labelled_pair(case: Case) -> None:
    rule = decide(compare(prepare(1, case.a), prepare(2, case.b)))
    assert rule.verdict == case.expected, f"{case.note}: rule {rule.name}"
    # the same through the whole pipeline: a match is one cluster, anything else is not merged
    result = dedupe([(1, case.a), (2, case.b)])
    assert (len(result.clusters) == 1) == (case.expected == MATCH)
    assert (len(result.uncertain) == 1) == (case.expected == UNCERTAIN)


@pytest.mark.parametrize(("a", "b", "expected"), [
    ("effects of incretin in mice", "effects of incretin in rats", True),
    ("randomised trial of paediatric tumour care", "randomized trial of pediatric tumor care", False),
    ("followup of stroke survivors", "follow up of stroke survivors", False),
    ("stroke survivors a cohort", "a cohort stroke survivors", False),  # order: not a word changed
    ("stroke survivors a cohort study", "stroke survivors a cohort", True),  # a word dropped
    ("same title", "same title", False),
])
def test_reworded_titles(a: str, b: str, expected: bool) -> None:
    from harvester.dedup.compare import reworded

    assert reworded(a, b) is expected
    assert reworded(b, a) is expected


def test_rules_are_data_with_unique_names_and_guards_first() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    verdicts = [rule.verdict for rule in RULES]
    first_match = verdicts.index(MATCH)
    assert all(v != MATCH for v in verdicts[:first_match])
    assert verdicts[:3] == [DISTINCT, DISTINCT, DISTINCT]  # identifiers and notices are hard guards
    assert all(rule.means for rule in RULES)


def test_every_rule_is_in_the_docs_table(repo: Path) -> None:
    docs = (repo / "docs" / "dedup.md").read_text(encoding="utf-8")
    for rule in RULES:
        assert f"| {rule.name} | {rule.verdict} |" in docs, rule.name


def test_kept_view_fills_empty_fields_from_duplicates() -> None:
    from harvester.dedup.merge import kept_view

    kept = Record(title="A title", doi="", abstract="", pages="1-9")
    duplicate = Record(title="A title.", doi="10.1000/x", abstract="An abstract", pages="1-99")
    view = kept_view(kept, [duplicate])
    assert (view.title, view.doi, view.abstract, view.pages) == ("A title", "10.1000/x", "An abstract", "1-9")
