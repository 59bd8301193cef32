"""Reading a user's table of abstracts (CSV, TSV or JSON Lines) into records.

File-level problems (empty, binary, not UTF-8, no title column) are errors that name the
file. Row-level problems (a missing title, a broken line, a repeated id) skip that row and
report it with its line and field: nothing is dropped without a word.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from abstract_search.records import KINDS, Abstract, CorpusError

# Columns read when present, beyond the mapped title/abstract/id/speakers ones.
LIST_FIELDS = ("affiliations", "tags", "references")
TEXT_FIELDS = ("date", "start", "end", "session")
SPEAKER_ALIASES = ("speakers", "authors", "author", "speaker", "presenter")
ABSTRACT_ALIASES = ("abstract", "text", "body", "summary")


def _decode(path: Path) -> str:
    data = path.read_bytes()
    if not data.strip():
        raise CorpusError(f"{path}: the file is empty")
    if b"\x00" in data[:8192]:
        raise CorpusError(f"{path}: looks like a binary file, not CSV/JSONL text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise CorpusError(
            f"{path}:{line}: not UTF-8 text (byte 0x{data[err.start]:02x}); re-save the file as UTF-8"
        ) from None


def _split_list(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return tuple(s.strip() for s in re.split(r"[|;]", str(value)) if s.strip())


def _pick(
    header: list[str], wanted: str | None, aliases: tuple[str, ...], what: str, path: Path, required: bool
) -> str | None:
    lowered = {h.lower().strip(): h for h in header}
    if wanted:
        if wanted in header:
            return wanted
        if wanted.lower() in lowered:
            return lowered[wanted.lower()]
        raise CorpusError(f"{path}: no {what} column {wanted!r}; columns are: {', '.join(header)}")
    for alias in aliases:
        if alias in lowered:
            return lowered[alias]
    if required:
        raise CorpusError(
            f"{path}: no {what} column (looked for {', '.join(aliases)}); columns are: "
            f"{', '.join(header)}; name it with --{what}-col"
        )
    return None


def _rows(path: Path, text: str):
    """Yields (line number, dict or error message) for CSV/TSV or JSONL files."""
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                yield number, f"not valid JSON ({err.msg})"
                continue
            yield number, row if isinstance(row, dict) else f"expected a JSON object, got {type(row).__name__}"
        return
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error) as err:
        raise CorpusError(f"{path}: cannot read a CSV header ({err})") from None
    header = [h.strip() for h in header]
    yield 0, header
    try:
        for cells in reader:
            number = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                yield number, f"has {len(cells)} fields, the header has {len(header)}"
                continue
            yield number, dict(zip(header, cells, strict=True))
    except csv.Error as err:
        yield reader.line_num, f"malformed CSV ({err}); the rest of the file was not read"


def read_table(path: Path, columns: dict, kind: str) -> tuple[list[Abstract], list[str], list[str]]:
    """Reads a table; returns (records, skipped-row reasons, warnings)."""
    if kind not in KINDS:
        raise CorpusError(f"--kind {kind!r} is not one of {', '.join(KINDS)}")
    text = _decode(path)
    rows = list(_rows(path, text))
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        header = sorted({k for _, row in rows if isinstance(row, dict) for k in row})
        if not header:
            bad = next((f"line {n}: {row}" for n, row in rows if isinstance(row, str)), "no rows")
            raise CorpusError(f"{path}: no JSON object rows ({bad})")
    else:
        header = rows.pop(0)[1]
    title_col = _pick(header, columns.get("title"), ("title",), "title", path, True)
    abstract_col = _pick(header, columns.get("abstract"), ABSTRACT_ALIASES, "abstract", path, False)
    id_col = _pick(header, columns.get("id"), ("id", "_id", "uid"), "id", path, False)
    speakers_col = _pick(header, columns.get("speakers"), SPEAKER_ALIASES, "speakers", path, False)
    warnings = [] if abstract_col else [f"{path}: no abstract column; only titles will be searched"]
    records, skipped, seen = [], [], {}
    for number, row in rows:
        where = f"{path.name}:{number}"
        if isinstance(row, str):
            skipped.append(f"{where}: {row}")
            continue
        title = row.get(title_col)
        if not isinstance(title, str) or not title.strip():
            skipped.append(f"{where}: field {title_col!r} is missing or empty")
            continue
        record_id = str(row.get(id_col) or "").strip() if id_col else ""
        record_id = record_id or f"R{number:05d}"
        if record_id in seen:
            skipped.append(f"{where}: id {record_id!r} repeats line {seen[record_id]}")
            continue
        abstract = row.get(abstract_col) if abstract_col else ""
        if abstract is not None and not isinstance(abstract, str):
            skipped.append(f"{where}: field {abstract_col!r} must be text, got {type(abstract).__name__}")
            continue
        values = {name: _split_list(row.get(name)) for name in LIST_FIELDS if row.get(name)}
        values.update({name: str(row[name]).strip() for name in TEXT_FIELDS if row.get(name)})
        row_kind = str(row.get("kind") or kind).strip().lower()
        if row_kind not in KINDS:
            skipped.append(f"{where}: field 'kind' is {row_kind!r}, not one of {', '.join(KINDS)}")
            continue
        seen[record_id] = number
        records.append(
            Abstract(
                id=record_id,
                title=" ".join(title.split()),
                kind=row_kind,
                speakers=_split_list(row.get(speakers_col)) if speakers_col else (),
                abstract=(abstract or "").strip(),
                **values,
            )
        )
    if not records:
        raise CorpusError(f"{path}: no usable rows ({len(skipped)} skipped: {'; '.join(skipped[:3])})")
    return records, skipped, warnings
