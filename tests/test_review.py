"""The review step: corrections diffed from the edited table, saved, loaded and re-applied."""

from __future__ import annotations

import json

import pytest

from abstract_search.ingest.review import (
    Correction,
    apply_corrections,
    diff_corrections,
    load_corrections,
    review_rows,
    save_corrections,
)
from abstract_search.records import Abstract, CorpusError


def parsed_book() -> list[Abstract]:
    """What a parser might read from a three-entry book."""
    return [
        Abstract(
            "T01", "Boroxol rings in B2O3 glass", kind="talk", speakers=("A. One",), pages="12", date="2025-08-06"
        ),
        Abstract("T02", "Fracture of silica nanowires", kind="talk", speakers=("B. Two", "C. Three"), pages="13"),
        Abstract("P01", "Sodium diffusion in amorphous electrolytes", kind="poster", pages="13-14"),
    ]


def test_review_rows_show_each_record_as_text():
    rows = review_rows(parsed_book())
    assert rows[1] == {
        "keep": True,
        "id": "T02",
        "kind": "talk",
        "title": "Fracture of silica nanowires",
        "speakers": "B. Two; C. Three",
        "session": "",
        "date": "",
        "start": "",
        "pages": "13",
    }


def test_only_real_changes_become_corrections():
    rows = review_rows(parsed_book())
    rows[0]["title"] = "  Boroxol rings in B2O3 glass "  # spaces only
    rows[1]["speakers"] = "B. Two;C. Three"  # the same two names
    rows[2]["session"] = None  # a cleared cell that was empty
    assert diff_corrections(parsed_book(), rows) == []


def test_a_rename_and_a_drop_survive_a_reingest(tmp_path):
    rows = review_rows(parsed_book())
    rows[0]["title"] = "Boroxol rings in vitreous B2O3"
    rows[0]["speakers"] = "A. One; D. Four"
    rows[1]["keep"] = False
    corrections = diff_corrections(parsed_book(), rows)
    assert corrections == [
        Correction(
            "Boroxol rings in B2O3 glass",
            "12",
            changes=(("title", "Boroxol rings in vitreous B2O3"), ("speakers", "A. One; D. Four")),
        ),
        Correction("Fracture of silica nanowires", "13", drop=True),
    ]
    path = save_corrections(tmp_path / "book.corrections.json", corrections, "ab" * 32)
    saved = json.loads(path.read_text(encoding="utf-8"))  # small and readable by a person
    assert saved["corrections"][1] == {"original_title": "Fracture of silica nanowires", "pages": "13", "drop": True}
    sha, loaded = load_corrections(path)
    assert sha == "ab" * 32 and loaded == corrections

    # The next parser reads the book again: other ids, a title with a stray hyphen.
    reparsed = [
        Abstract("T1", "Boroxol rings in B2O3-glass", kind="talk", speakers=("A. One",), pages="12"),
        Abstract("T2", "Fracture of silica nanowires", kind="talk", pages="13"),
        Abstract("P1", "Sodium diffusion in amorphous electrolytes", kind="poster", pages="13-14"),
    ]
    records, notes = apply_corrections(reparsed, loaded)
    assert notes == []
    assert [(r.id, r.title, r.speakers) for r in records] == [
        ("T1", "Boroxol rings in vitreous B2O3", ("A. One", "D. Four")),
        ("P1", "Sodium diffusion in amorphous electrolytes", ()),
    ]
    assert review_rows(reparsed, loaded)[1]["keep"] is False  # the table shows the drop again


def test_a_correction_whose_record_is_gone_is_reported_not_applied():
    corrections = [
        Correction("Fracture of silica nanowires", "13", drop=True),
        Correction("Boroxol rings in B2O3 glass", "7", changes=(("title", "Elsewhere"),)),  # other page
        Correction("Sodium diffusion in amorphous electrolytes", "13-14", changes=(("kind", "talk"),)),
    ]
    remaining = [parsed_book()[0], parsed_book()[2]]
    records, notes = apply_corrections(remaining, corrections)
    assert [(r.title, r.kind) for r in records] == [
        ("Boroxol rings in B2O3 glass", "talk"),
        ("Sodium diffusion in amorphous electrolytes", "talk"),
    ]
    assert notes == [
        "correction for 'Fracture of silica nanowires' (p. 13) no longer matches a record; not applied",
        "correction for 'Boroxol rings in B2O3 glass' (p. 7) no longer matches a record; not applied",
    ]


