"""Where corpora and indexes live and which model embeds them: read once, in one frozen object.

Defaults, each overridable by an environment variable:
- data folder (`ABSTRACT_SEARCH_DATA`): `./data` when the current folder has one (a project
  checkout), else the per-user data folder (platformdirs: ~/.local/share/abstract-search/data
  on Linux), so an installed `abstract-search` works from any folder;
- index folder (`ABSTRACT_SEARCH_INDEX`): `./index` beside that `./data`, else the per-user one;
- model (`ABSTRACT_SEARCH_MODEL`): the bundled all-MiniLM-L6-v2; backend
  (`ABSTRACT_SEARCH_BACKEND`): `auto`.
The bundled workshop corpus ships inside the package, so it is found even in an empty folder.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "abstract-search"
BUNDLED_DATA = Path(__file__).resolve().parent / "bundled"  # the workshop corpus, shipped with the package


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    index_dir: Path
    model: str
    backend: str


def _user_folder(kind: str) -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME)) / kind


@functools.cache
def settings() -> Settings:
    """The settings of this process (environment read on first use, then fixed)."""
    from abstract_search.embed.backends import BUNDLED_MODEL

    project = Path.cwd()
    in_project = (project / "data").is_dir()
    data = os.environ.get("ABSTRACT_SEARCH_DATA") or (project / "data" if in_project else _user_folder("data"))
    index = os.environ.get("ABSTRACT_SEARCH_INDEX") or (project / "index" if in_project else _user_folder("index"))
    return Settings(
        data_dir=Path(data),
        index_dir=Path(index),
        model=os.environ.get("ABSTRACT_SEARCH_MODEL") or BUNDLED_MODEL,
        backend=os.environ.get("ABSTRACT_SEARCH_BACKEND") or "auto",
    )
