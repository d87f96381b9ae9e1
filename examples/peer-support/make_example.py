#!/usr/bin/env python3
"""Write the bundled example review's export files from the seed review's reference list.

Usage (from the repository root)::

    python examples/peer-support/make_example.py ../shared/seed/references.csv [OUTPUT_DIR]

The seed review (MacLellan et al., PLOS ONE 2015, CC-BY 4.0) cites 54 references. This script turns
them into the files a reviewer would have brought home from the 2014 searches: a MEDLINE (PubMed
``.nbib``) file, a CINAHL (EBSCOhost RIS) file, a Scopus CSV and the hand-searched records (a Zotero RIS
file), plus ``truth.csv`` saying which record in which file is which article. The same article appears
in two or three databases with the differences real exports show (casing, trailing periods, "&" for
"and", abbreviated vs full journal names, author name forms, "589-98" vs "589-598", DOI case or a
missing DOI). Invented records (off-topic, excluded types, non-English; DOIs under the 10.5555 test
prefix, fictitious journals and authors) give the rules and screening something to exclude.

What is real and what is not (also in README.md): titles, authors as printed, journals, years,
volumes, pages and DOIs of the 54 references come from ``references.csv`` and the tables below
(checked against it at run time). Database identifiers (PMIDs, CINAHL accession numbers, Scopus
EIDs and author ids) are invented and all start with 999 so nobody mistakes them for real ones.
Abstracts of the included studies are synthetic summaries written from the seed paper's Table 1,
not the articles' abstracts; subject headings are illustrative, not the databases' indexing.

The output is deterministic (no randomness, no clock): running it twice gives identical bytes, and a
test compares a fresh run with the committed files. Standard library only.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import sys
import textwrap
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

# --------------------------------------------------------------------------------------------------
# Data: the 54 references as structured fields. Authors are written as printed in the reference list
# ("Surname Initials", up to six before "et al"). ``where`` names the files a record goes to:
# M = MEDLINE, C = CINAHL, S = Scopus, H = hand-searched. Refs not listed (books, a checklist, and 44,
# the second printing of ref 2) appear in no file; see README.md.
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Article:
    """One article (a cluster): the fields every database record of it is derived from."""

    key: str  # cluster name in truth.csv
    refs: tuple[int, ...]  # seed reference numbers (empty for invented records)
    where: str
    authors: tuple[str, ...]
    title: str
    ta: str  # NLM-style journal abbreviation
    journal: str  # full journal name as the publisher writes it
    year: int
    volume: str = ""
    issue: str = ""
    pages: str = ""  # as printed: "589-98", "e145-51", "188" (article number)
    doi: str = ""
    kind: str = "article"  # article | editorial | letter | thesis | report | chapter | conference | erratum
    language: str = "eng"  # ISO 639-2 as MEDLINE writes it
    original_title: str = ""  # non-English articles: the title in the original language
    abstract: str = ""
    topic: str = "mental"  # picks illustrative subject headings
    variants: frozenset[str] = field(default_factory=frozenset)
    book: str = ""  # chapters: the book's title
    publisher: str = ""
    note: str = ""  # for truth.csv: what this cluster tests


def _v(*names: str) -> frozenset[str]:
    return frozenset(names)


# Variant flags (each is a difference real exports show):
#   cinahl-no-doi, cinahl-doi-upper, medline-no-doi, scopus-no-doi: the DOI is missing / upper case
#   scopus-title-case, cinahl-title-case: the title in Title Case as the publisher prints it
#   scopus-brief-report: Scopus keeps the journal's section label in the title
#   cinahl-curly-quotes: EBSCO writes typographic quotes
#   cinahl-epub-year: CINAHL dates the record by its online (epub) year, one before the print year; the
#       seed paper's Table 1 itself calls ref 18 "Barg et al 2011" though the issue is 2012
REFS: tuple[tuple[int, str, tuple[str, ...], str, str, str, str, str, str, frozenset[str]], ...] = (
    # ref, where, authors, title, NLM abbreviation, full journal name, volume, issue, pages, variants
    (1, "MCS", ("Bouchard L", "Montreuil M", "Gros C"),
     "Peer support among inpatients in an adult mental health setting",
     "Issues Ment Health Nurs", "Issues in Mental Health Nursing", "31", "", "589-98", _v("cinahl-no-doi")),
    (2, "MCS", ("Gillard SG", "Edwards C", "Gibson SL", "Owen K", "Wright C"),
     "Introducing peer worker roles into UK mental health service teams: a qualitative analysis of the "
     "organisational benefits and challenges",
     "BMC Health Serv Res", "BMC Health Services Research", "13", "", "188", _v()),
    (3, "MC", ("Greenwood N", "Habibi R", "Mackenzie A", "Drennan V", "Easton N"),
     "Peer support for carers: a qualitative investigation of the experiences of carers and peer volunteers",
     "Am J Alzheimers Dis Other Demen", "American Journal of Alzheimer's Disease and Other Dementias",
     "28", "", "617-26", _v()),
    (4, "MCS", ("Hutchinson A", "Lovell A"),
     'Participatory action research: moving beyond the mental health "service user" identity',
     "J Psychiatr Ment Health Nurs", "Journal of Psychiatric and Mental Health Nursing", "20", "", "641-9",
     _v("cinahl-doi-upper", "cinahl-curly-quotes")),
    (5, "MCS", ("Kemp V", "Henderson AR"),
     "Challenges faced by mental health peer support workers: peer support from the peer supporter's point "
     "of view",
     "Psychiatr Rehabil J", "Psychiatric Rehabilitation Journal", "35", "4", "337-40",
     _v("scopus-brief-report", "cinahl-title-case")),
    (6, "MS", ("Moll S", "Holmes J", "Geronimo J", "Sherman D"),
     "Work transitions for peer support providers in traditional mental health programs: unique challenges "
     "and opportunities",
     "Work", "Work", "33", "", "449-58", _v()),
    (7, "MS", ("Moran GS", "Russinova Z", "Stepas K"),
     "Toward understanding the impact of occupational characteristics on the recovery and growth processes "
     "of peer providers",
     "Psychiatr Rehabil J", "Psychiatric Rehabilitation Journal", "35", "", "376-80", _v("scopus-title-case")),
    (8, "MCS", ("Moran GS", "Russinova Z", "Gidugu V", "Yim JY", "Sprague C"),
     "Benefits and mechanisms of recovery among peer providers with psychiatric illnesses",
     "Qual Health Res", "Qualitative Health Research", "22", "", "304-19", _v("cinahl-no-doi")),
    (9, "MCS", ("Salzer MS", "Darr N", "Calhoun G", "Boyer W", "Loss RE", "Goessel J"),
     "Benefits of working as a certified peer specialist: results from a statewide survey",
     "Psychiatr Rehabil J", "Psychiatric Rehabilitation Journal", "36", "", "219-21", _v("scopus-title-case")),
    (10, "MCS", ("Scott A", "Doughty C"),
     '"Confronted with paperwork": information and documentation in peer support',
     "J Ment Health", "Journal of Mental Health", "21", "", "154-64", _v("cinahl-curly-quotes")),
    (11, "MCS", ("Walker G", "Bryant W"),
     "Peer support in adult mental health services: a metasynthesis of qualitative findings",
     "Psychiatr Rehabil J", "Psychiatric Rehabilitation Journal", "36", "", "28-34", _v("scopus-title-case")),
    (12, "H", ("Watson E",),
     "Round two in peer support - personal reflections",
     "J Ment Health Train Educ Pract", "The Journal of Mental Health Training, Education and Practice",
     "8", "", "159-162", _v()),
    (13, "H", ("Mowbray CT", "Moxley DP", "Collins ME"),
     "Consumers as mental health providers: first-person accounts of benefits and limitations",
     "J Behav Health Serv Res", "The Journal of Behavioral Health Services & Research", "25", "", "397-411", _v()),
    (14, "MCS", ("Whittemore R", "Rankin SH", "Callahan CD", "Leder MC", "Carroll DL"),
     "The peer advisor experience providing social support",
     "Qual Health Res", "Qualitative Health Research", "10", "", "260-76",
     _v("medline-no-doi", "scopus-title-case", "cinahl-title-case")),
    (15, "H", ("Yuen MSK", "Fossey EM"),
     "Working in a community recreation program: a study of consumer-staff perspectives",
     "Aust Occup Ther J", "Australian Occupational Therapy Journal", "50", "", "54-63", _v()),
    (16, "MC", ("Dutcher MV", "Phicil SN", "Goldenkranz SB", "Rajabiun S", "Franks J", "Loscher BS"),
     '"Positive examples": a bottom-up approach to identifying best practices in HIV care and treatment '
     "based on the experiences of peer educators",
     "AIDS Patient Care STDS", "AIDS Patient Care and STDs", "25", "", "403-11", _v()),
    (17, "H", ("Aoun S", "Shahid S", "Le KHL"),
     "Champions in a lifestyle risk-modification program: reflections on their training and experiences",
     "Health Promot J Austr", "Health Promotion Journal of Australia", "24", "", "7-12", _v()),
    (18, "MCS", ("Barg FK", "Weiner MG", "Joseph S", "Pandit K", "Turner BJ"),
     "Qualitative analysis of peer coaches' experiences with counseling African Americans about reducing "
     "heart disease risk",
     "J Gen Intern Med", "Journal of General Internal Medicine", "27", "", "167-72", _v("cinahl-epub-year")),
    (19, "MCS", ("Barlow JH", "Bancroft GV", "Turner AP"),
     "Volunteer, lay tutors' experiences of the Chronic Disease Self-Management Course: being valued and "
     "adding value",
     "Health Educ Res", "Health Education Research", "20", "", "128-36", _v("scopus-no-doi")),
    (20, "MS", ("Mosack KE", "Patterson L", "Brouwer AM", "Wendorf AR", "Ertl K", "Eastwood D"),
     "Evaluation of a peer-led hypertension intervention for veterans: impact on peer leaders",
     "Health Educ Res", "Health Education Research", "28", "", "426-36", _v()),
    (21, "MCS", ("Paul G", "Keogh K", "D'Eath M", "Smith SM"),
     "Implementing a peer-support intervention for people with type 2 diabetes: a qualitative study",
     "Fam Pract", "Family Practice", "30", "", "593-603", _v()),
    (22, "H", ("Marino P", "Simoni JM"),
     "Peer support to promote medication adherence among people living with HIV/AIDS",
     "Soc Work Health Care", "Social Work in Health Care", "", "", "37-41", _v()),
    (23, "MCS", ("Hilfinger Messias DK", "Moneyham L", "Vyavaharkar M", "Murdaugh C", "Phillips KD"),
     "Embodied work: insider perspectives on the work of HIV/AIDS peer counselors",
     "Health Care Women Int", "Health Care for Women International", "30", "", "572-94", _v()),
    (24, "MCS", ("Gusdal AK", "Obua C", "Andualem T", "Wahlstrom R", "Chalker J", "Fochsen G"),
     "Peer counselors' role in supporting patients' adherence to ART in Ethiopia and Uganda",
     "AIDS Care", "AIDS Care", "23", "", "657-62", _v()),
    (25, "MS", ("Croft LA", "Hayward AC", "Story A"),
     "Tuberculosis peer educators: personal experiences of working with socially excluded communities in "
     "London",
     "Int J Tuberc Lung Dis", "International Journal of Tuberculosis and Lung Disease", "17", "", "36-40",
     _v()),
    (26, "MCS", ("Norman J", "Walsh NM", "Mugavin J", "Stoové MA", "Kelsall J", "Austin K"),
     "The acceptability and feasibility of peer worker support role in community based HCV treatment for "
     "injecting drug users",
     "Harm Reduct J", "Harm Reduction Journal", "5", "", "8", _v()),
    (27, "H", ("Weeks MR", "Dickson-Gomez J", "Mosack KE", "Convey M", "Martinez M", "Clair S"),
     "The Risk Avoidance Partnership: training active drug users as peer health advocates",
     "J Drug Issues", "Journal of Drug Issues", "36", "3", "541-570", _v("cinahl-title-case")),
    (28, "MCS", ("Walsh D", "Downe S"),
     "Meta-synthesis method for qualitative research: a literature review",
     "J Adv Nurs", "Journal of Advanced Nursing", "50", "", "204-11", _v("cinahl-no-doi")),
    (29, "MS", ("Atkins S", "Lewin S", "Smith H", "Engel M", "Fretheim A", "Volmink J"),
     "Conducting a meta-ethnography of qualitative literature: lessons learnt",
     "BMC Med Res Methodol", "BMC Medical Research Methodology", "8", "", "21", _v()),
    (32, "H", ("Pillemer K", "Landreneau LT", "Suitor JJ"),
     "Volunteers in a peer support project for caregivers: what motivates them?",
     "Am J Alzheimers Dis", "American Journal of Alzheimer's Disease", "11", "5", "13-19", _v()),
    (33, "MC", ("Brunier G", "Graydon J", "Rothman B", "Sherman C", "Liadsky R"),
     "The psychological well-being of renal peer support volunteers",
     "J Adv Nurs", "Journal of Advanced Nursing", "38", "", "40-9", _v()),
    (34, "MCS", ("Curtis P", "Woodhill R", "Stapleton H"),
     "The peer-professional interface in a community-based, breast feeding peer-support project",
     "Midwifery", "Midwifery", "23", "", "146-56", _v("cinahl-no-doi")),
    (35, "MCS", ("Dennis CL",),
     "Breastfeeding peer support: maternal and volunteer perceptions from a randomized controlled trial",
     "Birth", "Birth", "29", "", "169-76", _v()),
    (36, "S", ("Baumeister RF", "Leary MR"),
     "The need to belong: desire for interpersonal attachments as a fundamental human motivation",
     "Psychol Bull", "Psychological Bulletin", "117", "", "497-529", _v()),
    (38, "M", ("Jacobson N",),
     "A taxonomy of dignity: a grounded theory study",
     "BMC Int Health Hum Rights", "BMC International Health and Human Rights", "9", "", "3", _v()),
    (39, "S", ("Freeman L",),
     "Reconsidering relational autonomy: a feminist approach to selfhood and the other in the thinking of "
     "Martin Heidegger",
     "Inquiry", "Inquiry", "54", "", "361-383", _v("scopus-title-case")),
    (40, "M", ("Helliwell JF", "Putnam RD"),
     "The social context of well-being",
     "Philos Trans R Soc Lond B Biol Sci", "Philosophical Transactions of the Royal Society B: Biological Sciences",
     "359", "", "1435-46", _v()),
    (41, "MCS", ("Murphy CA", "Cupples ME", "Percy A", "Halliday HL", "Stewart MC"),
     "Peer-mentoring for first-time mothers from areas of socio-economic disadvantage: a qualitative study "
     "within a randomised controlled trial",
     "BMC Health Serv Res", "BMC Health Services Research", "8", "", "46", _v()),
    (42, "MCS", ("Aiken A", "Thomson G"),
     "Professionalisation of a breast-feeding peer support service: issues and experiences of peer supporters",
     "Midwifery", "Midwifery", "29", "", "e145-51", _v()),
    (43, "MS", ("Stacey CL",),
     "Finding dignity in dirty work: the constraints and rewards of low-wage home care labour",
     "Sociol Health Illn", "Sociology of Health and Illness", "27", "", "831-54", _v()),
    (47, "H", ("Blanch A", "Filson B", "Penney D"),
     "Trauma informed storytelling",
     "", "", "", "", "70-76", _v()),
    (49, "CS", ("Knight C",),
     "Therapeutic use of self: theoretical and evidence-based considerations for clinical practice and "
     "supervision",
     "Clin Superv", "The Clinical Supervisor", "", "", "1-24", _v("scopus-title-case")),
    (50, "S", ("Heinonen E", "Lindfors O", "Laaksonen MA", "Knekt P"),
     "Therapists' professional and personal characteristics as predictors of outcome in short- and long-term "
     "psychotherapy",
     "J Affect Disord", "Journal of Affective Disorders", "138", "", "301-12", _v()),
    (51, "MS", ("Elliott R", "Bohart AC", "Watson JC", "Greenberg LS"),
     "Empathy",
     "Psychotherapy (Chic)", "Psychotherapy", "48", "", "43-9", _v()),
    (52, "MS", ("Pinto RZ", "Ferreira ML", "Oliveira VC", "Franco MR", "Adams R", "Maher CG"),
     "Patient-centred communication is associated with positive therapeutic alliance: a systematic review",
     "J Physiother", "Journal of Physiotherapy", "58", "", "77-87", _v()),
    (53, "MCS", ("Ingram J",),
     "A mixed methods evaluation of peer support in Bristol, UK: mothers', midwives' and peer supporters' "
     "views and the effects on breastfeeding",
     "BMC Pregnancy Childbirth", "BMC Pregnancy and Childbirth", "13", "", "192", _v()),
    (54, "CS", ("O'Leary P", "Tsui MS", "Ruch G"),
     "The boundaries of the social work relationship revisited: towards a connected, inclusive and dynamic "
     "conceptualisation",
     "Br J Soc Work", "British Journal of Social Work", "43", "", "135-153", _v("scopus-title-case")),
)

#: The same article printed twice in the seed paper's reference list.
SAME_ARTICLE = {44: 2}

#: Ref 47 is a chapter of a grey-literature guidebook; its book and publisher as the reference prints them.
CHAPTERS = {47: ("Engaging women in trauma-informed peer support: a guidebook",
                 "Department of Health and Human Services")}

#: How the seed paper's Table 1 abbreviates countries, for the synthetic summaries.
COUNTRIES = {"CA": "Canada", "UK": "the UK", "AUS": "Australia", "USA": "the USA", "NZ": "New Zealand",
             "IRE": "Ireland"}

#: Journals whose full name EBSCO writes with "&" for "and" (as EBSCO does for many titles).
EBSCO_AMPERSAND = {"Journal of Psychiatric and Mental Health Nursing", "AIDS Patient Care and STDs",
                   "American Journal of Alzheimer's Disease and Other Dementias", "Sociology of Health and Illness"}

#: MEDLINE's journal title (JT) and EBSCO's where they differ from the publisher's form.
MEDLINE_JT = {"Work": "Work (Reading, Mass.)", "Birth": "Birth (Berkeley, Calif.)",
              "Psychotherapy": "Psychotherapy (Chicago, Ill.)",
              "Philosophical Transactions of the Royal Society B: Biological Sciences":
                  "Philosophical transactions of the Royal Society of London. Series B, Biological sciences",
              "International Journal of Tuberculosis and Lung Disease":
                  "The international journal of tuberculosis and lung disease : the official journal of the "
                  "International Union against Tuberculosis and Lung Disease"}

#: ISSNs written where the journal's is known for certain (BMC's are in their DOIs).
ISSNS = {"BMC Health Services Research": "1472-6963", "BMC Medical Research Methodology": "1471-2288",
         "BMC Pregnancy and Childbirth": "1471-2393", "BMC International Health and Human Rights": "1472-698X",
         "Harm Reduction Journal": "1477-7517", "Issues in Mental Health Nursing": "0161-2840",
         "Journal of Mental Health": "0963-8237", "AIDS Care": "0954-0121",
         "Health Care for Women International": "0739-9332"}

# --------------------------------------------------------------------------------------------------
# Invented records: not among the 54. Fictitious authors, journals and titles; DOIs under 10.5555
# (the prefix reserved for tests). Each gives the rules or screening something to decide.
# --------------------------------------------------------------------------------------------------

INVENTED: tuple[Article, ...] = (
    Article("x-online-forum", (), "MS", ("Brennan K", "Oduya T", "Halvorsen I"),
            "Online peer support forums for people with bipolar disorder: a thematic analysis of posts",
            "Int J Peer Health Pract", "International Journal of Peer Health Practice", 2013, "6", "2",
            "88-97", "10.5555/ijphp.2013.0012",
            abstract="Internet forums offer peer support to people living with bipolar disorder. We analysed "
                     "1,204 posts from three moderated online forums using thematic analysis. Members gave "
                     "practical advice, shared experiences of medication and offered hope. Online peer "
                     "support may complement face-to-face services.",
            note="online peer support: flagged by rule online-or-telephone"),
    Article("x-telephone-postnatal", (), "MCS", ("Adeyemi F", "Sorensen LK", "MacPhail R", "Zhou Y"),
            "Telephone-based peer support for mothers with postnatal depression: a randomised controlled trial",
            "Community Ment Health Rev", "Community Mental Health Review", 2012, "19", "4", "301-9",
            "10.5555/cmhr.2012.0431",
            abstract="Background: Postnatal depression is common. Methods: 212 mothers were randomised to "
                     "weekly telephone calls from a trained peer volunteer or usual care. Results: Depressive "
                     "symptoms at 12 weeks were lower in the intervention group. Conclusions: Telephone peer "
                     "support reduced symptoms; the volunteers' views were not studied.",
            topic="breastfeeding", variants=_v("cinahl-no-doi"),
            note="telephone peer support, client outcomes only"),
    Article("x-text-messaging", (), "CS", ("Rivera-Ortiz M", "Kaplan J"),
            "Text messaging peer mentors for smoking cessation in young adults: a pilot study",
            "J Addict Peer Res", "Journal of Addiction and Peer Research", 2014, "3", "1", "22-30",
            "10.5555/japr.2014.003",
            abstract="We piloted a programme in which former smokers sent text messages to young adults trying "
                     "to quit. Of 60 participants, 21 were abstinent at three months. Peer mentors valued the "
                     "flexibility of text messaging.",
            topic="chronic", note="text messaging: flagged by rule online-or-telephone"),
    Article("x-school-sexual-health", (), "MS", ("Wanjiru G", "Otieno P", "Lindgren E"),
            "A school-based peer educator programme for adolescent sexual health in western Kenya: a cluster "
            "randomised trial",
            "Afr J Sch Health", "African Journal of School Health", 2011, "7", "3", "145-53",
            "10.5555/ajsh.2011.0145",
            abstract="Secondary school students aged 14-17 were trained as peer educators in 24 schools. "
                     "Knowledge of HIV transmission improved among pupils in intervention schools compared "
                     "with control schools; reported condom use did not change.",
            topic="hiv", note="adolescents in schools: flagged by rule school-adolescents"),
    Article("x-school-alcohol", (), "CS", ("Dunmore H", "Pastorek V"),
            "Students' views of a peer-led alcohol prevention programme in secondary schools",
            "Health Educ Pract", "Health Education in Practice", 2010, "12", "2", "60-71",
            "10.5555/hep.2010.0060",
            abstract="Focus groups with 48 pupils and 12 peer leaders in four secondary schools explored a "
                     "classroom programme on alcohol. Pupils valued peer leaders' credibility; teachers "
                     "worried about accuracy.",
            topic="chronic", note="adolescents in schools: flagged by rule school-adolescents"),
    Article("x-spanish-agents", (), "MCS", ("García-Ruiz A", "Montoya Pérez L", "Castillo J"),
            "Peer community health agents in primary care: a qualitative study",
            "Rev Iberoam Salud Comunit", "Revista Iberoamericana de Salud Comunitaria", 2012, "14", "2",
            "112-20", "10.5555/risc.2012.112", language="spa",
            original_title="Agentes comunitarios de salud pares en atención primaria: un estudio cualitativo",
            abstract="Objetivo: conocer la experiencia de los agentes comunitarios pares. Métodos: entrevistas "
                     "semiestructuradas a 14 agentes. Resultados: los agentes describen satisfacción, "
                     "sobrecarga y falta de reconocimiento.",
            topic="chronic", note="not in English (Spanish): excluded by rule english-only"),
    Article("x-portuguese-hiv", (), "MS", ("Albuquerque RS", "Teixeira MC"),
            "Peer educators in HIV prevention among men who have sex with men: experiences from Recife",
            "Rev Bras Educ Saude", "Revista Brasileira de Educação em Saúde", 2013, "9", "1", "33-41",
            "10.5555/rbes.2013.033", language="por",
            original_title="Educadores de pares na prevenção do HIV entre homens que fazem sexo com homens: "
                           "experiências de Recife",
            abstract="Estudo qualitativo com 11 educadores de pares em Recife. Os educadores relataram "
                     "vínculo com a comunidade, estigma e reconhecimento.",
            topic="hiv", note="not in English (Portuguese): excluded by rule english-only"),
    Article("x-german-counsellors", (), "MC", ("Vogel S", "Hartmann-Kuhn B"),
            "Peer counsellors in psychiatric care: experiences from a pilot project",
            "Z Gemeindepsychiatr Prax", "Zeitschrift für gemeindepsychiatrische Praxis", 2012, "5", "3",
            "150-6", "10.5555/zgp.2012.150", language="ger",
            original_title="Peer-Berater in der psychiatrischen Versorgung: Erfahrungen aus einem Modellprojekt",
            note="not in English (German): excluded by rule english-only"),
    Article("x-french-pair-aidants", (), "CS", ("Lefèvre C", "Dubois-Martin A"),
            "Peer helpers in mental health: a literature review",
            "Rev Fr Sante Ment Communaut", "Revue française de santé mentale communautaire", 2013, "22", "4",
            "201-10", "10.5555/rfsmc.2013.201", language="fre",
            original_title="Les pairs aidants en santé mentale : une revue de la littérature",
            abstract="Cette revue de la littérature décrit le rôle des pairs aidants dans les services de "
                     "santé mentale.",
            note="not in English (French): excluded by rule english-only"),
    Article("x-readmission-trial", (), "MCS", ("Holloway JT", "Banerjee S", "Fitzgerald E"),
            "Effect of peer mentors on readmission after discharge from psychiatric hospital: a randomised trial",
            "Community Ment Health Rev", "Community Mental Health Review", 2013, "20", "1", "12-21",
            "10.5555/cmhr.2013.0012",
            abstract="Adults discharged from psychiatric wards (n = 146) were randomised to a peer mentor or "
                     "usual care. Readmission within a year was 29% with a peer mentor and 41% without. Peer "
                     "mentors' experiences were not examined.",
            note="client outcomes only: excluded at full text"),
    Article("x-peer-review-teaching", (), "CS", ("Nakamura H", "O'Brien S"),
            "Peer review of teaching in nursing education: a survey of faculty",
            "Nurse Educ Perspect", "Nursing Education Perspectives Quarterly", 2012, "8", "2", "77-83",
            "10.5555/nepq.2012.077",
            abstract="A survey of 230 nursing faculty members about peer review of teaching found that most "
                     "valued feedback but found the process time-consuming.",
            topic="chronic", note="off-topic: 'peer' in another sense"),
    Article("x-sex-workers-survey", (), "MS", ("Mukherjee D", "Sen A", "Rao P"),
            "Exposure to peer educators and condom use among female sex workers: a cross-sectional survey",
            "Int J Peer Health Pract", "International Journal of Peer Health Practice", 2011, "4", "3",
            "130-8", "10.5555/ijphp.2011.0130",
            abstract="A survey of 1,012 female sex workers in three districts found that contact with a peer "
                     "educator in the last month was associated with consistent condom use.",
            topic="hiv", note="client outcomes only"),
    Article("x-tb-navigators", (), "MS", ("Quinlan R", "Achterberg M", "Bose N"),
            "Peer navigators for homeless adults with tuberculosis: a mixed-methods evaluation",
            "J Urban Public Health", "Journal of Urban Public Health", 2013, "11", "2", "90-9",
            "10.5555/juph.2013.090",
            abstract="We evaluated a peer navigator service for homeless adults treated for tuberculosis. "
                     "Treatment completion was 88%. Interviews with 9 navigators described trust, boundaries "
                     "and burnout.",
            topic="tb", note="on topic; its erratum is a separate record (x-tb-navigators-erratum)"),
    Article("x-tb-navigators-erratum", (), "S", ("Quinlan R", "Achterberg M", "Bose N"),
            "Erratum: Peer navigators for homeless adults with tuberculosis: a mixed-methods evaluation",
            "J Urban Public Health", "Journal of Urban Public Health", 2013, "11", "3", "180",
            "10.5555/juph.2013.180", kind="erratum", topic="tb",
            note="an erratum: a different record from the article it corrects; must not be merged with it"),
    Article("x-diabetes-protocol", (), "MS", ("Brennan K", "Mahlangu T", "Ferris A"),
            "Peer supporters in a diabetes self-management programme: study protocol for a process evaluation",
            "Prim Care Peer Res", "Primary Care and Peer Research", 2012, "2", "1", "5-11",
            "10.5555/pcpr.2012.005",
            abstract="This protocol describes a process evaluation, with interviews of peer supporters and "
                     "patients, alongside a trial of peer support for type 2 diabetes in primary care.",
            topic="chronic", note="protocol of x-diabetes-results: similar title, a different record"),
    Article("x-diabetes-results", (), "MCS", ("Brennan K", "Mahlangu T", "Ferris A", "Okafor N"),
            "Peer supporters in a diabetes self-management programme: a process evaluation",
            "Prim Care Peer Res", "Primary Care and Peer Research", 2014, "4", "2", "61-72",
            "10.5555/pcpr.2014.061",
            abstract="Interviews with 18 peer supporters and 20 patients showed that peer supporters valued "
                     "training and recognition but struggled with role boundaries and lack of supervision.",
            topic="chronic", note="results of x-diabetes-protocol; on topic"),
    Article("x-editorial-missing-link", (), "MC", ("Thornbury P",),
            "Peer support workers: the missing link in recovery-oriented services?",
            "Ment Health Pract Rev", "Mental Health Practice Review", 2013, "16", "9", "5",
            "10.5555/mhpr.2013.005", kind="editorial", note="editorial: no primary data"),
    Article("x-letter-peer-teams", (), "M", ("Greaves M",),
            "Peer workers in mental health teams",
            "Ment Health Pract Rev", "Mental Health Practice Review", 2014, "17", "2", "8-9",
            "10.5555/mhpr.2014.008", kind="letter", note="letter: no primary data"),
    Article("x-cardiac-conference", (), "S", ("Iversen T", "Malik Z"),
            "Peer mentors' experiences in a cardiac rehabilitation programme",
            "Proc Int Conf Peer Health", "Proceedings of the International Conference on Peer Health Work",
            2013, "", "", "44-5", "10.5555/icphw.2013.044", kind="conference", topic="chronic",
            abstract="Semi-structured interviews with 8 peer mentors in cardiac rehabilitation described "
                     "giving back, role modelling and emotional strain.",
            note="conference paper: on topic, excluded type at full text"),
    Article("x-veterans-thesis", (), "C", ("Delgado RM",),
            "The lived experience of peer specialists in a veterans' medical center",
            "", "", 2012, "", "", "", "", kind="thesis",
            abstract="A phenomenological study of 12 peer specialists working in a veterans' medical center. "
                     "Themes were purpose, tension with clinical staff and recovery through helping.",
            publisher="Northvale University", note="dissertation, CINAHL only"),
    Article("x-web-training", (), "MS", ("Hendricks L", "Sato K"),
            "Web-based training for HIV peer educators: a feasibility study",
            "AIDS Educ Peer Pract", "AIDS Education and Peer Practice", 2014, "8", "1", "14-22",
            "10.5555/aepp.2014.014",
            abstract="A web-based course for 40 peer educators was feasible; completion was 75% and knowledge "
                     "scores improved.",
            topic="hiv", note="web-based: flagged by rule online-or-telephone"),
    Article("x-prison-listeners", (), "CS", ("Ashworth J", "Penhaligon D"),
            "Being a Listener: prisoners' experiences of providing peer support in prison",
            "J Forensic Peer Pract", "Journal of Forensic and Peer Practice", 2013, "5", "3", "210-19",
            "10.5555/jfpp.2013.210",
            abstract="Interviews with 15 prisoners trained as peer listeners showed that the role gave "
                     "purpose and status but exposed them to distress and conflicting loyalties.",
            note="on topic (peer listeners): a plausible include"),
    Article("x-generic-peer-support-2011", (), "M", ("Hollins D",),
            "Peer support",
            "Nurs Pract Today", "Nursing practice today", 2011, "25", "6", "18",
            "10.5555/npt.2011.018", kind="editorial",
            note="same short title as x-generic-peer-support-2012, a different article"),
    Article("x-generic-peer-support-2012", (), "C", ("Marsh E",),
            "Peer support",
            "Ment Health Pract Rev", "Mental Health Practice Review", 2012, "15", "7", "11",
            "", kind="editorial",
            note="same short title as x-generic-peer-support-2011, a different article"),
    Article("x-second-victim", (), "MCS", ("Langford C", "Mwangi J", "Peters A"),
            "Peer support for clinicians after adverse events: evaluation of a second victim programme",
            "J Patient Saf Pract", "Journal of Patient Safety Practice", 2014, "10", "1", "40-8",
            "10.5555/jpsp.2014.040",
            abstract="A hospital peer support programme for clinicians involved in adverse events was used by "
                     "86 staff. Most found it helpful.",
            topic="chronic", note="off-topic: peer support among clinicians"),
    Article("x-ref21-conference-abstract", (), "H", ("Paul G", "Keogh K", "Smith SM"),
            "Peer supporters in a type 2 diabetes programme in general practice: interim findings from interviews",
            "Proc Int Conf Peer Health", "Proceedings of the International Conference on Peer Health Work",
            2012, "", "", "12", "10.5555/icphw.2012.012", kind="conference", topic="chronic",
            abstract="Interim analysis of interviews with peer supporters delivering a type 2 diabetes peer-support "
                     "intervention in general practice: they valued training and worried about their role.",
            note="invented: a conference abstract of ref 21's study, found by hand; a second report of that "
                 "included study (linked in the full-text sheets), not a duplicate of its article"),
    Article("x-near-peer-teaching", (), "M", ("Osei-Bonsu K", "Whitfield R"),
            "Near-peer teaching in undergraduate medical education: a systematic review",
            "Med Educ Perspect", "Medical Education Perspectives", 2013, "9", "4", "250-61",
            "10.5555/mep.2013.250",
            abstract="We reviewed 31 studies of near-peer teaching of medical students. Learners and tutors "
                     "were satisfied; effects on examinations were small.",
            topic="chronic", note="off-topic: medical students"),
)

# --------------------------------------------------------------------------------------------------
# Reading the seed references
# --------------------------------------------------------------------------------------------------


def normalise(text: str) -> str:
    """Letters and digits only, lower case, accents dropped: for checking a title against a citation."""
    text = unicodedata.normalize("NFKD", text.replace("&", "and"))
    return "".join(ch for ch in text.lower() if ch.isalnum() and not unicodedata.combining(ch))


def read_references(path: Path) -> dict[int, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = {int(row["ref"]): row for row in csv.DictReader(handle)}
    if len(rows) != 54:
        raise SystemExit(f"{path}: expected the seed review's 54 references, found {len(rows)}")
    return rows


def summary(row: dict[str, str]) -> str:
    """A synthetic abstract from the seed paper's Table 1 row (country, field, n, method, CASP, themes)."""
    match = re.match(r"^(CA|UK|AUS|USA|NZ|IRE|Ethiopia & Uganda) (.+?) (\d+|N/A) (.+?) (\d{1,2}) ([A-Z].*)$",
                     row["table1_row"].strip())
    if not match:
        raise SystemExit(f"ref {row['ref']}: cannot read its Table 1 row {row['table1_row']!r}")
    country, topic, n, method, _casp, themes = match.groups()
    place = COUNTRIES.get(country, country)
    people = "a review of published studies" if n == "N/A" else f"{n} peer workers"
    return (f"Qualitative study of the experiences of peer support workers in {topic.lower()} in {place} "
            f"({people}; {method.lower()}). Themes: {themes.rstrip('.').lower()}.")


