"""Table files: every format and encoding reads the right values; file-level problems get exact messages."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, time
from pathlib import Path

import pytest

from abstract_search.ingest import ingest_file
from abstract_search.records import CorpusError
from tests.conftest import import_error, run_python, write_file


def test_csv_loads_with_column_mapping(tmp_path):
    path = write_file(tmp_path, "talks.csv", 'Paper,Summary,Who\n"Boroxol rings","Rings in B2O3.","A. B; C. D"\n')
    result = ingest_file(path, columns={"title": "Paper", "abstract": "Summary", "speakers": "Who"})
    (record,) = result.records
    assert (record.id, record.title, record.abstract) == ("R00002", "Boroxol rings", "Rings in B2O3.")
    assert record.speakers == ("A. B", "C. D") and record.kind == "paper" and record.extra == ()


def test_cp1252_csv_with_accented_names_is_read_and_its_encoding_named(tmp_path):
    text = (
        "Title;Authors;Affiliation\n"
        "Verre fondu à haute température;Lévêque, François|Bérénice Noël;Université de Genève\n"
        "Über Gläser;Jörg Müßig;Universität Jena\n"
    )
    result = ingest_file(write_file(tmp_path, "excel.csv", text.encode("cp1252")))
    first, second = result.records
    assert first.title == "Verre fondu à haute température"
    assert first.speakers == ("Lévêque, François", "Bérénice Noël")
    assert first.affiliations == ("Université de Genève",)
    assert second.speakers == ("Jörg Müßig",) and second.title == "Über Gläser"
    assert "table: cp1252 (detected; not UTF-8), delimiter ';'; 2 rows, 3 columns" in result.report_text()


def test_utf16_tsv_from_excel_unicode_text(tmp_path):
    text = "title\tauthors\tabstract\nStructure of glass\tAnn Lee and Bo Chen\tSilica rings, ŝ and ŭ.\n"
    result = ingest_file(write_file(tmp_path, "unicode.tsv", text.encode("utf-16")))
    (record,) = result.records
    assert record.speakers == ("Ann Lee", "Bo Chen")
    assert record.abstract == "Silica rings, ŝ and ŭ."
    assert "table: UTF-16, delimiter tab; 1 rows, 3 columns" in result.report_text()


def test_utf8_with_bom_keeps_the_first_header_clean(tmp_path):
    result = ingest_file(write_file(tmp_path, "bom.csv", "\ufefftitle,abstract\nGlass,Silica.\n"))
    assert result.records[0].title == "Glass" and "table: UTF-8 with BOM" in result.report_text()


def test_semicolon_csv_named_csv_is_sniffed(tmp_path):
    path = write_file(
        tmp_path, "semi.csv", "title;authors;track\nGlass, again;Lee, Ann;Oxides\nMelts;Chen, Bo;Oxides\n"
    )
    result = ingest_file(path)
    assert [r.title for r in result.records] == ["Glass, again", "Melts"]
    assert result.records[0].speakers == ("Lee, Ann",)
    assert result.records[0].extra == (("track", "Oxides"),)
    assert "delimiter ';'" in result.report_text()


def test_tsv_suffix_does_not_force_tabs(tmp_path):
    result = ingest_file(write_file(tmp_path, "really_commas.tsv", "title,abstract\nGlass,Silica.\n"))
    assert (result.records[0].title, result.records[0].abstract) == ("Glass", "Silica.")


def test_excel_sep_line_names_the_delimiter(tmp_path):
    result = ingest_file(write_file(tmp_path, "sep.csv", "sep=|\ntitle|authors\nGlass|Ann Lee\n"))
    assert result.records[0].speakers == ("Ann Lee",) and result.records[0].id == "R00003"


def test_json_list_of_objects(tmp_path):
    rows = [
        {"id": "p1", "title": "Glass", "authors": ["Ann Lee", "Bo Chen"], "decision": "accept", "score": 4.5},
        {"id": "p2", "title": "Melts", "keywords": "silica; boron", "decision": "reject"},
    ]
    result = ingest_file(write_file(tmp_path, "papers.json", json.dumps(rows, indent=2)))
    first, second = result.records
    assert first.speakers == ("Ann Lee", "Bo Chen")
    assert first.extra == (("decision", "accept"), ("score", "4.5"))
    assert second.tags == ("silica", "boron")
    assert second.extra == (("decision", "reject"),)


def test_json_element_lines_and_broken_json(tmp_path):
    path = write_file(tmp_path, "bad.json", '[\n  {"title": "Glass"},\n  ["not", "an object"]\n]\n')
    assert import_error(path).startswith(f"{path}:3: expected a JSON object, got list; nothing was imported")
    broken = write_file(tmp_path, "broken.json", '[\n  {"title": "Glass"},\n  {"title": }\n]\n')
    assert import_error(broken, skip_bad_rows=True) == f"{broken}:3: not valid JSON (Expecting value); nothing was read"
    scalar = write_file(tmp_path, "scalar.json", '{"title": "Glass"}')
    assert import_error(scalar) == f"{scalar}: expected a JSON list of objects ([{{...}}, ...])"


def make_workbook(path: Path) -> Path:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Accepted"
    sheet.append(["Paper ID", "Title", "Authors", "Day", "Start Time", "End Time", "Session", "Decision"])
    day, start = date(2020, 11, 17), time(14, 30)
    sheet.append([101, "Glass under pressure", "Ann Lee; Bo Chen", day, start, "15:00", "S1", "oral"])
    sheet.append([])
    sheet.append([102, "Melts", "Cy Dee", datetime(2020, 11, 18, 9, 0), "9:30 AM", time(10, 0), "S2", "poster"])
    other = workbook.create_sheet("Withdrawn")
    other.append(["Title", "Reason"])
    other.append(["Old glass", "duplicate"])
    workbook.save(path)
    return path


def test_xlsx_first_sheet_with_typed_cells(tmp_path):
    result = ingest_file(make_workbook(tmp_path / "papers.xlsx"))
    first, second = result.records
    assert (first.id, first.title, first.speakers) == ("101", "Glass under pressure", ("Ann Lee", "Bo Chen"))
    assert (first.date, first.start, first.end, first.session) == ("2020-11-17", "14:30", "15:00", "S1")
    assert (second.id, second.date, second.start, second.end) == ("102", "2020-11-18", "09:30", "10:00")
    assert first.extra == (("Decision", "oral"),)
    assert "table: sheet 'Accepted' (also in the workbook: 'Withdrawn'; --sheet NAME reads another)" in (
        result.report_text()
    )


def test_xlsx_other_sheet_and_unknown_sheet(tmp_path):
    path = make_workbook(tmp_path / "papers.xlsx")
    (record,) = ingest_file(path, sheet="Withdrawn").records
    assert (record.id, record.title, record.extra) == ("R00002", "Old glass", (("Reason", "duplicate"),))
    assert import_error(path, sheet="Rejected") == f"{path}: no sheet 'Rejected'; sheets are: Accepted, Withdrawn"


def test_not_a_workbook(tmp_path):
    path = write_file(tmp_path, "t.xlsx", "title\nGlass\n")
    with pytest.raises(CorpusError, match=r"t\.xlsx: cannot read this spreadsheet \("):
        ingest_file(path)


def test_csv_without_title_column(tmp_path):
    path = write_file(tmp_path, "t.csv", "name,abstract\nx,y\n")
    assert import_error(path) == (
        f"{path}: no title column (looked for title, paper title, submission title, talk title, "
        "presentation title); columns are: name, abstract; name it with --col title=COLUMN"
    )


def test_named_column_missing(tmp_path):
    path = write_file(tmp_path, "t.csv", "title,abstract\nx,y\n")
    assert (
        import_error(path, columns={"abstract": "Summary"})
        == f"{path}: no abstract column 'Summary'; columns are: title, abstract"
    )


def test_one_column_for_two_fields(tmp_path):
    path = write_file(tmp_path, "t.csv", "title,abstract\nx,y\n")
    assert (
        import_error(path, columns={"title": "title", "abstract": "title"})
        == f"{path}: column 'title' is mapped to both title and abstract"
    )


def test_empty_file(tmp_path):
    path = write_file(tmp_path, "t.csv", "")
    assert import_error(path) == f"{path}: the file is empty"


def test_binary_file(tmp_path):
    path = write_file(tmp_path, "t.jsonl", b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    assert import_error(path) == f"{path}: looks like a binary file, not a text table"


def test_headers_blank_and_repeated(tmp_path):
    path = write_file(tmp_path, "t.csv", "title,Author,Author,,\nGlass,Ann Lee,Bo Chen,x,\n")
    result = ingest_file(path)
    (record,) = result.records
    assert record.speakers == ("Ann Lee",)
    assert record.extra == (("Author (2)", "Bo Chen"), ("column 4", "x"))
    assert f"{path}: column 3: header 'Author' repeats; this one is called 'Author (2)'" in result.warnings
    assert f"{path}: column 4 has no header; it is called 'column 4'" in result.warnings


def test_unsupported_type(tmp_path):
    path = write_file(tmp_path, "t.xls", "x")
    with pytest.raises(CorpusError, match=r"unsupported file type \.xls; use one of .*\.json, \.jsonl"):
        ingest_file(path)


def test_help_is_fast_and_does_not_import_torch():
    code = (
        "import sys, contextlib, io\n"
        "from abstract_search.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try: main(['--help'])\n"
        "    except SystemExit: pass\n"
        "heavy = [m for m in ('torch', 'sentence_transformers', 'faiss', 'umap', 'sklearn') if m in sys.modules]\n"
        "print(heavy)\n"
    )
    out = run_python(code)
    assert out.strip() == "[]"
    script = Path(sys.executable).parent / "abstract-search"
    console = subprocess.run([str(script), "--help"], capture_output=True, text=True)
    assert console.returncode == 0 and "ingest" in console.stdout


def test_ingest_help_lists_every_mappable_field():
    from abstract_search.cli import COL_FIELDS
    from abstract_search.ingest.tables import FIELDS

    assert COL_FIELDS.split(", ") == list(FIELDS)
