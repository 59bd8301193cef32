"""The index manifest: what an index was built from, sealed over its files, checked on load.

It lives apart from the build and open logic (`abstract_search.search.index`) because it is
the index's contract: the manifest names the model, dimension, corpus hash, record count and
library versions, and holds every file's size and CRC-32. `read_manifest` reads the served
one, `check_manifest` refuses an index built from other records, another model or another
format, and `verify_files` a folder whose files are missing, truncated or damaged, each with
a message that says what to run instead.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from abstract_search.embed.onnx_export import INT8_SUFFIX
from abstract_search.records import Abstract, CorpusError, corpus_hash
from abstract_search.search.storage import served_folder

FORMAT_VERSION = 5  # bump whenever what is stored, or how documents are embedded, changes


class IndexMismatchError(CorpusError):
    """A built index does not belong to this corpus or model; the message says what to run."""


@dataclass(frozen=True)
class Manifest:
    """What an index was built from; loading refuses anything else."""

    corpus: str
    corpus_hash: str
    records: int
    model: str
    dimension: int
    index_type: str
    versions: dict
    built_at: str
    window_tokens: int = 0  # tokens per model window when documents are read whole; 0: cut by the model
    files: dict = field(default_factory=dict)  # relative path -> [size in bytes, CRC-32]
    format: int = FORMAT_VERSION

    @classmethod
    def from_json(cls, data: dict) -> Manifest:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown manifest field(s) {', '.join(unknown)}")
        if data.get("format") != FORMAT_VERSION:
            raise ValueError(f"format {data.get('format')}, expected {FORMAT_VERSION}")
        return cls(**data)


def library_versions() -> dict:
    import bm25s
    import faiss

    return {"faiss": faiss.__version__, "numpy": np.__version__, "bm25s": bm25s.__version__}


def _checksum(path: Path) -> list[int]:
    crc = 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 22):
            crc = zlib.crc32(block, crc)
    return [path.stat().st_size, crc]


def seal_manifest(folder: Path, manifest: Manifest) -> Manifest:
    """Records every file's size and CRC-32 in the manifest, and writes the manifest last."""
    files = {
        p.relative_to(folder).as_posix(): _checksum(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != "manifest.json"
    }
    manifest = Manifest(**{**asdict(manifest), "files": files})
    path = folder / "manifest.json"
    path.write_text(json.dumps(asdict(manifest), indent=2), encoding="utf-8")
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
    return manifest


def read_manifest(corpus: str, root: str | Path | None = None) -> Manifest | None:
    path = served_folder(corpus, root) / "manifest.json"
    if not path.is_file():
        return None
    try:
        return Manifest.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as err:
        raise IndexMismatchError(
            f"{path}: unreadable manifest ({err}); run `abstract-search build --corpus {corpus}`"
        ) from None


def check_manifest(
    manifest: Manifest, records: Sequence[Abstract], model_id: str, corpus: str, records_hash: str | None = None
) -> None:
    """Refuses an index built from other records, another model or another format."""
    fix = f"run `abstract-search build --corpus {corpus}` to rebuild it"
    if manifest.format != FORMAT_VERSION:
        raise IndexMismatchError(f"index of {corpus!r} has format {manifest.format}, expected {FORMAT_VERSION}; {fix}")
    if manifest.model != model_id:
        base = model_id.split("#")[0]
        if manifest.model in (base, base + INT8_SUFFIX):  # same model, other backend
            backend = "auto" if manifest.model.endswith(INT8_SUFFIX) else "onnx"
            hint = f"or set ABSTRACT_SEARCH_BACKEND={backend} to use it"
        elif manifest.model.split("#")[0] == base:  # an 8-bit format this version no longer makes
            hint = "its vectors come from an earlier 8-bit model"
        else:
            hint = f"or pass --model {manifest.model.split('#')[0]}"
        raise IndexMismatchError(
            f"index of {corpus!r} was built with model {manifest.model!r}, not {model_id!r}; {fix} ({hint})"
        )
    if manifest.records != len(records) or manifest.corpus_hash != (records_hash or corpus_hash(records)):
        raise IndexMismatchError(
            f"index of {corpus!r} was built from a different version of the corpus "
            f"({manifest.records} records then, {len(records)} now); {fix}"
        )


def verify_files(folder: Path, manifest: Manifest, corpus: str) -> None:
    """Refuses a folder whose files are missing, truncated or changed since the build."""
    if not manifest.files:
        raise IndexMismatchError(f"index of {corpus!r} lists no files; run `abstract-search build --corpus {corpus}`")
    for name, expected in manifest.files.items():
        path = folder / name
        if not path.is_file():
            problem = "is missing"
        elif path.stat().st_size != expected[0]:
            problem = f"is truncated or overwritten ({path.stat().st_size} bytes, expected {expected[0]})"
        elif _checksum(path) != list(expected):
            problem = "is damaged (checksum mismatch)"
        else:
            continue
        raise IndexMismatchError(
            f"index of {corpus!r}: {path} {problem}; run `abstract-search build --corpus {corpus}` to rebuild it"
        )
