"""Reading program files (DOCX, HTML, XLSX, CSV, PDF, text) and matching their items to book entries.

Every expected value is written by hand from the program text in the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from abstract_search.ingest.program import (
    ProgramItem,
    match_program,
    parse_day,
    parse_program_lines,
    parse_program_rows,
    parse_time_range,
    read_program,
)
from abstract_search.records import CorpusError

BOOKS = Path(__file__).resolve().parents[2] / "shared" / "books"
DOCDAY = BOOKS / "docday2024" / "DocDay 2024 plan corrected preliminary.docx"


def needs_books(path: Path) -> Path:
    if not path.exists():
        pytest.skip("needs ../shared/books (the shared book set)")
    return path


# --- times and dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10:30-11:00", ("10:30", "11:00")),
        ("10:30 – 11:00", ("10:30", "11:00")),
        ("10.30-11.00", ("10:30", "11:00")),
        ("9:30-9:40", ("09:30", "09:40")),
        ("2:30 PM - 3:00 PM", ("14:30", "15:00")),
        ("2:30-3:00 pm", ("14:30", "15:00")),
        ("11:30-1:00 pm", ("11:30", "13:00")),
        ("11:20 –\n12:05", ("11:20", "12:05")),
        ("14h30", ("14:30", "")),
        ("10:30", ("10:30", "")),
        ("from 18:00", ("18:00", "")),
        ("10th September / 11:30 - 11:45", ("11:30", "11:45")),
    ],
)
def test_time_range_forms(text, expected):
    assert parse_time_range(text) == expected


@pytest.mark.parametrize("text", ["2024", "Room 12", "8.6.2025", "2025-08-06", "uses version 2.10 of the code"])
def test_not_a_time(text):
    assert parse_time_range(text) is None


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        ("February 08th, 2024 – Campus", {}, "2024-02-08"),
        ("8 February 2024", {}, "2024-02-08"),
        ("Monday, 6 August 2025", {}, "2025-08-06"),
        ("MONDAY, AUGUST 4, 2014", {}, "2014-08-04"),
        ("2025-08-06", {}, "2025-08-06"),
        ("8/6/2025", {}, "2025-08-06"),  # slash: month first unless told otherwise
        ("8/6/2025", {"dayfirst": True}, "2025-06-08"),
        ("25/6/2025", {}, "2025-06-25"),  # a part above 12 decides
        ("8.6.2025", {}, "2025-06-08"),  # dots: day first
        ("Sunday 8/6/2025", {}, "2025-06-08"),  # 8 June 2025 is a Sunday, 6 August a Wednesday
        ("10th September", {"year": 2024}, "2024-09-10"),
        ("10th September", {}, None),
        ("4–9 August 2014", {}, None),  # a span of days, not a day
        ("Session 3: Genomics", {}, None),
    ],
)
def test_day_forms(text, kwargs, expected):
    assert parse_day(text, **kwargs) == expected


def test_a_day_without_year_takes_the_programs_year():
    program = parse_program_lines(
        ["Tuesday, 10 September 2024", "Wednesday, 11th September", "09:00-09:30 Jane Doe – Imaging cells in 3D"],
        "plan.txt",
    )
    assert [(i.date, i.start, i.end, i.speakers, i.title) for i in program.items] == [
        ("2024-09-11", "09:00", "09:30", ("Jane Doe",), "Imaging cells in 3D")
    ]


# --- text programs -------------------------------------------------------------------------------

TEXT_PROGRAM = """\
Monday, 6 August 2025
08:30-09:00 Registration
09:00 – 10:30 Session 1: Imaging
Lecture Hall A
Chair: Ann Other
09:00 Jane Doe – Deep learning for microscopy
09:30 Segmenting nuclei without labels
John Roe
10:30-11:00 Coffee break
11:00-12:00 Poster Session
Doe J., Roe R., Poe E.
"""


def test_text_program_sessions_items_and_skips():
    program = parse_program_lines(TEXT_PROGRAM.splitlines(), "plan.txt")
    assert [(s.name, s.date, s.start, s.end, s.room, s.kind) for s in program.sessions] == [
        ("Session 1: Imaging", "2025-08-06", "09:00", "10:30", "Lecture Hall A", "talk"),
        ("Poster Session", "2025-08-06", "11:00", "12:00", "", "poster"),
    ]
    assert [(i.title, i.speakers, i.session, i.start, i.end, i.kind) for i in program.items] == [
        ("Deep learning for microscopy", ("Jane Doe",), "Session 1: Imaging", "09:00", "", "talk"),
        ("Segmenting nuclei without labels", ("John Roe",), "Session 1: Imaging", "09:30", "", "talk"),
        ("", ("Doe J.",), "Poster Session", "11:00", "12:00", "poster"),
        ("", ("Roe R.",), "Poster Session", "11:00", "12:00", "poster"),
        ("", ("Poe E.",), "Poster Session", "11:00", "12:00", "poster"),
    ]
    assert program.items[0].where == "plan.txt: line 6"
    assert "plan.txt: line 2: Registration: not a talk (break, meal or ceremony)" in program.skipped
    assert "plan.txt: line 5: Chair: Ann Other: chair/judge line, not a talk" in program.skipped
    assert "plan.txt: line 9: Coffee break: not a talk (break, meal or ceremony)" in program.skipped


def test_labelled_fields_and_wrapped_titles():
    lines = [
        "Short talks",
        "Characterizing cell state heterogeneity in a leukemia hierarchy using",
        "Single-Cell Proteomics by Mass Spectrometry",
        "Presenter: Pedro Aragón Fernandez",
        "Loca/on: Main conference room",
        "Date / Time: 11th September 2024 / 09:30 - 09:45",
        "Abstract: In the era of single-cell screenings, RNA-based technologies lead.",
        "*********",
    ]
    program = parse_program_lines(lines, "book.pdf")
    assert [(i.title, i.speakers, i.session, i.date, i.start, i.end, i.room) for i in program.items] == [
        (
            "Characterizing cell state heterogeneity in a leukemia hierarchy using "
            "Single-Cell Proteomics by Mass Spectrometry",
            ("Pedro Aragón Fernandez",),
            "Short talks",
            "2024-09-11",
            "09:30",
            "09:45",
            "Main conference room",
        )
    ]


def test_template_placeholders_are_not_talks():
    lines = ["MONDAY, AUGUST 4, 2014", "10:15 MON-PLEN-1", "MON-PLEN-1-TITLE", "12:15 Coffee break", "15:00 TBA"]
    program = parse_program_lines(lines, "schedule.pdf")
    assert program.items == []
    assert "schedule.pdf: line 3: MON-PLEN-1-TITLE: a template placeholder, not a talk" in program.skipped
    assert program.warnings == ["no talks or posters found (4 lines or rows skipped)"]


# --- tables ----------------------------------------------------------------------------------------


def test_rows_with_a_header_and_a_numbering_column():
    rows = [
        ["Title", "Presenter", "Time", "Loca/on"],  # a PDF font broke 'ti' in Location
        ["1", "Some title about cells", "Jane Doe", "14:45 - 14:48", "Main room"],
        ["2", "Another title on tissue", "John Roe", "14:48 - 14:51", "Main room"],
        ["", "Coffee break", "", "14:51 - 15:00", ""],
    ]
    program = parse_program_rows(rows, "book.pdf: page 5")
    assert [(i.number, i.title, i.speakers, i.start, i.end, i.room) for i in program.items] == [
        ("1", "Some title about cells", ("Jane Doe",), "14:45", "14:48", "Main room"),
        ("2", "Another title on tissue", ("John Roe",), "14:48", "14:51", "Main room"),
    ]
    assert program.items[1].where == "book.pdf: page 5, row 3"
    assert program.skipped == ["book.pdf: page 5, row 4: 14:51-15:00 Coffee break: not a talk (no speaker)"]


def test_rows_without_header_are_inferred():
    rows = [
        ["Tuesday, 10 September 2024", "", ""],
        ["09:00-09:20", "Graph models of tissue", "Jane Doe"],
        ["09:20-09:40", "Rachel Poe", "Spatial statistics for imaging"],
        ["09:40-10:00", "Lunch", ""],
    ]
    program = parse_program_rows(rows, "plan.csv")
    assert [(i.title, i.speakers, i.date, i.start, i.end) for i in program.items] == [
        ("Graph models of tissue", ("Jane Doe",), "2024-09-10", "09:00", "09:20"),
        ("Spatial statistics for imaging", ("Rachel Poe",), "2024-09-10", "09:20", "09:40"),
    ]
    assert program.skipped == ["plan.csv: row 4: Lunch: not a talk (break, meal or ceremony)"]


def _write_docx(path: Path, paragraphs, table_rows) -> Path:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table_rows:
        table = document.add_table(rows=len(table_rows), cols=len(table_rows[0]))
        for r, row in enumerate(table_rows):
            for c, text in enumerate(row):
                table.cell(r, c).text = text
    document.save(str(path))
    return path


def test_docx_program(tmp_path):
    session = (
        "Talk Session A\nCell Biology\nRoom 1\n\nJane Doe – Imaging membranes\nJohn Roe - Sorting vesicles\n"
        "Chairs: Ann Other"
    )
    posters = "Poster Session\nHall B"
    path = _write_docx(
        tmp_path / "plan.docx",
        ["Our Meeting 2024", "8 February 2024 – Campus"],
        [
            ["08:45 – 09:30", session, session],  # a cell merged over two columns repeats its text
            ["9:30-9:40", "Break", "Break"],
            ["09:40-11:10", posters, posters],
            ["09:40-11:10", "Cell Biology\n\nDoe J., Roe R.\n\nChair: Ann Other", "Imaging\n\nPoe E., Loe F."],
        ],
    )
    program = read_program(path)
    assert [(s.name, s.date, s.start, s.end, s.room, s.kind, s.topic) for s in program.sessions] == [
        ("Talk Session A", "2024-02-08", "08:45", "09:30", "Room 1", "talk", "Cell Biology"),
        ("Poster Session", "2024-02-08", "09:40", "11:10", "Hall B", "poster", ""),
    ]
    assert [(i.title, i.speakers, i.session, i.start, i.kind, i.group) for i in program.items] == [
        ("Imaging membranes", ("Jane Doe",), "Talk Session A", "", "talk", ""),
        ("Sorting vesicles", ("John Roe",), "Talk Session A", "", "talk", ""),
        ("", ("Doe J.",), "Poster Session", "09:40", "poster", "Cell Biology"),
        ("", ("Roe R.",), "Poster Session", "09:40", "poster", "Cell Biology"),
        ("", ("Poe E.",), "Poster Session", "09:40", "poster", "Imaging"),
        ("", ("Loe F.",), "Poster Session", "09:40", "poster", "Imaging"),
    ]
    assert program.items[0].where == "plan.docx: table 1, row 1"
    assert "plan.docx: table 1, row 2: Break: not a talk (break, meal or ceremony)" in program.skipped


def test_docx_without_a_program_is_an_error(tmp_path):
    path = _write_docx(tmp_path / "letter.docx", ["Dear colleagues,", "thank you for your interest in our work."], [])
    with pytest.raises(CorpusError) as err:
        read_program(path)
    assert str(err.value) == f"{path}: no program found (no times, sessions or talks)"


HTML = """<html><head><style>p {color: red}</style></head><body>
<h1>Monday, 6 August 2025</h1>
<p>09:00 – 10:30 <b>Session 1:</b> Imaging</p>
<p>Jane Doe – Deep learning<br>for microscopy images</p>
<table>
  <tr><th>Time</th><th>Title</th><th>Speaker</th><th>Room</th></tr>
  <tr><td>11:00-11:20</td><td>Graph models of tissue</td><td>John Roe</td><td>Hall B</td></tr>
  <tr><td>11:20-11:40</td><td>Spatial statistics</td><td>Rachel Poe; Ann Other</td><td>Hall B</td></tr>