def topic_of(row: dict[str, str]) -> str:
    text = row["table1_row"].lower()
    for word, topic in (("hiv", "hiv"), ("tuberculosis", "tb"), ("breastfeeding", "breastfeeding"),
                        ("mental health", "mental"), ("alzheimer", "mental"), ("hepatitis", "hiv"),
                        ("substance", "hiv")):
        if word in text:
            return topic
    return "chronic" if text else "other"


def articles(references: dict[int, dict[str, str]]) -> list[Article]:
    """The seed references as articles, each checked against its printed citation."""
    found: list[Article] = []
    for ref, where, authors, title, ta, journal, volume, issue, pages, variants in REFS:
        row = references[ref]
        if normalise(title) not in normalise(row["citation"]):
            raise SystemExit(f"ref {ref}: title {title!r} is not in its citation {row['citation']!r}")
        refs = (ref, *sorted(k for k, v in SAME_ARTICLE.items() if v == ref))
        for other in refs[1:]:
            if references[other]["doi"] != row["doi"]:
                raise SystemExit(f"refs {ref} and {other} are meant to be the same article but differ in DOI")
        kind = "chapter" if ref in CHAPTERS else "article"
        book, publisher = CHAPTERS.get(ref, ("", ""))
        found.append(Article(
            key=f"ref-{ref:02d}", refs=refs, where=where, authors=authors, title=title, ta=ta,
            journal=journal, year=int(row["year"]), volume=volume, issue=issue, pages=pages,
            doi=row["doi"].strip(), kind=kind, abstract=summary(row) if row["table1_row"] else "",
            topic=topic_of(row), variants=variants, book=book, publisher=publisher,
            note=("included study" if row["table1_no"] else "cited, not an included study")
            + ("; printed twice in the reference list (refs 2 and 44)" if len(refs) > 1 else "")))
    return found


