"""Sanctions and PEP list files in their official formats: the sample files read
completely (entries, aliases, partial dates, countries, version and date), and
broken files stop the import with a message naming the file, the place and the
problem, with nothing stored."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.models.kyc import SanctionEntry, SanctionList, ScreeningRun
from app.screening.lists import ListedEntry, ListFileError, ParsedList, read_list
from app.screening.lists.common import loose_dates
from app.screening.lists.countries import country_code
from app.services.screening import import_list
from app.services.workspace import Desk

SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "sanctions"
OFAC = [SAMPLES / "ofac" / name for name in ("sdn.csv", "alt.csv", "add.csv")]
UN = SAMPLES / "un-consolidated.xml"
EU = SAMPLES / "eu-financial-sanctions.xml"
OPEN = SAMPLES / "opensanctions-targets.simple.csv"
TODAY = date(2026, 11, 24)


def by_ref(parsed: ParsedList) -> dict[str, ListedEntry]:
    return {e.ref: e for e in parsed.entries}


def test_ofac_csv_files_join_names_aliases_remarks_and_addresses() -> None:
    parsed = read_list("ofac", OFAC, TODAY)
    entries = by_ref(parsed)
    assert len(entries) == 25 and parsed.name == "OFAC SDN"
    # The CSV carries no date: the version says it is the import date and the digest.
    assert parsed.published is None
    assert parsed.version == f"2026-11-24 #{parsed.sha256[:8]}"
    assert "no publication date" in parsed.version_note
    ivanov = entries["10001"]
    assert ivanov.kind == "person" and ivanov.name == "IVANOV, Sergey"
    assert ivanov.aliases == ("IVANOV, Sergei", "IVANOV, Serhiy")
    assert ivanov.birth_dates == () and ivanov.countries == ("RU",)
    karimov = entries["10002"]  # nationality, alt. nationality and address countries
    assert karimov.birth_dates == ("1971-02-14",) and karimov.countries == ("RU", "UZ")
    assert karimov.aliases == ("KARIMOV, Rustam", "QORIMOV, Rustam")
    assert entries["10013"].birth_dates == ("1984-03",)           # DOB Mar 1984
    assert entries["10014"].birth_dates == ("1966",)              # DOB circa 1966
    assert entries["10015"].birth_dates == ("1980", "1981", "1982")  # 1980 to 1982
    assert entries["10003"].birth_dates == ("1968", "1969")       # DOB; alt. DOB
    assert entries["10006"].kind == "entity" and entries["10006"].programs == ("IRAN", "NPWMD")
    vessel = entries["10010"]
    assert vessel.kind == "entity" and vessel.countries == ("KP",)
    assert "Listed vessel" in vessel.remarks
    assert "Title: Brigadier General" in entries["10007"].remarks
    assert entries["10005"].countries == ("CY",)  # from add.csv only


def test_ofac_files_are_known_by_their_columns_and_order_does_not_matter(
        tmp_path: Path) -> None:
    renamed = []
    for n, path in enumerate(reversed(OFAC)):
        copy = tmp_path / f"download ({n}).csv"
        shutil.copy(path, copy)
        renamed.append(copy)
    moved, original = read_list("ofac", renamed, TODAY), read_list("ofac", OFAC, TODAY)
    assert moved.entries == original.entries and moved.sha256 == original.sha256


def test_un_xml_names_aliases_by_quality_and_typed_dates() -> None:
    parsed = read_list("un", [UN], TODAY)
    entries = by_ref(parsed)
    assert len(entries) == 17
    assert parsed.version == "2026-10-14T18:00:02" and parsed.published == date(2026, 10, 14)
    zubaidi = entries["QDi.901"]
    assert zubaidi.name == "ABD AL-RAHMAN YUSUF AL-ZUBAIDI"
    assert zubaidi.aliases == ("عبد الرحمن يوسف الزبيدي", "Abdul Rahman al-Zubaydi")
    assert "Abu Yusuf" not in zubaidi.aliases and "Low-quality aliases: Abu Yusuf" in \
        zubaidi.remarks
    assert zubaidi.birth_dates == ("1974-05-12",) and zubaidi.countries == ("IQ",)
    assert entries["KPi.901"].birth_dates == ("1968",)                  # APPROXIMATELY
    assert entries["KPi.901"].countries == ("KP",)  # "Democratic People's Republic of Korea"
    assert entries["KPi.902"].birth_dates == ("1960", "1961", "1962")   # BETWEEN
    assert entries["KPi.902"].aliases[0] == "리성호"
    assert entries["SOi.901"].birth_dates == ("1981",)                  # EXACT, YEAR only
    assert entries["QDi.902"].birth_dates == ()
    assert entries["CDi.901"].countries == ("CD",)
    foundation = entries["QDe.901"]
    assert foundation.kind == "entity" and foundation.countries == ("SO",)
    assert "مؤسسة النور الخيرية" in foundation.aliases
    assert "Designation: Deputy Minister of Finance" in entries["TAi.901"].remarks


def test_eu_xml_in_its_namespace_with_partial_and_circa_dates() -> None:
    parsed = read_list("eu", [EU], TODAY)
    entries = by_ref(parsed)
    assert len(entries) == 20
    assert parsed.version == "2026-11-02T17:35:12" and parsed.published == date(2026, 11, 2)
    petrov = entries["900001"]
    assert petrov.name == "Dmitriy Viktorovich PETROV"
    assert petrov.aliases == ("Дмитрий Викторович Петров",)
    assert petrov.birth_dates == ("1969-11-11",) and petrov.programs == ("RUS",)
    assert "EU reference EU.9001.21" in petrov.remarks
    havrylenka = entries["900003"]
    assert havrylenka.birth_dates == ("1972",) and havrylenka.countries == ("BY",)
    assert "Аляксандр Мікалаевіч Гаўрыленка" in havrylenka.aliases
    assert entries["900004"].birth_dates == ("1980",)       # circa: the year only
    assert entries["900004"].countries == ("RU",)           # birth country 00 = unknown
    assert entries["900005"].birth_dates == ("1966-03",)    # month and year
    assert entries["900012"].birth_dates == ("1968",)
    company = entries["900101"]
    assert company.kind == "entity" and company.birth_dates == ()
    assert company.countries == ("RU",)


def test_opensanctions_csv_with_header_and_semicolon_lists() -> None:
    parsed = read_list("opensanctions", [OPEN], TODAY)
    entries = by_ref(parsed)
    assert len(entries) == 24
    assert parsed.published == date(2026, 11, 20) and parsed.version == "2026-11-20T06:12:40"
    assert "last_seen" in parsed.version_note
    kovalenko = entries["Q90000001"]
    assert kovalenko.aliases == ("Олександр Коваленко", "Aleksandr Kovalenko",
                                 "Александр Коваленко")
    assert kovalenko.countries == ("UA",) and kovalenko.birth_dates == ()
    assert entries["NK-fict-hyt08"].birth_dates == ("1980", "1981", "1982")
    assert entries["NK-fict-wjg03"].countries == ("CN", "HK")
    assert entries["NK-fict-inv09"].birth_dates == ("1984-03",)
    assert entries["Q90000013"].aliases == ("Олена Бондаренко", "Elena Bondarenko")  # once
    for ref in ("NK-fict-btl11", "NK-fict-ss16", "NK-fict-kas17", "NK-fict-ncf14"):
        assert entries[ref].kind == "entity"
    assert entries["NK-fict-dvp01"].programs == ("EU-RUS", "US-RUSSIA-EO14024")


def test_country_names_as_lists_write_them() -> None:
    assert country_code("Korea, North") == "KP"
    assert country_code("Iran (Islamic Republic of)") == "IR"
    assert country_code("IRAQ") == "IQ"
    assert country_code("ru") == "RU"
    assert country_code("Russia") == "RU"
    assert country_code("Syrian Arab Republic") == "SY"
    assert country_code("Democratic Republic of the Congo") == "CD"
    assert country_code("Korea, Republic of") == "KR"
    assert country_code("Atlantis") is None and country_code("") is None


def test_dates_of_birth_as_lists_write_them() -> None:
    assert loose_dates("12 Mar 1965") == ["1965-03-12"]
    assert loose_dates("Mar 1965") == ["1965-03"]
    assert loose_dates("circa 1965") == ["1965"]
    assert loose_dates("1960 to 1962") == ["1960", "1961", "1962"]
    assert loose_dates("1965-03-12") == ["1965-03-12"]
    assert loose_dates("unknown") == [] and loose_dates("1900 to 1990") == []


# -- broken files ------------------------------------------------------------------------

def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


SDN_ROW = '10001,"IVANOV, Sergey","individual","RUSSIA","-0- ","-0- ","-0- ","-0- ","-0- ",' \
          '"-0- ","-0- ","nationality Russia."\n'
UN_HEAD = '<?xml version="1.0"?><CONSOLIDATED_LIST dateGenerated="2026-01-01T00:00:00Z">'
EU_HEAD = '<?xml version="1.0"?><export xmlns="http://eu.europa.ec/fpi/fsd/export" ' \
          'generationDate="2026-01-01T00:00:00">'
OS_HEAD = "id,schema,name,aliases,birth_date,countries\n"

BROKEN: list[tuple[str, list[tuple[str, str | bytes]], str]] = [
    ("ofac", [("sdn.csv", SDN_ROW + '10002,"PETROV, Ivan","individual","RUSSIA"\n')],
     r"sdn\.csv, line 2: 4 columns where OFAC's sdn\.csv has 12"),
    ("ofac", [("sdn.csv", "ent_num,SDN_Name,SDN_Type,Program,Title,Call_Sign,Vess_type,"
               "Tonnage,GRT,Vess_flag,Vess_owner,Remarks\n" + SDN_ROW)],
     r"sdn\.csv, line 1: the first column should be the entry number"),
    ("ofac", [("sdn.csv", SDN_ROW.replace('"IVANOV, Sergey"', '"-0- "'))],
     r"sdn\.csv, line 1 \(entry 10001\): the name is empty"),
    ("ofac", [("sdn.csv", SDN_ROW), ("alt.csv", '99999,1,"aka","SOMEONE","-0- "\n')],
     r"alt\.csv, line 1: entry 99999 is not in sdn\.csv: are the files from the same"),
    ("ofac", [("sdn.csv", SDN_ROW.encode("utf-8") + '10002,"MÜLLER, Jörg"'.encode("latin-1"))],
     r"sdn\.csv, line 2: the file is not UTF-8 text"),
    ("ofac", [("sdn.csv", "")], r"sdn\.csv: the file is empty"),
    ("ofac", [("alt.csv", '10001,1,"aka","SOMEONE","-0- "\n')],
     r"OFAC's list needs its main file, sdn\.csv"),
    ("ofac", [("sdn.csv", SDN_ROW), ("copy.csv", SDN_ROW)], r"two sdn\.csv files"),
    ("ofac", [("notes.csv", "a,b\n")], r"notes\.csv: this is not one of OFAC's"),
    ("un", [("list.xml", OS_HEAD)], r"list\.xml: this is not an XML file"),
    ("un", [("list.xml", EU_HEAD + "</export>")],
     r"list\.xml: the file's top element is <export>, not <CONSOLIDATED_LIST>"),
    ("un", [("list.xml", UN_HEAD + "<INDIVIDUALS><INDIVIDUAL><DATAID>5</DATAID>"
             "</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>")],
     r"list\.xml, individual 5: the name is empty"),
    ("un", [("list.xml", UN_HEAD + "<INDIVIDUALS><INDIVIDUAL><DATAID>5</DATAID>\n"
             "<FIRST_NAME>A")], r"list\.xml, line 2, column \d+: the XML is broken"),
    ("un", [("list.xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
             "<CONSOLIDATED_LIST>&a;</CONSOLIDATED_LIST>")],
     r"list\.xml: the file declares entities or a DTD"),
    ("un", [("list.xml", UN_HEAD + "</CONSOLIDATED_LIST>")],
     r"list\.xml: it has neither <INDIVIDUALS> nor <ENTITIES>"),
    ("un", [("list.xml", UN_HEAD + "<ENTITIES>" + "<ENTITY><DATAID>7</DATAID><FIRST_NAME>X Y"
             "</FIRST_NAME></ENTITY>" * 2 + "</ENTITIES></CONSOLIDATED_LIST>")],
     r"list\.xml, entry 7: this entry appears twice"),
    ("eu", [("eu.xml", EU_HEAD + '<sanctionEntity logicalId="13"><subjectType code="person"/>'
             "</sanctionEntity></export>")],
     r"eu\.xml, sanctionEntity 13: it has no name"),
    ("eu", [("eu.xml", EU_HEAD + '<sanctionEntity><nameAlias wholeName="A B"/>'
             "</sanctionEntity></export>")],
     r"eu\.xml, sanctionEntity no\. 1: it has no logicalId"),
    ("eu", [("eu.xml", UN_HEAD + "</CONSOLIDATED_LIST>")],
     r"eu\.xml: the file's top element is <CONSOLIDATED_LIST>, not <export>"),
    ("eu", [("eu.xml", EU_HEAD + "</export>")], r"eu\.xml: it has no <sanctionEntity>"),
    ("opensanctions", [("t.csv", "name,countries\nA B,ru\n")],
     r"t\.csv, line 1: the header has no id, schema column"),
    ("opensanctions", [("t.csv", OS_HEAD + "x1,Person,A B,,,ru\nx2,Person,C D\n")],
     r"t\.csv, line 3: 3 columns where the header has 6"),
    ("opensanctions", [("t.csv", OS_HEAD + "x1,Person,,,,ru\n")],
     r"t\.csv, line 2 \(x1\): the name is empty"),
    ("opensanctions", [("t.csv", OS_HEAD.encode() + "x1,Person,Jörg,,,de\n".encode("cp1252"))],
     r"t\.csv, line 2: the file is not UTF-8 text"),
    ("opensanctions", [("t.csv", "\n\n")], r"t\.csv: the file is empty"),
    ("opensanctions", [("t.csv", OS_HEAD)], r"t\.csv: the file lists no persons or entities"),
]


@pytest.mark.parametrize(("source", "files", "message"), BROKEN,
                         ids=[f"{b[0]}-{i}" for i, b in enumerate(BROKEN)])
def test_a_broken_file_is_refused_with_where_and_why(
        tmp_path: Path, source: str, files: list[tuple[str, str | bytes]],
        message: str) -> None:
    paths = [_write(tmp_path, name, content) for name, content in files]
    with pytest.raises(ListFileError, match=message):
        read_list(source, paths, TODAY)


def test_missing_file_and_unknown_source(tmp_path: Path) -> None:
    with pytest.raises(ListFileError, match=r"gone\.xml: there is no such file"):
        read_list("un", [tmp_path / "gone.xml"])
    with pytest.raises(ListFileError, match=r"'fatf' is not a list Backdesk reads"):
        read_list("fatf", [UN])
    with pytest.raises(ListFileError, match="one XML file"):
        read_list("un", [UN, EU])


@pytest.mark.parametrize("case", [0, 3, 12, 16, 21])
def test_nothing_is_stored_from_a_broken_file(desk: Desk, tmp_path: Path, case: int) -> None:
    source, files, message = BROKEN[case]
    paths = [_write(tmp_path, name, content) for name, content in files]
    with pytest.raises(ListFileError, match=message):
        import_list(desk, source, paths)
    with desk.store.read() as s:
        for table in (SanctionList, SanctionEntry, ScreeningRun):
            assert s.scalar(select(func.count()).select_from(table)) == 0