</table>
<script>var x = "10:00 Jane Doe – not a talk";</script>
</body></html>"""


def test_html_program_with_table_and_paragraphs(tmp_path):
    path = tmp_path / "plan.html"
    path.write_text(HTML, encoding="utf-8")
    program = read_program(path)
    assert [(i.title, i.speakers, i.date, i.start, i.end, i.room) for i in program.items] == [
        ("Deep learning", ("Jane Doe",), "2025-08-06", "09:00", "10:30", ""),  # the only talk of its slot
        ("Graph models of tissue", ("John Roe",), "2025-08-06", "11:00", "11:20", "Hall B"),
        ("Spatial statistics", ("Rachel Poe", "Ann Other"), "2025-08-06", "11:20", "11:40", "Hall B"),
    ]
    assert program.items[0].session == "Session 1: Imaging"
    assert program.items[1].where == "plan.html: table 1, row 2"


def test_xlsx_program(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    from datetime import date, time

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Date", "Start", "End", "Session", "Title", "Authors"])
    sheet.append([date(2024, 9, 10), time(9, 0), time(9, 20), "Genomics", "Long reads for all", "Jane Doe"])
    sheet.append([date(2024, 9, 10), time(9, 20), time(9, 40), "Genomics", "Short reads forever", "J. Roe, A. Poe"])
    book.save(tmp_path / "plan.xlsx")
    program = read_program(tmp_path / "plan.xlsx")
    assert [(s.name, s.date, s.start, s.end) for s in program.sessions] == [
        ("Genomics", "2024-09-10", "09:00", "09:40")
    ]
    assert [(i.title, i.speakers, i.session, i.start, i.end) for i in program.items] == [
        ("Long reads for all", ("Jane Doe",), "Genomics", "09:00", "09:20"),
        ("Short reads forever", ("J. Roe", "A. Poe"), "Genomics", "09:20", "09:40"),
    ]


def test_semicolon_csv_program(tmp_path):
    path = tmp_path / "plan.csv"
    path.write_text(
        "Day;Time;Title;Presenter\n"
        "10/09/2024;10:00-10:20;Cell atlases at scale;Doe, Jane\n"
        "10/09/2024;10:20-10:40;Coffee;\n"
        "11/09/2024;2:00-2:20 pm;Registration-free alignment;John Roe\n",
        encoding="utf-8",
    )
    program = read_program(path)
    # 10/09 alone is ambiguous, but nothing in this file proves day-first: slash dates read month-first
    assert [(i.title, i.speakers, i.date, i.start, i.end) for i in program.items] == [
        ("Cell atlases at scale", ("Doe, Jane",), "2024-10-09", "10:00", "10:20"),
        ("Registration-free alignment", ("John Roe",), "2024-11-09", "14:00", "14:20"),
    ]
    assert program.skipped == ["plan.csv: row 3: 10:20-10:40 Coffee: not a talk (no speaker)"]


def test_unreadable_files(tmp_path):
    (tmp_path / "empty.docx").write_bytes(b"")
    (tmp_path / "broken.docx").write_bytes(b"not a zip file")
    (tmp_path / "plan.odt").write_text("x")
    with pytest.raises(CorpusError, match="the file is empty"):
        read_program(tmp_path / "empty.docx")
    with pytest.raises(CorpusError, match="cannot read this DOCX"):
        read_program(tmp_path / "broken.docx")
    with pytest.raises(CorpusError, match="unsupported program file type .odt"):
        read_program(tmp_path / "plan.odt")


def test_encrypted_pdf_is_an_error(tmp_path):
    fpdf = pytest.importorskip("fpdf")

    def program_pdf(path, password=None):
        pdf = fpdf.FPDF()
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.cell(text="09:00-09:30 Jane Doe - Imaging cells")
        if password:
            pdf.set_encryption(owner_password="owner", user_password=password)
        pdf.output(str(path))
        return path

    plain = program_pdf(tmp_path / "plain.pdf")
    assert [(i.title, i.speakers, i.start) for i in read_program(plain).items] == [
        ("Imaging cells", ("Jane Doe",), "09:00")
    ]
    locked = program_pdf(tmp_path / "locked.pdf", password="secret")
    with pytest.raises(CorpusError, match="encrypted"):
        read_program(locked)


# --- matching ------------------------------------------------------------------------------------

ENTRIES = [
    ("Residual mitral leaflet length identifies outflow obstruction", ("David Zach",)),
    ("Role of NAD+ metabolism in diabetes-induced atherosclerosis", ("Thomas Rathner",)),
    ("Phenotypic changes of eosinophil granulocytes in aging", ("Svetlana Pahernik",)),
    ("Serum NfL levels and cognitive performance", ("Rina Demjaha",)),
]


def test_title_match_despite_small_differences():
    items = [ProgramItem(title="Role of NAD metabolism in diabetes induced atherosclerosis", speakers=("T. Rathner",))]
    assert [(m.item, m.entry, m.method) for m in match_program(ENTRIES, items)] == [(0, 1, "title+speaker")]
    items = [ProgramItem(title="Residual mitral leaflet length identifies outflow obstructions")]
    assert [(m.entry, m.method) for m in match_program(ENTRIES, items)] == [(0, "title")]


def test_speaker_only_matching_across_name_orders():
    items = [ProgramItem(speakers=("Pahernik S.",)), ProgramItem(speakers=("Demjaha Rina",))]
    assert [(m.entry, m.method) for m in match_program(ENTRIES, items)] == [(2, "speaker"), (3, "speaker")]


def test_speaker_only_needs_a_unique_surname_and_initial():
    entries = [("Title one here", ("Anna Berger",)), ("Title two there", ("Bernd Berger",))]
    items = [
        ProgramItem(speakers=("Berger A.",)),
        ProgramItem(speakers=("Berger C.",)),
        ProgramItem(speakers=("Berger",)),
    ]
    assert [(m.entry, m.method) for m in match_program(entries, items)] == [
        (0, "speaker"),
        (None, "unmatched"),
        (None, "unmatched"),
    ]


def test_no_entry_is_used_twice():
    items = [
        ProgramItem(title="Role of NAD+ metabolism in diabetes-induced atherosclerosis"),
        ProgramItem(title="Role of NAD+ metabolism in diabetes induced atherosclerosis"),
    ]
    matches = match_program(ENTRIES, items)
    assert sorted(m.entry for m in matches if m.entry is not None) == [1]
    assert sorted(m.method for m in matches) == ["title", "unmatched"]


def test_an_item_that_matches_nothing_stays_unmatched():
    items = [ProgramItem(title="Quantum gravity on a lattice", speakers=("Ann Other",))]
    assert [(m.entry, m.method, m.score) for m in match_program(ENTRIES, items)] == [(None, "unmatched", 0.0)]


def test_a_program_that_matches_nothing(tmp_path):
    program = parse_program_lines(TEXT_PROGRAM.splitlines(), "plan.txt")
    matches = match_program(ENTRIES, program.items)
    assert len(matches) == 5
    assert {m.method for m in matches} == {"unmatched"}


# --- the real DocDay program and the unfilled ICCA template ------------------------------------------


def test_docday_program():
    program = read_program(needs_books(DOCDAY))
    posters = {(s.name, s.start, s.end) for s in program.sessions if s.kind == "poster"}
    assert posters == {
        ("Poster Walk Session I & Free Poster Viewing", "09:40", "11:10"),
        ("Poster Walk Session II & Free Poster Viewing", "14:30", "15:45"),
    }
    presenters = [i for i in program.items if i.kind == "poster"]
    assert len(presenters) >= 100
    assert {i.date for i in presenters} == {"2024-02-08"}
    assert {i.start for i in presenters} == {"09:40", "14:30"}


def test_icca_template_invents_no_talks():
    program = read_program(needs_books(BOOKS / "icca10_2014" / "schedule.pdf"))
    assert program.items == []
    assert match_program([("CALCULATION OF EIGENS", ("Arturas Acus",))], program.items) == []
