"""Where indexes live on disk, and how a finished build swaps into place.

Kept apart from the build and open logic (`abstract_search.search.index`) because the
folder rules are what make builds atomic: a build writes `.<corpus>.building-*` beside
`index/<corpus>/`, parks the old index as `.<corpus>.old-<pid>` and renames the new one in;
readers are served the parked index in the instant between the two renames, and the next
build (under its lock) restores a parked index a killed swap left behind and removes dead
temporaries. Only `manifest.json`'s presence is looked at here, never its contents.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from abstract_search.records import CorpusError


def index_folder(corpus: str, root: str | Path | None = None) -> Path:
    """index/<corpus>/ (the root is `ABSTRACT_SEARCH_INDEX` or the project's index/ folder)."""
    if corpus.startswith(("_", ".")) or corpus != Path(corpus).name:
        raise CorpusError(f"corpus name {corpus!r} cannot name an index folder; rename the .jsonl file")
    if root is None:
        from abstract_search.settings import settings

        root = settings().index_dir
    return Path(root) / corpus


def _previous(folder: Path) -> list[Path]:
    """Previous indexes parked by an interrupted swap, newest first."""
    parked = [p for p in folder.parent.glob(f".{folder.name}.old-*") if (p / "manifest.json").is_file()]
    return sorted(parked, key=lambda p: p.stat().st_mtime, reverse=True)


def clean_leftovers(folder: Path) -> None:
    """Under the build lock: restores an index parked by a killed swap and removes dead temporaries."""
    if not (folder / "manifest.json").is_file():
        for parked in _previous(folder)[:1]:
            shutil.rmtree(folder, ignore_errors=True)
            os.replace(parked, folder)
    for leftover in folder.parent.glob(f".{folder.name}.*"):
        if leftover.is_dir() and (".building-" in leftover.name or ".old-" in leftover.name):
            shutil.rmtree(leftover, ignore_errors=True)


def swap_into_place(tmp: Path, folder: Path) -> None:
    """Renames the finished build `tmp` to `folder`, parking the old index until the new one is in."""
    old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
    if folder.exists():
        os.replace(folder, old)
    try:
        os.replace(tmp, folder)
    except BaseException:
        if old.exists():
            os.replace(old, folder)
        raise
    shutil.rmtree(old, ignore_errors=True)


def served_folder(corpus: str, root: str | Path | None = None) -> Path:
    """The folder an index is served from: index/<corpus>/, or the previous index while a swap runs."""
    folder = index_folder(corpus, root)
    if (folder / "manifest.json").is_file():
        return folder
    parked = _previous(folder)
    return parked[0] if parked else folder
