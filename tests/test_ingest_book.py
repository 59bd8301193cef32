"""The real abstract book ingests to the right records, matched by content."""

from __future__ import annotations

import pytest

from abstract_search.ingest import ingest_book, ingest_file
from abstract_search.ingest.book import join_wrapped, parse_book, split_person_org
from abstract_search.records import CorpusError, read_records
from tests.conftest import BOOK, WORKSHOP

# One phrase per talk, confirmed by reading the book: it occurs in that talk's abstract only.
PHRASES = {
    "T01": "titanium phosphate glasses",
    "T02": "Vashishta-Rahman potential",
    "T03": "Rare-earth ion doping significantly accelerated nucleation",
    "T04": "Subcritical crack growth refers to continuous crack extension",
    "T05": "mixed alkali effect",
    "T06": "glassy nanowires with radii as small as 1 nm",
    "T07": "lithium silicate glass-ceramics",
    "T08": "configurational properties of the energy landscape",
    "T09": "fluoroaluminophosphate glass",
    "T10": "amorphous silicon nitride",
    "T11": "electronegativity-based QSPR method",
    "T12": "alteration behavior of simplified nuclear glasses",
    "T13": "effective cooling rates as low as 500 K/s",
    "T14": "simulated melt-and-quench method",
    "T15": "Reverse Monte Carlo (RMC) approach that couples MD, neutron data, and NMR",
    "T16": "75Li2S-25P2S5 glass",
    "T17": "Hanford Field Office",
    "T18": "GlasAgent project",
    "T19": "replica permutation method",
    "T20": "lab-made drop indentation set-up",
    "T21": "17O NMR spectroscopy",
    "T22": "PreFerred Potential (PFP)",
    "T23": "phase-change memory materials",
    "T24": "AMCSD-MD-2.4K",
    "T25": "DeePMD",
    "T26": "Glassy Solid Electrolytes (GSEs)",
    "T27": "boroxol rings",
}


@pytest.fixture(scope="module")
def book_text():
    return BOOK.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def ingested(book_text, real_embedder):
    return ingest_book(book_text, real_embedder)


@pytest.mark.slow
def test_book_gives_27_talks_and_10_posters(ingested):
    kinds = [r.kind for r in ingested.records]
    assert kinds.count("talk") == 27 and kinds.count("poster") == 10
    assert [r.id for r in ingested.records][:3] == ["T01", "T02", "T03"]
    assert ingested.records[-1].id == "P10"


@pytest.mark.slow
def test_every_talk_has_its_own_abstract(ingested):
    by_id = {r.id: r for r in ingested.records}
    for talk_id, phrase in PHRASES.items():
        assert phrase in by_id[talk_id].abstract, talk_id
        others = [r.id for r in ingested.records if r.id != talk_id and phrase in r.abstract]
        assert not others, f"{phrase!r} also in {others}"


@pytest.mark.slow
def test_no_body_serves_two_talks_and_the_duplicate_is_reported(ingested):
    used = [m["record"] for m in ingested.matches if m["method"] != "duplicate"]
    assert len(used) == len(set(used)) == 27
    duplicates = [m for m in ingested.matches if m["method"] == "duplicate"]
    assert len(duplicates) == 1 and duplicates[0]["record"] == "T03"
    assert any("duplicates the body" in w for w in ingested.warnings)


@pytest.mark.slow
def test_committed_corpus_is_what_ingest_produces(ingested):
    assert read_records(WORKSHOP) == ingested.records


def test_program_fields_from_the_table(book_text):
    book = parse_book(book_text)
    talks = {e.number: e for e in book.entries if e.kind == "talk"}
    assert talks[1].tags == ("Expt", "AIMD")  # a tag the PDF wrapped over two lines
    assert talks[1].speakers == ("Philip S. Salmon",) and talks[1].affiliation == "University of Bath"
    assert talks[22].speakers == ("Akihiro Nagoya", "So Takamoto")
    assert talks[16].title.endswith("Interfaces in Sulfide Glass-Ceramics")
    assert talks[6].title == "Molecular dynamics simulations of glass: from bulk to nanowire"  # no chair names
    assert [d.isoformat() for d in book.dates] == ["2025-08-06", "2025-08-07", "2025-08-08"]
    assert {e.day for e in talks.values()} == {1, 2, 3}
    assert (talks[11].day, talks[12].day, talks[17].day) == (1, 2, 3)


def test_records_carry_sessions_dates_references(workshop_records):
    by_id = {r.id: r for r in workshop_records}
    assert by_id["T04"].session == by_id["T07"].session == "Day 1, block 2 (13:00-15:00)"
    assert by_id["T08"].session != by_id["T07"].session  # a break between them
    assert by_id["T27"].date == "2025-08-08" and by_id["T27"].start == "17:05"
    assert by_id["P05"].title == "Dielectric response of glass materials in the GHz-THz band"
    assert by_id["P05"].abstract == "" and by_id["P05"].date == "2025-08-08"
    assert len(by_id["T19"].references) == 7  # a reference list with no "References" header
    assert "References" not in by_id["T11"].abstract and len(by_id["T11"].references) == 2
    assert "5th International Workshop" not in by_id["T04"].abstract  # page header stripped
    assert not any(r.abstract.startswith("Fig") for r in workshop_records)
    assert any("MgSiO3" in c for c in by_id["T02"].figure_captions)  # a caption that looked like a new start


def test_join_wrapped_cells():
    assert join_wrapped(["Federica ", "Lodesani", "", "AGC Inc.", "Plane-", "Dependent"]) == [
        "Federica Lodesani",
        "AGC Inc.",
        "Plane-Dependent",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Collin Wilkinson Alfred University", ("Collin Wilkinson", "Alfred University", "")),
        ("Volker Deringer University of Oxford", ("Volker Deringer", "University of Oxford", "")),
        ("Kazuki Kanehara AGC Inc. Dielectric response", ("Kazuki Kanehara", "AGC Inc.", "Dielectric response")),
        ("Lu Deng", ("Lu Deng", "", "")),
    ],
)
def test_split_person_org(text, expected):
    assert split_person_org(text) == expected


def test_book_without_program_is_refused(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Just some notes\nwith no program at all.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="no program or poster table found"):
        ingest_file(path)


def test_broken_pdf_is_refused(tmp_path):  # more bad PDFs in test_ingest_pdf.py
    path = tmp_path / "book.pdf"
    path.write_bytes(b"%PDF-1.4 not really a pdf")
    with pytest.raises(CorpusError, match=r"book\.pdf: cannot read this PDF"):
        ingest_file(path)
