"""The record type every stage reads: one talk, poster or paper abstract.

Records cross every module border as frozen dataclasses and are stored as JSON Lines,
one object per line, so a corpus is a plain text file a person can read and diff.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

KINDS = ("talk", "poster", "keynote", "paper")

DEFAULT_CORPUS = "workshop2025"


class UserError(ValueError):
    """The one error type meant for a person: what is wrong and how to fix it, in one line.

    The CLI prints it and exits 2; the app shows it. Stages raise their own kinds of it.
    """


class CorpusError(UserError):
    """A corpus file is missing or malformed; the message names the file, line and field."""


@dataclass(frozen=True)
class Abstract:
    """One item of a corpus: a talk, a poster or a paper.

    Only `id` and `title` are required; everything else may be empty (a poster has no
    abstract, a journal paper has no date or session).
    """

    id: str
    title: str
    kind: str = "paper"
    number: int | None = None
    speakers: tuple[str, ...] = ()
    affiliations: tuple[str, ...] = ()
    abstract: str = ""
    date: str = ""
    start: str = ""
    end: str = ""
    session: str = ""
    tags: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    pages: str = ""  # where a book printed it ("12" or "12-13"), for the review
    figure_captions: tuple[str, ...] = field(default=(), compare=False)
    # The columns of a table that no field took, as (column, text) pairs in the table's order:
    # a track, a decision, a URL stay searchable by filter and usable as a --within group.
    extra: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise CorpusError("record has an empty id")
        if self.kind not in KINDS:
            raise CorpusError(f"record {self.id}: kind {self.kind!r} is not one of {', '.join(KINDS)}")
        if isinstance(self.extra, Mapping):  # Abstract(**record.to_json()) hands back an object
            object.__setattr__(self, "extra", tuple(self.extra.items()))
        for pair in self.extra:
            if not (len(pair) == 2 and all(isinstance(part, str) for part in pair) and pair[0].strip()):
                raise CorpusError(f"record {self.id}: extra holds {pair!r}; it maps column names to text")

    def extra_value(self, column: str) -> str:
        """The text of an extra column ('' when this record has none)."""
        return next((value for key, value in self.extra if key == column), "")

    @property
    def text(self) -> str:
        """Title and abstract: what the dense model reads."""
        return f"{self.title}. {self.abstract}".strip() if self.abstract else self.title

    def to_json(self) -> dict:
        """The record as a JSON object; `extra` is an object, left out when empty.

        Leaving it out keeps the JSON (and so the corpus hash) of a record without extra
        columns what it was before they existed: built indexes stay valid.
        """
        data = dataclasses.asdict(self)
        for key, value in data.items():
            if isinstance(value, tuple):
                data[key] = list(value)
        if self.extra:
            data["extra"] = dict(self.extra)
        else:
            del data["extra"]
        return data

    @classmethod
    def from_json(cls, data: dict, where: str = "") -> Abstract:
        """Builds a record from a JSON object, with errors that say where the bad field is."""
        prefix = f"{where}: " if where else ""
        if not isinstance(data, dict):
            raise CorpusError(f"{prefix}expected a JSON object, got {type(data).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise CorpusError(f"{prefix}unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
        for required in ("id", "title"):
            if not isinstance(data.get(required), str) or not data[required].strip():
                raise CorpusError(f"{prefix}field {required!r} is missing or empty")
        values = {}
        for f in dataclasses.fields(cls):
            if f.name not in data or data[f.name] is None:
                continue
            value = data[f.name]
            if f.name == "number":
                if not isinstance(value, int) or isinstance(value, bool):
                    raise CorpusError(f"{prefix}field 'number' must be an integer, got {value!r}")
            elif f.name == "extra":
                if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                    raise CorpusError(f"{prefix}field 'extra' must be an object of strings (column: text)")
                value = tuple(value.items())
            elif f.type.startswith("tuple"):
                if isinstance(value, str):
                    value = [value]
                if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                    raise CorpusError(f"{prefix}field {f.name!r} must be a list of strings")
                value = tuple(value)
            elif not isinstance(value, str):
                raise CorpusError(f"{prefix}field {f.name!r} must be a string, got {type(value).__name__}")
            values[f.name] = value
        try:
            return cls(**values)
        except CorpusError as err:
            raise CorpusError(f"{prefix}{err}") from None


def read_records(path: str | Path) -> list[Abstract]:
    """Reads a JSON Lines corpus; any bad line is an error naming the file and line."""
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"{path}: no such corpus file")
    records, seen = [], {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as err:
                raise CorpusError(f"{where}: not valid JSON ({err.msg})") from None
            record = Abstract.from_json(data, where)
            if record.id in seen:
                raise CorpusError(f"{where}: duplicate id {record.id!r} (first on line {seen[record.id]})")
            seen[record.id] = number
            records.append(record)
    if not records:
        raise CorpusError(f"{path}: the corpus is empty")
    return records


def clock_minutes(clock: str) -> int:
    """Minutes after midnight of a record's 'HH:MM' start or end (the form ingest writes)."""
    hours, _, minutes = clock.strip().partition(":")
    return int(hours) * 60 + int(minutes or 0)


