"""PDF books read with their layout: small books made here with fpdf2, one layout trait each."""

from __future__ import annotations

import json
import time
import zlib

import pytest

from abstract_search.cli import main as cli_main
from abstract_search.ingest import ingest_file
from abstract_search.ingest.lines import join_lines, word_counts
from abstract_search.ingest.reader import read_pdf
from abstract_search.ingest.segment import segment
from abstract_search.records import CorpusError

fpdf = pytest.importorskip("fpdf")

BODY = (
    "We report molecular dynamics simulations of sodium silicate glasses quenched at rates between "
    "one and one hundred kelvin per picosecond. The fraction of non-bridging oxygens rises with the "
    "quench rate, and the ring statistics shift towards smaller rings. Neutron structure factors "
    "computed from the models agree with experiment within the statistical error. We discuss what "
    "this implies for the fictive temperature of simulated glasses and for their elastic moduli."
)

ENTRIES = [
    (
        "Quench rate effects in sodium silicate glasses",
        "Anna Berg1, Carl Dahl2",
        "1 University of Oslo, Norway",
        "phase separation in the melt",
    ),
    (
        "Boroxol rings in vitreous boron oxide",
        "Eva Falk1",
        "1 Institute of Physics, Lund, Sweden",
        "boroxol rings survive in the melt",
    ),
    (
        "Machine learning potentials for amorphous carbon",
        "Hugo Ibsen1, Jon Kahn1",
        "1 Technical University, Munich",
        "message passing potentials",
    ),
]


class Book:
    """A small abstract book: titles in larger bold type, authors, a smaller affiliation, a body."""

    def __init__(self, header: str | None = "Proceedings of the Glass Meeting 2031", footer_numbers: bool = True):
        self.pdf = fpdf.FPDF(format="A4")
        self.pdf.set_auto_page_break(False)
        self.header, self.footer_numbers = header, footer_numbers
        self.y = 0.0

    def page(self) -> None:
        self.pdf.add_page()
        if self.header:
            self.pdf.set_font("helvetica", size=9)
            self.pdf.set_xy(20, 8)
            self.pdf.cell(0, 5, self.header)
        if self.footer_numbers:
            self.pdf.set_font("helvetica", size=9)
            self.pdf.set_xy(100, 285)
            self.pdf.cell(10, 5, str(self.pdf.page_no()))
        self.y = 30.0

    def text(
        self, text: str, size: float = 10, bold: bool = False, width: float = 170, x: float = 20, italic: bool = False
    ) -> None:
        self.pdf.set_font("helvetica", style=("B" if bold else "") + ("I" if italic else ""), size=size)
        self.pdf.set_xy(x, self.y)
        self.pdf.multi_cell(width, size * 0.5, text)
        self.y = self.pdf.get_y() + 2

    def entry(self, title: str, authors: str, affiliation: str, extra: str = "", body: str = BODY) -> None:
        self.text(title, size=16, bold=True)
        self.text(authors, size=10)
        self.text(affiliation, size=8)
        self.text(f"{extra} {body}".strip(), size=10)

    def save(self, path):
        self.pdf.output(str(path))
        return path


def three_entry_book(tmp_path, name="book.pdf") -> Book:
    book = Book()
    book.page()
    book.text("Abstract Book", size=24, bold=True)
    book.text("The Glass Meeting, Oslo, 3-5 May 2031", size=12)
    for title, authors, affiliation, phrase in ENTRIES:
        book.page()
        book.entry(title, authors, affiliation, extra=f"In short, {phrase}.")
    return book


def test_title_blocks_in_larger_type_become_entries_with_people_and_bodies(tmp_path):
    path = three_entry_book(tmp_path).save(tmp_path / "book.pdf")
    result = ingest_file(path)
    assert [r.title for r in result.records] == [e[0] for e in ENTRIES]
    first = result.records[0]
    assert first.speakers == ("Anna Berg", "Carl Dahl")
    assert first.affiliations == ("University of Oslo, Norway",)
    assert first.abstract.startswith("In short, phase separation in the melt.")
    assert "University of Oslo" not in first.abstract and "Proceedings" not in first.abstract
    assert [r.pages for r in result.records] == ["2", "3", "4"]
    assert any("front matter" in s for s in result.skipped)


def test_running_header_and_page_numbers_are_dropped_and_reported(tmp_path):
    doc = read_pdf(three_entry_book(tmp_path).save(tmp_path / "book.pdf"))
    texts = [line.text for line in doc.lines]
    assert not any("Proceedings of the Glass Meeting" in t for t in texts)
    assert not any(t.strip() in {"1", "2", "3", "4"} for t in texts)
    assert "running header/footer 'Proceedings of the Glass Meeting 2031'" in doc.furniture
    assert "page numbers" in doc.furniture


