"""Reading a meeting's program file and attaching its items to the abstract book's entries.

A program says when and where: sessions with their slot, room and kind, and the talks and
posters under them. `read_program` turns a file into that plain data; `match_program` joins
its items to the book's entries by content (title similarity, speaker surnames), never by
position. Every rule rests on shapes any program shows (time ranges, dates, table headers,
"Name - Title" lines, name lists), and every line or row not used is listed with its reason.
"""

from abstract_search.ingest.program.files import read_program
from abstract_search.ingest.program.match import match_program, normalise_title
from abstract_search.ingest.program.model import Program, ProgramItem, ProgramMatch, ProgramSession
from abstract_search.ingest.program.names import split_names
from abstract_search.ingest.program.rows import parse_program_rows
from abstract_search.ingest.program.shapes import session_kind
from abstract_search.ingest.program.text import parse_program_lines
from abstract_search.ingest.program.when import parse_day, parse_time_range

__all__ = [
    "Program",
    "ProgramItem",
    "ProgramMatch",
    "ProgramSession",
    "match_program",
    "normalise_title",
    "parse_day",
    "parse_program_lines",
    "parse_program_rows",
    "parse_time_range",
    "read_program",
    "session_kind",
    "split_names",
]