# --------------------------------------------------------------------------------------------------
# Field forms: how each database writes names, titles, pages, journals
# --------------------------------------------------------------------------------------------------

_SMALL = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with", "vs"}


def title_case(text: str) -> str:
    """Publisher-style Title Case (small words lower except first and after a colon)."""
    words = text.split(" ")
    out = []
    for i, word in enumerate(words):
        after_colon = i > 0 and words[i - 1].endswith(":")
        if i and not after_colon and word.lower() in _SMALL:
            out.append(word.lower())
        elif word[:1].isalpha() and word[:1].islower():
            out.append(word[:1].upper() + word[1:])
        elif word[:1] in "\"'" and word[1:2].islower():
            out.append(word[0] + word[1:2].upper() + word[2:])
        else:
            out.append(word)
    return " ".join(out)


def capital_after_colon(text: str) -> str:
    """Scopus capitalises the word after a colon: "Peer support: A study"."""
    return re.sub(r"(: )([a-z])", lambda m: m.group(1) + m.group(2).upper(), text)


def sentence_journal(journal: str) -> str:
    """MEDLINE's JT: the full name in sentence case, acronyms kept."""
    if journal in MEDLINE_JT:
        return MEDLINE_JT[journal]
    words = journal.split()
    kept = [w if (i == 0 or w.isupper() or w in {"STDs", "UK"} or w[:1].isupper() and w in {"Alzheimer's"})
            else w.lower() for i, w in enumerate(words)]
    return " ".join(kept)