def test_two_columns_read_left_column_first(tmp_path):
    book = Book(header=None, footer_numbers=False)
    book.page()
    left = [f"Left column line number {n} of the page." for n in range(12)]
    right = [f"Right column line number {n} of the page." for n in range(12)]
    for n, (a, b) in enumerate(zip(left, right, strict=True)):
        book.pdf.set_font("helvetica", size=10)
        book.pdf.set_xy(15, 30 + 6 * n)
        book.pdf.cell(80, 5, a)
        book.pdf.set_xy(115, 30 + 6 * n)
        book.pdf.cell(80, 5, b)
    doc = read_pdf(book.save(tmp_path / "columns.pdf"))
    assert [line.text for line in doc.lines] == left + right


def test_contents_page_with_dot_leaders_is_skipped(tmp_path):
    book = three_entry_book(tmp_path)
    book.page()
    book.text("Contents", size=16, bold=True)
    for n, (title, *_rest) in enumerate(ENTRIES, start=2):
        book.text(f"{title} " + ". " * 20 + str(n), size=10)
    result = ingest_file(book.save(tmp_path / "book.pdf"))
    assert len(result.records) == 3
    assert "p. 5: contents (dot leaders and page numbers)" in result.skipped


def test_an_abstract_continued_on_the_next_page_stays_one_record(tmp_path):
    book = Book()
    book.page()
    title, authors, affiliation, _ = ENTRIES[0]
    book.entry(title, authors, affiliation)
    book.page()
    book.text("The continuation closes with a remark on nucleation kinetics in these melts.", size=10)
    book.page()
    book.entry(*ENTRIES[1][:3])
    book.page()
    book.entry(*ENTRIES[2][:3])
    result = ingest_file(book.save(tmp_path / "book.pdf"))
    assert [r.pages for r in result.records] == ["1-2", "3", "4"]
    assert result.records[0].abstract.endswith("nucleation kinetics in these melts.")


def test_an_abstract_printed_twice_is_one_record_and_the_copy_is_reported(tmp_path):
    book = Book()
    for title, authors, affiliation, phrase in [*ENTRIES[:2], ENTRIES[1], ENTRIES[2]]:
        book.page()
        book.entry(title, authors, affiliation, extra=phrase)
    result = ingest_file(book.save(tmp_path / "book.pdf"))
    assert [r.title for r in result.records] == [e[0] for e in ENTRIES]
    assert "p. 3: duplicate of 2-3 ('Boroxol rings in vitreous boron oxide')" in result.skipped
    assert result.records[1].pages == "2-3"


def test_labelled_fields_give_presenter_keywords_and_times(tmp_path):
    book = Book(header=None)
    for n, (title, _authors, _aff, _phrase) in enumerate(ENTRIES):
        book.page()
        book.text(title, size=14, bold=True)
        book.text(f"Presenter: {['Anna Berg', 'Eva Falk', 'Hugo Ibsen'][n]}", size=10)
        book.text(f"Date / Time: 4 May 2031 / 1{n}:30 - 1{n}:45", size=10)
        book.text("Keywords: glass; molecular dynamics", size=10)
        book.text(f"Abstract: {BODY}", size=10)
    records = ingest_file(book.save(tmp_path / "book.pdf")).records
    assert records[1].speakers == ("Eva Falk",)
    assert (records[1].date, records[1].start, records[1].end) == ("2031-05-04", "11:30", "11:45")
    assert records[0].tags == ("glass", "molecular dynamics")
    assert records[2].abstract.startswith("We report molecular dynamics")


def test_words_hyphenated_at_line_ends_are_joined_unless_the_book_prints_the_hyphen():
    assert join_lines(["the neces-", "sity of it"]) == "the necessity of it"
    counts = word_counts([_line("an HPV-independent route"), _line("and necessity")])
    assert join_lines(["an HPV-", "independent case"], counts) == "an HPV-independent case"
    assert join_lines(["the neces-", "sity"], counts) == "the necessity"


def _line(text):
    from abstract_search.ingest.lines import Line

    return Line(text=text, page=1)


def test_segmentation_reports_the_learned_template(tmp_path):
    seg = segment(read_pdf(three_entry_book(tmp_path).save(tmp_path / "book.pdf")))
    assert seg.body_style == (10.0, False)
    assert seg.title_style == (16.0, True)


# --- bad input -------------------------------------------------------------------------------