def write_atomically(path: str | Path, write: Callable[[BinaryIO], object]) -> Path:
    """Calls `write` on a temporary file beside `path`, then renames it into place.

    A crash or a kill never leaves half a file: readers see the old file or the new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_records(records: Iterable[Abstract], path: str | Path) -> Path:
    """Writes records as JSON Lines atomically: a crash never leaves half a file."""

    def write(handle: BinaryIO) -> None:
        for record in records:
            handle.write((json.dumps(record.to_json(), ensure_ascii=False) + "\n").encode("utf-8"))

    return write_atomically(path, write)


_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(Abstract) if f.name != "extra")


def text_hash(text: str) -> str:
    """The cache key of a text (SHA-256 of its UTF-8 bytes), shared by the embedding and token caches."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def corpus_hash(records: Sequence[Abstract]) -> str:
    """A content hash of a corpus: an index built from other records is refused.

    Each record is hashed as the JSON of its fields (tuples serialise as lists and `extra` as
    an object, left out when empty, so this equals `to_json`), read directly rather than
    through `dataclasses.asdict`, which is twice as slow.
    """
    digest = hashlib.sha256()
    for record in records:
        fields = {name: getattr(record, name) for name in _FIELD_NAMES}
        if record.extra:
            fields["extra"] = dict(record.extra)
        digest.update(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def corpus_folders() -> list[Path]:
    """Where named corpora are looked up: the data folder (settings), then the bundled corpora."""
    from abstract_search.settings import BUNDLED_DATA, settings

    return [settings().data_dir, BUNDLED_DATA]


def corpus_names() -> list[str]:
    """Every named corpus, the user's own first (a name in the data folder hides a bundled one)."""
    names: dict[str, None] = {}
    for folder in corpus_folders():
        names.update(dict.fromkeys(sorted(p.stem for p in folder.glob("*.jsonl"))))
    return list(names)


def resolve_corpus(name_or_path: str | None) -> tuple[str, Path]:
    """Maps `--corpus` to (name, path): a bare name is NAME.jsonl in the data folder (or bundled), else a path."""
    value = name_or_path or DEFAULT_CORPUS
    candidate = Path(value)
    if candidate.suffix == ".jsonl" or candidate.exists() or "/" in value:
        if not candidate.is_file():
            raise CorpusError(f"{candidate}: no such corpus file")
        return candidate.stem, candidate
    for folder in corpus_folders():
        path = folder / f"{value}.jsonl"
        if path.is_file():
            return value, path
    raise CorpusError(
        f"unknown corpus {value!r}; available: {', '.join(corpus_names()) or '(none)'}; "
        "or give a path to a .jsonl file (make one with `abstract-search ingest`)"
    )


def corpus_counts(records: Sequence[Abstract]) -> dict[str, int]:
    """How many records of each kind (talk, poster, ...), in the order first seen."""
    counts: dict[str, int] = {}
    for record in records:
        counts[record.kind] = counts.get(record.kind, 0) + 1
    return counts