def test_a_correction_that_fits_two_records_equally_is_not_applied():
    twins = [Abstract("P01", "Poster A", pages="3"), Abstract("P02", "Poster A", pages="3")]
    records, notes = apply_corrections(twins, [Correction("Poster A", "3", drop=True)])
    assert len(records) == 2
    assert notes == ["correction for 'Poster A' (p. 3) matches several records equally well; not applied"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "kind",
            "lecture",
            "correction for 'Old title' (p. 12): kind 'lecture' is not one of talk, poster, keynote, paper",
        ),
        ("date", "8 Aug 2025", "correction for 'Old title' (p. 12): date '8 Aug 2025' is not a date as YYYY-MM-DD"),
        ("date", "2025-02-30", "correction for 'Old title' (p. 12): date '2025-02-30' is not a date as YYYY-MM-DD"),
        ("start", "9.30", "correction for 'Old title' (p. 12): start '9.30' is not a time as HH:MM (24-hour)"),
        ("end", "25:00", "correction for 'Old title' (p. 12): end '25:00' is not a time as HH:MM (24-hour)"),
        (
            "title",
            " ",
            "correction for 'Old title' (p. 12): the title cannot be empty (untick keep to drop the record)",
        ),
        (
            "number",
            "3",
            "correction for 'Old title' (p. 12): field 'number' cannot be edited; "
            "editable: title, speakers, kind, session, date, start, end, abstract",
        ),
    ],
)
def test_bad_values_are_refused_with_the_reason(field, value, message):
    with pytest.raises(CorpusError) as err:
        Correction("Old title", "12", changes=((field, value),))
    assert str(err.value) == message


def test_a_bad_cell_in_the_table_is_refused():
    rows = review_rows(parsed_book())
    rows[2]["date"] = "13/08/2025"
    with pytest.raises(CorpusError) as err:
        diff_corrections(parsed_book(), rows)
    assert str(err.value) == (
        "correction for 'Sodium diffusion in amorphous electrolytes' (pp. 13-14): "
        "date '13/08/2025' is not a date as YYYY-MM-DD"
    )


def test_a_corrections_file_with_a_bad_value_names_the_file_and_entry(tmp_path):
    path = tmp_path / "x.corrections.json"
    document = {
        "format": 1,
        "book_sha256": "00",
        "corrections": [{"original_title": "Old title", "pages": "", "changes": {"kind": "demo"}}],
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(CorpusError) as err:
        load_corrections(path)
    assert str(err.value) == (
        f"{path}: correction 1: correction for 'Old title': kind 'demo' is not one of talk, poster, keynote, paper"
    )


# --- the service: corrections live beside the corpus, keyed by the book's SHA-256 -----------

TABLE = "title,abstract\nBoroxol rings in B2O3 glass,Rings of BO3 units.\nFracture of silica nanowires,Brittle.\n"


@pytest.fixture()
def data_dir(tmp_path, monkeypatch):
    from abstract_search import service

    monkeypatch.setenv("ABSTRACT_SEARCH_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(service, "open_engine", lambda name: None)  # no index: plumbing only
    return tmp_path / "data"


def test_saved_corrections_are_reapplied_only_to_the_same_book(tmp_path, data_dir):
    from abstract_search import service
    from abstract_search.records import read_records

    book = tmp_path / "meeting.csv"
    book.write_text(TABLE, encoding="utf-8")
    upload = service.read_upload(book, None, {})
    assert upload.name == "meeting" and upload.corrections == () and upload.notes == ()
    rows = upload.review_rows()
    rows[0]["title"] = "Boroxol rings in vitreous B2O3"
    records, corrections = service.apply_review(upload, rows)
    report = service.save_corpus("meeting", records, corrections, upload.book_sha256)
    assert (report.name, report.summary, report.corrections) == ("meeting", "2 papers", 1)
    assert (data_dir / "meeting.corrections.json").is_file()

    again = service.read_upload(book, None, {})
    assert [r.title for r in again.records] == ["Boroxol rings in vitreous B2O3", "Fracture of silica nanowires"]
    assert [r.title for r in again.result.records][0] == "Boroxol rings in B2O3 glass"  # the parser's, kept

    other = tmp_path / "other" / "meeting.csv"  # another book under the same name
    other.parent.mkdir()
    other.write_text(TABLE + "Sodium diffusion,Fast.\n", encoding="utf-8")
    elsewhere = service.read_upload(other, None, {})
    assert elsewhere.corrections == ()
    assert elsewhere.notes == ("meeting.corrections.json holds 1 correction(s) made for another file; not applied",)
    assert elsewhere.records[0].title == "Boroxol rings in B2O3 glass"

    service.save_corpus("meeting", elsewhere.records, (), elsewhere.book_sha256)  # nothing to keep
    assert not (data_dir / "meeting.corrections.json").exists()
    assert len(read_records(data_dir / "meeting.jsonl")) == 3


def test_add_corpus_reapplies_the_saved_corrections(tmp_path, data_dir):
    from abstract_search import service
    from abstract_search.records import read_records

    book = tmp_path / "meeting.csv"
    book.write_text(TABLE, encoding="utf-8")
    upload = service.read_upload(book, None, {})
    rows = upload.review_rows()
    rows[1]["keep"] = False
    service.save_corpus("meeting", *service.apply_review(upload, rows), upload.book_sha256)
    report = service.add_corpus(book, "meeting", {})
    assert report.summary == "1 papers; 0 row(s) skipped" and report.corrections == 1
    assert [r.title for r in read_records(data_dir / "meeting.jsonl")] == ["Boroxol rings in B2O3 glass"]