def _pdf_with_stream(content: bytes) -> bytes:
    """A one-page PDF whose content stream is `content`, Flate-compressed (written by hand)."""
    packed = zlib.compress(content, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(packed) + packed + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def test_a_pdf_without_a_text_layer_asks_for_ocr(tmp_path):
    book = Book(header=None, footer_numbers=False)
    for _ in range(3):
        book.page()
        book.pdf.rect(20, 20, 100, 100, style="F")
    with pytest.raises(CorpusError, match=r"scan\.pdf: scanned PDF: no text to read; run OCR first"):
        ingest_file(book.save(tmp_path / "scan.pdf"))


def test_a_password_protected_pdf_is_refused(tmp_path):
    book = three_entry_book(tmp_path)
    book.pdf.set_encryption(owner_password="owner", user_password="secret")
    with pytest.raises(CorpusError, match=r"locked\.pdf: password-protected PDF"):
        ingest_file(book.save(tmp_path / "locked.pdf"))


def test_an_empty_file_and_a_pdf_without_pages_are_refused(tmp_path):
    (tmp_path / "empty.pdf").write_bytes(b"")
    with pytest.raises(CorpusError, match=r"empty\.pdf: the file is empty"):
        ingest_file(tmp_path / "empty.pdf")
    none = _pdf_with_stream(b"").replace(b"/Kids [3 0 R] /Count 1", b"/Kids [] /Count 0")
    (tmp_path / "none.pdf").write_bytes(none)
    with pytest.raises(CorpusError, match=r"none\.pdf: (the PDF has no pages|cannot read this PDF)"):
        ingest_file(tmp_path / "none.pdf")


def test_a_pdf_with_no_repeated_title_style_holds_no_abstracts(tmp_path):
    book = Book(header=None, footer_numbers=False)
    book.page()
    book.text(BODY, size=10)
    with pytest.raises(CorpusError, match=r"letter\.pdf: nothing here looks like abstracts"):
        ingest_file(book.save(tmp_path / "letter.pdf"))


@pytest.mark.slow
def test_hostile_pdfs_fail_fast_with_a_message(tmp_path):
    objects = tmp_path / "objects.pdf"  # three million text-showing objects on one page
    objects.write_bytes(_pdf_with_stream(b"BT /F1 1 Tf 10 10 Td " + b"(xxxxxxxxxx) Tj " * 3_000_000 + b"ET"))
    started = time.perf_counter()
    with pytest.raises(CorpusError, match=r"page 1 holds 3,000,000 objects; not an abstract book page"):
        read_pdf(objects)
    assert time.perf_counter() - started < 30
    bomb = tmp_path / "bomb.pdf"  # 1.5 GB of spaces packed into about 1.5 MB
    bomb.write_bytes(_pdf_with_stream(b" " * 1_500_000_000))
    with pytest.raises(CorpusError, match=r"bomb\.pdf: reading needed more than 0\.5 GiB of memory"):
        read_pdf(bomb, memory=2**29)


@pytest.mark.slow
def test_thousands_of_pages_are_refused_before_reading(tmp_path):
    pdf = fpdf.FPDF()
    for _ in range(3001):
        pdf.add_page()
    path = tmp_path / "huge.pdf"
    pdf.output(str(path))
    started = time.perf_counter()
    with pytest.raises(CorpusError, match=r"huge\.pdf: 3001 pages; books of more than 3000 pages are not read"):
        read_pdf(path)
    assert time.perf_counter() - started < 30


def test_a_bad_pdf_never_replaces_a_good_corpus(tmp_path, capsys):
    good = tmp_path / "mine.jsonl"
    good.write_text(json.dumps({"id": "A1", "title": "Kept"}) + "\n", encoding="utf-8")
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    assert cli_main(["ingest", str(tmp_path / "bad.pdf"), "--out", str(good)]) == 2
    assert "bad.pdf: cannot read this PDF" in capsys.readouterr().err
    assert good.read_text(encoding="utf-8") == json.dumps({"id": "A1", "title": "Kept"}) + "\n"


def test_abstracts_that_flow_on_with_references_emails_and_an_index(tmp_path):
    """Several abstracts a page, each: title, authors, numbered affiliations, an e-mail, body,
    references in smaller type; a welcome letter before them and an author index after."""
    book = Book(header="Book of Abstracts - Glass Meeting 2031")
    book.page()
    book.text("Welcome", size=16, bold=True)
    book.text("Dear colleagues, welcome to Oslo. We are glad to host this meeting again. " * 4, size=10)
    book.page()
    for n, (title, authors, affiliation, phrase) in enumerate(ENTRIES):
        book.text(title, size=13, bold=True)
        book.text(authors, size=10)
        book.text(affiliation, size=8)
        book.text(f"{authors.split()[0].lower()}@example.org", size=8)
        book.text(f"Here {phrase} matters. {BODY}", size=10)
        book.text(f"[1] A. Author, J. Glass Sci. {40 + n} (2020) 1-10.", size=8)
        book.y += 4
        if n == 1:
            book.page()
    book.page()
    book.text("Author index", size=16, bold=True)
    for name, pages in [
        ("Berg, A.", "2, 3"),
        ("Dahl, C.", "2, 4"),
        ("Falk, E.", "2, 3"),
        ("Ibsen, H.", "3, 4"),
        ("Kahn, J.", "3, 5"),
        ("Lund, K.", "4, 6"),
    ]:
        book.text(f"{name} {pages}", size=10)
    result = ingest_file(book.save(tmp_path / "flow.pdf"))
    assert [r.title for r in result.records] == [e[0] for e in ENTRIES]
    for record, (_, _, _, phrase) in zip(result.records, ENTRIES, strict=True):
        assert phrase in record.abstract
        assert "@" not in record.abstract and "J. Glass Sci." not in record.abstract
        others = [e[3] for e in ENTRIES if e[3] != phrase]
        assert not any(p in record.abstract for p in others)  # no bleed into the next abstract
        assert len(record.references) == 1 and record.references[0].startswith("[1] A. Author")
    assert result.records[2].pages == "3"
    assert "p. 4: index (names with page numbers)" in result.skipped
    assert any(s.startswith("p. 1: front matter") for s in result.skipped)


def test_a_code_and_a_time_printed_above_each_title_stay_with_their_entry(tmp_path):
    book = Book(header=None)
    book.page()
    book.text("Oral session: Glass structure", size=18, bold=True)
    for n, (title, authors, affiliation, phrase) in enumerate(ENTRIES):
        book.text(f"O-{n + 1:02d}", size=10)
        book.text(f"{9 + n}:00 - {9 + n}:20", size=10)
        book.entry(title, authors, affiliation, extra=phrase)
        book.y += 3
    result = ingest_file(book.save(tmp_path / "coded.pdf"))
    assert [r.title for r in result.records] == [e[0] for e in ENTRIES]
    assert [r.start for r in result.records] == ["09:00", "10:00", "11:00"]
    assert [r.end for r in result.records] == ["09:20", "10:20", "11:20"]
    assert all(r.session == "Oral session: Glass structure" for r in result.records)
    assert not any("O-0" in r.abstract or ":20" in r.abstract for r in result.records)


def test_a_welcome_letter_in_the_title_style_is_front_matter(tmp_path):
    book = Book()
    book.page()
    book.text("Welcome to Oslo", size=16, bold=True)
    book.text("Dear colleagues, it is our pleasure to welcome you to the meeting. " * 5, size=10)
    for title, authors, affiliation, phrase in ENTRIES:
        book.page()
        book.entry(title, authors, affiliation, extra=phrase)
    result = ingest_file(book.save(tmp_path / "book.pdf"))
    assert [r.title for r in result.records] == [e[0] for e in ENTRIES]
    assert "p. 1: front or back matter ('Welcome to Oslo': no author or presenter)" in result.skipped


def test_italic_affiliations_and_a_section_header_on_a_few_pages(tmp_path):
    """Unnumbered affiliations in italics at body size; a running header only on one section's pages."""
    book = Book(header=None)
    places = ["CNRS, Paris, France", "Lund, Sweden", "Munich, Germany"]
    for n, (title, authors, _affiliation, phrase) in enumerate(ENTRIES):
        for part in range(2 if n < 2 else 3):  # each abstract runs on over its section's pages
            book.page()
            book.pdf.set_font("helvetica", size=9)
            book.pdf.set_xy(20, 8)
            book.pdf.cell(0, 5, "Session A - Glass structure" if n < 2 else "Session B - Modelling")
            book.y = 30.0
            if part == 0:
                book.text(title, size=16, bold=True)
                book.text(authors.replace("1", "").replace("2", ""), size=10)
                book.text(places[n], size=10, italic=True)
                book.text(f"{phrase}. {BODY}", size=10)
            else:
                book.text(f"Page {part + 1} of abstract {n + 1} goes on here with its conclusions.", size=10)
    result = ingest_file(book.save(tmp_path / "book.pdf"))
    assert [r.title for r in result.records] == [e[0] for e in ENTRIES]
    assert [r.affiliations for r in result.records] == [(p,) for p in places]
    assert all(r.abstract.startswith(e[3]) for r, e in zip(result.records, ENTRIES, strict=True))
    assert not any("Session" in r.abstract for r in result.records)  # headers on 4 and on 3 of 7 pages
    assert [r.pages for r in result.records] == ["1-2", "3-4", "5-7"]


def test_labels_a_broken_font_garbled_still_count_and_body_headings_do_not():
    from abstract_search.ingest.entry import label_of

    assert label_of("Affilia/ons: University of Oslo") == ("affiliations", "University of Oslo")  # 'ti' as '/'
    assert label_of("Date / Time: 4 May / 10:00") == ("when", "4 May / 10:00")
    assert label_of("Conclusion: the glass flows.") is None  # a structured abstract's heading is body
    assert label_of("ID: 12") == ("id", "12") and label_of("AD: 12") is None  # short labels must be exact