def split_name(name: str) -> tuple[str, str]:
    """'Hilfinger Messias DK' -> ('Hilfinger Messias', 'DK')."""
    surname, _, initials = name.rpartition(" ")
    return (surname, initials) if initials.isupper() and surname else (name, "")


def ascii_fold(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def dotted(initials: str) -> str:
    return "".join(f"{letter}." for letter in initials)


def expand_pages(pages: str) -> tuple[str, str]:
    """'589-98' -> ('589', '598'); 'e145-51' -> ('e145', 'e151'); '188' -> ('188', '')."""
    first, _, last = pages.partition("-")
    if not last:
        return first, ""
    digits = re.sub(r"\D", "", first)
    prefix = first[: len(first) - len(digits)]
    if len(last) < len(digits):
        last = digits[: len(digits) - len(last)] + last
    return first, prefix + last if not last.startswith(prefix) else last


def is_article_number(art: Article) -> bool:
    return bool(art.pages) and "-" not in art.pages


def ebsco_journal(journal: str) -> str:
    return journal.replace(" and ", " & ") if journal in EBSCO_AMPERSAND else journal


def curly(text: str) -> str:
    text = re.sub(r'"(\S)', "\u201c\\1", text)
    return text.replace('"', "\u201d").replace("'", "\u2019")


SUBJECTS = {  # illustrative headings (MeSH-like for MEDLINE, CINAHL-like for CINAHL), not real indexing
    "mental": (("Humans", "*Peer Group", "Mental Health Services/*organization & administration",
                "Qualitative Research", "Social Support"),
               ("Peer Counseling", "Mental Health Services", "Qualitative Studies", "Human")),
    "hiv": (("Humans", "HIV Infections/*therapy", "*Peer Group", "Qualitative Research"),
            ("HIV Infections", "Peer Counseling", "Qualitative Studies", "Human")),
    "breastfeeding": (("Female", "Humans", "*Breast Feeding", "*Peer Group", "Volunteers/*psychology"),
                      ("Breast Feeding", "Peer Counseling", "Volunteer Workers", "Human", "Female")),
    "tb": (("Humans", "Tuberculosis/*prevention & control", "*Peer Group", "Vulnerable Populations"),
           ("Tuberculosis", "Peer Counseling", "Human")),
    "chronic": (("Humans", "Chronic Disease", "*Peer Group", "*Self Care", "Social Support"),
                ("Chronic Disease", "Support, Psychosocial", "Peer Counseling", "Human")),
    "other": (("Humans",), ("Human",)),
}

# --------------------------------------------------------------------------------------------------
# Writers: one per database. Each returns (file text, [(position, id, article)]).
# --------------------------------------------------------------------------------------------------

PT_MEDLINE = {"article": "Journal Article", "editorial": "Editorial", "letter": "Letter",
              "erratum": "Published Erratum"}
LANG_NAMES = {"eng": "English", "spa": "Spanish", "por": "Portuguese", "ger": "German", "fre": "French"}


def medline_line(tag: str, value: str) -> list[str]:
    """A MEDLINE field: 4-character tag, '- ', value wrapped at 82 columns with 6-space continuations."""
    lines = textwrap.wrap(value, width=76, break_long_words=False, break_on_hyphens=False) or [""]
    return [f"{tag:<4}- {lines[0]}"] + [f"      {line}" for line in lines[1:]]


def medline_record(art: Article, pmid: str) -> str:
    lines: list[str] = []
    add = lines.extend
    add(medline_line("PMID", pmid))
    add(medline_line("OWN", "NLM"))
    add(medline_line("STAT", "MEDLINE"))
    if art.journal in ISSNS:
        add(medline_line("IS", f"{ISSNS[art.journal]} (Electronic)"))
        add(medline_line("IS", f"{ISSNS[art.journal]} (Linking)"))
    if art.volume:
        add(medline_line("VI", art.volume))
    if art.issue:
        add(medline_line("IP", art.issue))
    add(medline_line("DP", str(art.year)))
    if art.language != "eng":
        add(medline_line("TI", f"[{art.title}]."))
    else:
        add(medline_line("TI", art.title if art.title.endswith(("?", ".")) else art.title + "."))
    if art.pages:
        add(medline_line("PG", art.pages))
    doi = "" if "medline-no-doi" in art.variants else art.doi
    if doi and is_article_number(art):
        add(medline_line("LID", f"{art.pages}"))
    if doi:
        add(medline_line("LID", f"{doi} [doi]"))
    if art.abstract and art.language == "eng":
        add(medline_line("AB", art.abstract))
    for name in art.authors:
        surname, initials = split_name(name)
        add(medline_line("FAU", f"{surname}, {' '.join(initials)}".rstrip(", ")))
        add(medline_line("AU", ascii_fold(name)))
    add(medline_line("LA", art.language))
    add(medline_line("PT", PT_MEDLINE.get(art.kind, "Journal Article")))
    if art.kind == "article" and art.abstract.startswith("Background"):
        add(medline_line("PT", "Randomized Controlled Trial"))
    if art.language != "eng" and art.original_title:
        add(medline_line("TT", art.original_title))
    add(medline_line("TA", art.ta))
    add(medline_line("JT", sentence_journal(art.journal)))
    add(medline_line("SB", "IM"))
    if art.key == "x-tb-navigators":
        add(medline_line("EIN", f"{art.ta}. {art.year};11(3):180"))
    if art.kind == "article":
        for heading in SUBJECTS[art.topic][0]:
            add(medline_line("MH", heading))
    if doi:
        add(medline_line("AID", f"{doi} [doi]"))
    add(medline_line("PST", "ppublish"))
    source = f"{art.ta}. {art.year}"
    if art.volume:
        source += f";{art.volume}" + (f"({art.issue})" if art.issue else "")
    if art.pages:
        source += f":{art.pages}"
    source += "." + (f" doi: {doi}." if doi else "")
    add(medline_line("SO", source))
    return "\n".join(lines) + "\n"


def write_medline(arts: list[Article]) -> tuple[str, list[tuple[int, str, Article]]]:
    """PubMed's 'Save > Format: PubMed' file: records separated by a blank line, newest PMID first."""
    chosen = [a for a in arts if "M" in a.where]
    ids = {a.key: f"999{a.year - 1990:02d}{i:03d}" for i, a in enumerate(sorted(chosen, key=_order), start=1)}
    chosen.sort(key=lambda a: ids[a.key], reverse=True)
    text = "\n" + "\n".join(medline_record(a, ids[a.key]) for a in chosen)
    return text, [(i, ids[a.key], a) for i, a in enumerate(chosen, start=1)]


def cinahl_record(art: Article, an: str) -> list[str]:
    tags: list[tuple[str, str]] = [("TY", {"thesis": "THES", "editorial": "JOUR"}.get(art.kind, "JOUR"))]
    tags += [("AU", name) for name in art.authors]
    title = title_case(art.title) if "cinahl-title-case" in art.variants else art.title
    if "cinahl-curly-quotes" in art.variants:
        title = curly(title)
    tags.append(("T1", title if title.endswith(("?", ".")) else title + "."))
    if art.journal:
        tags += [("JO", ebsco_journal(art.journal)), ("JF", ebsco_journal(art.journal))]
    year = art.year - 1 if "cinahl-epub-year" in art.variants else art.year
    tags.append(("Y1", f"{year}//"))
    if art.volume:
        tags.append(("VL", art.volume))
    if art.issue:
        tags.append(("IS", art.issue))
    tags.append(("M3", {"thesis": "doctoral dissertation", "editorial": "editorial"}.get(art.kind, "Article")))
    first, last = expand_pages(art.pages) if art.pages else ("", "")
    if first:
        tags.append(("SP", first))
        tags.append(("EP", last or first))
    if art.publisher:
        tags.append(("PB", art.publisher))
    if art.journal in ISSNS:
        tags.append(("SN", ISSNS[art.journal].replace("-", "")))
    if art.abstract and art.language == "eng":
        # EBSCO marks author abstracts; the seed references' summaries are ours, so they go unmarked
        tags.append(("AB", art.abstract + ("" if art.refs else " [ABSTRACT FROM AUTHOR]")))
        if art.journal:
            tags.append(("AB", f"Copyright of {ebsco_journal(art.journal)} is the property of its publisher "
                               "and its content may not be copied or emailed to multiple sites or posted to a "
                               "listserv without the copyright holder's express written permission. However, "
                               "users may print, download, or email articles for individual use."))
    if art.kind in ("article", "thesis"):
        tags += [("KW", heading) for heading in SUBJECTS[art.topic][1]]
    language = LANG_NAMES[art.language]
    tags.append(("LA", language))
    source_info = f"{year}, Vol. {art.volume}" if art.volume else str(year)
    if art.issue:
        source_info += f" Issue {art.issue}"
    if first:
        source_info += f", p{first}" + (f"-{last}" if last else "")
    publication_type = {"thesis": "Doctoral Dissertation", "editorial": "Editorial"}.get(art.kind, "Journal Article")
    tags.append(("N1", f"Accession Number: {an}; Language: {language}; Entry Date: {art.year + 1}0101; "
                       f"Revision Date: {art.year + 1}0101; Publication Type: {publication_type}; "
                       f"Source Info: {source_info}; Journal Subset: Core Nursing"))
    tags.append(("AN", an))
    doi = art.doi
    if "cinahl-no-doi" in art.variants:
        doi = ""
    elif "cinahl-doi-upper" in art.variants:
        doi = doi.upper()
    if doi:
        tags.append(("DO", doi))
    tags.append(("UR", f"http://search.ebscohost.com/login.aspx?direct=true&db=c8h&AN={an}&site=ehost-live"))
    tags += [("DP", "EBSCOhost"), ("DB", "CINAHL")]
    return [f"{tag}  - {value}" for tag, value in tags] + ["ER  - ", ""]


def write_cinahl(arts: list[Article]) -> tuple[str, list[tuple[int, str, Article]]]:
    """EBSCOhost 'Export > RIS': CRLF line endings, newest first, accession numbers in AN and N1."""
    chosen = sorted((a for a in arts if "C" in a.where), key=_order, reverse=True)
    ids = {a.key: f"999{a.year - 1990:02d}{i:04d}" for i, a in enumerate(sorted(chosen, key=_order), start=1)}
    lines: list[str] = []
    for art in chosen:
        lines += cinahl_record(art, ids[art.key])
    return "\r\n".join(lines) + "\r\n", [(i, ids[a.key], a) for i, a in enumerate(chosen, start=1)]


SCOPUS_COLUMNS = ("Authors", "Author(s) ID", "Title", "Year", "Source title", "Volume", "Issue", "Art. No.",
                  "Page start", "Page end", "Page count", "Cited by", "DOI", "Link", "Abstract", "Author Keywords",
                  "Index Keywords", "ISSN", "PubMed ID", "Language of Original Document", "Abbreviated Source Title",
                  "Document Type", "Publication Stage", "Source", "EID")
SCOPUS_TYPES = {"article": "Article", "editorial": "Editorial", "letter": "Letter", "erratum": "Erratum",
                "conference": "Conference Paper"}


def scopus_row(art: Article, eid: str, pmid: str) -> dict[str, str]:
    authors = []
    for name in art.authors:
        surname, initials = split_name(name)
        authors.append(f"{surname} {dotted(initials)}".strip())
    if "scopus-brief-report" in art.variants:
        title = "Brief report: " + capital_after_colon(art.title)
    elif "scopus-title-case" in art.variants:
        title = title_case(art.title)
    else:
        title = capital_after_colon(art.title[:1].upper() + art.title[1:])
    if art.language != "eng" and art.original_title:
        title = f"{capital_after_colon(art.title)} [{art.original_title}]"
    first, last = ("", "")
    number = ""
    if is_article_number(art):
        number = art.pages
    elif art.pages:
        first, last = expand_pages(art.pages)
    count = ""
    if first.isdigit() and last.isdigit():
        count = str(int(last) - int(first) + 1)
    doi = "" if "scopus-no-doi" in art.variants else art.doi.lower()
    link = f"https://www.scopus.com/inward/record.uri?eid={eid}" + (f"&doi={doi.replace('/', '%2f')}" if doi else "")
    link += f"&partnerID=40&md5={hashlib.md5(eid.encode()).hexdigest()}"
    full_words = set(art.journal.split())
    abbrev = " ".join(w if (w.isupper() and len(w) > 1) or w in full_words or w.endswith(")") else w + "."
                      for w in art.ta.split())
    return {
        "Authors": "; ".join(authors),
        "Author(s) ID": "; ".join(f"999{int(hashlib.sha256(a.encode()).hexdigest(), 16) % 10**8:08d}"
                                 for a in art.authors),
        "Title": title,
        "Year": str(art.year),
        "Source title": art.journal,
        "Volume": art.volume,
        "Issue": art.issue,
        "Art. No.": number,
        "Page start": first,
        "Page end": last,
        "Page count": count,
        "Cited by": "",
        "DOI": doi,
        "Link": link,
        "Abstract": art.abstract if art.abstract and art.language == "eng" else "[No abstract available]",
        "Author Keywords": "",
        "Index Keywords": "; ".join(h.strip("*").split("/")[0] for h in SUBJECTS[art.topic][0])
        if art.kind == "article" else "",
        "ISSN": ISSNS.get(art.journal, "").replace("-", ""),
        "PubMed ID": pmid,
        "Language of Original Document": LANG_NAMES[art.language],
        "Abbreviated Source Title": abbrev if art.ta else "",
        "Document Type": SCOPUS_TYPES.get(art.kind, "Article"),
        "Publication Stage": "Final",
        "Source": "Scopus",
        "EID": eid,
    }


def write_scopus(arts: list[Article], pmids: dict[str, str]) -> tuple[str, list[tuple[int, str, Article]]]:
    """Scopus 'Export > CSV': UTF-8 with a BOM, every field quoted, newest first."""
    chosen = sorted((a for a in arts if "S" in a.where), key=_order, reverse=True)
    ids = {a.key: f"2-s2.0-999{a.year:04d}{i:04d}" for i, a in enumerate(sorted(chosen, key=_order), start=1)}
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=SCOPUS_COLUMNS, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writeheader()
    for art in chosen:
        writer.writerow(scopus_row(art, ids[art.key], pmids.get(art.key, "")))
    return "\ufeff" + buffer.getvalue(), [(i, ids[a.key], a) for i, a in enumerate(chosen, start=1)]


HAND_NOTES: dict[int | str, str] = {
    47: "Grey literature: found on a trauma-informed care website",
    "x-ref21-conference-abstract": "Found by hand-searching the conference's proceedings",
}


def write_hand(arts: list[Article]) -> tuple[str, list[tuple[int, str, Article]]]:
    """The reviewers' own finds, exported from their reference manager (Zotero RIS, LF, no ids)."""
    chosen = sorted((a for a in arts if "H" in a.where), key=lambda a: (not a.refs, a.refs))  # invented last
    lines: list[str] = []
    for art in chosen:
        tags: list[tuple[str, str]] = [("TY", {"chapter": "CHAP", "conference": "CONF"}.get(art.kind, "JOUR")),
                                       ("TI", art.title)]
        for name in art.authors:
            surname, initials = split_name(name)
            tags.append(("AU", f"{surname}, {' '.join(f'{c}.' for c in initials)}".rstrip(", ")))
        tags.append(("T2", art.book or art.journal))
        if art.publisher:
            tags.append(("PB", art.publisher))
        tags.append(("PY", str(art.year)))
        if art.volume:
            tags.append(("VL", art.volume))
        if art.issue:
            tags.append(("IS", art.issue))
        if art.pages:
            first, last = expand_pages(art.pages)
            tags.append(("SP", first))
            if last:
                tags.append(("EP", last))
        if art.ta:
            tags.append(("J2", art.ta))
        if art.doi:
            tags.append(("DO", art.doi))
        tags.append(("N1", HAND_NOTES.get(art.refs[0] if art.refs else art.key,
                                          "Found by checking the reference lists of included studies")))
        lines += [f"{tag}  - {value}" for tag, value in tags] + ["ER  - ", ""]
    return "\n".join(lines) + "\n", [(i, "", a) for i, a in enumerate(chosen, start=1)]


# --------------------------------------------------------------------------------------------------
# The register: ClinicalTrials.gov's "Download > CSV" (current site), a few registered studies of peer workers.
# Invented (NCT numbers begin NCT999); no seed reference is a registered trial. They give the diagram its
# "Registers" line; the reviewers exclude them at title/abstract (registrations, no qualitative findings).
# --------------------------------------------------------------------------------------------------

CT_COLUMNS = ("NCT Number", "Study Title", "Study URL", "Acronym", "Study Status", "Brief Summary", "Study Results",
              "Conditions", "Interventions", "Sponsor", "Study Type", "Start Date", "First Posted")
REGISTERED: tuple[tuple[str, str, str, str, str, str, str, str], ...] = (
    # NCT, title, status, summary, conditions, interventions, sponsor, first posted
    ("NCT99900017", "Peer Support Workers for Adults Leaving Inpatient Mental Health Care", "COMPLETED",
     "A randomised trial of peer support workers visiting adults in the four weeks after discharge from an "
     "inpatient mental health unit; the outcome is readmission within a year.",
     "Mental Disorders", "BEHAVIORAL: Peer support worker visits", "Northvale University", "2012-05-14"),
    ("NCT99900029", "Peer Navigators for People Starting Tuberculosis Treatment", "RECRUITING",
     "A cluster randomised trial of peer navigators who accompany people starting treatment for tuberculosis; "
     "the outcome is treatment completion.",
     "Tuberculosis", "BEHAVIORAL: Peer navigation", "City Health Trust", "2013-09-02"),
    ("NCT99900031", "Lay Health Workers Supporting Breastfeeding in Primary Care", "UNKNOWN",
     "A trial of trained lay peer supporters offering breastfeeding support by home visits; the outcome is "
     "breastfeeding at six months.",
     "Breastfeeding", "BEHAVIORAL: Peer support|OTHER: Usual care", "Westmere Primary Care Research Unit",
     "2011-02-21"),
)


def write_register() -> tuple[str, list[tuple[int, str, Article]]]:
    """ClinicalTrials.gov's CSV download: every field quoted, LF, no BOM."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(CT_COLUMNS)
    rows: list[tuple[int, str, Article]] = []
    for position, (nct, title, status, summary, conditions, interventions, sponsor, posted) in enumerate(
            REGISTERED, start=1):
        writer.writerow((nct, title, f"https://clinicaltrials.gov/study/{nct}", "", status, summary, "NO",
                         conditions, interventions, sponsor, "INTERVENTIONAL", posted[:7], posted))
        art = Article(f"x-register-{nct.lower()}", (), "R", (), title, "", "", int(posted[:4]),
                      note="invented registered study (ClinicalTrials.gov): a trial, excluded at title/abstract")
        rows.append((position, nct, art))
    return out.getvalue(), rows


def _order(art: Article) -> tuple[int, str]:
    return art.year, art.key


# --------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------

FILES = ("medline.nbib", "cinahl.ris", "scopus.csv", "hand-searched.ris", "clinicaltrials.csv")


def build(references_csv: Path) -> dict[str, bytes]:
    """Every output file's bytes, by file name."""
    arts = articles(read_references(references_csv)) + list(INVENTED)
    keys = [a.key for a in arts]
    if len(set(keys)) != len(keys):
        raise SystemExit("two articles share a cluster name")
    medline, m_rows = write_medline(arts)
    pmids = {a.key: pmid for _, pmid, a in m_rows}
    cinahl, c_rows = write_cinahl(arts)
    scopus, s_rows = write_scopus(arts, pmids)
    hand, h_rows = write_hand(arts)
    register, r_rows = write_register()
    truth = io.StringIO()
    writer = csv.writer(truth, lineterminator="\n")
    writer.writerow(("file", "position", "source_id", "cluster", "refs", "doi", "title", "note"))
    for name, rows in zip(FILES, (m_rows, c_rows, s_rows, h_rows, r_rows), strict=True):
        for position, source_id, art in rows:
            writer.writerow((name, position, source_id, art.key, ";".join(map(str, art.refs)), art.doi,
                             art.title, art.note))
    return {"medline.nbib": medline.encode(), "cinahl.ris": cinahl.encode(), "scopus.csv": scopus.encode(),
            "hand-searched.ris": hand.encode(), "clinicaltrials.csv": register.encode(),
            "truth.csv": truth.getvalue().encode()}


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or argv[1] in ("-h", "--help"):
        print(__doc__.split("\n\n")[1].strip().replace("Usage (from the repository root)::", "usage:"))
        return 2
    out = Path(argv[2]) if len(argv) == 3 else Path(__file__).resolve().parent
    out.mkdir(parents=True, exist_ok=True)
    for name, data in build(Path(argv[1])).items():
        (out / name).write_bytes(data)
        print(f"wrote {out / name} ({len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
