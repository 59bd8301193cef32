"""Embedding backends: the ONNX path gives the torch model's vectors without importing torch."""

from __future__ import annotations

import numpy as np
import pytest

from abstract_search.embed.backends import (
    INT8_FILE,
    INT8_SUFFIX,
    EmbedError,
    export_onnx,
    load_embedder,
    normalize_rows,
)
from tests.conftest import run_python


def test_normalize_rows_gives_unit_rows_and_keeps_zero_rows_finite():
    vectors = normalize_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(vectors[0], [0.6, 0.8], rtol=1e-6)
    assert np.all(np.isfinite(vectors[1]))


def test_unknown_backend_lists_the_valid_ones():
    with pytest.raises(EmbedError, match="valid: auto, torch, onnx, onnx-int8"):
        load_embedder(backend="tensorflow")


@pytest.mark.slow
def test_onnx_backends_match_the_torch_model(real_embedder, workshop_records):
    texts = [r.text for r in workshop_records]
    reference = load_embedder(backend="torch").encode(texts)
    fp32 = load_embedder(backend="onnx")
    int8 = load_embedder(backend="onnx-int8")
    # fp32 ONNX is the same model as torch, so an index built with either serves the other;
    # the 8-bit export is another model and says so in its id.
    assert fp32.model_id == "bundled:all-MiniLM-L6-v2"
    assert int8.model_id == "bundled:all-MiniLM-L6-v2" + INT8_SUFFIX
    assert (np.sum(reference * fp32.encode(texts), axis=1)).min() > 0.9999
    assert (np.sum(reference * int8.encode(texts), axis=1)).min() > 0.985
    # A text gets the same int8 vector alone as in a batch (int8 activations are scaled per run).
    alone = np.vstack([int8.encode([text]) for text in texts[:8]])
    assert np.allclose(alone, int8.encode(texts[:8], batch_size=8), atol=1e-6)


@pytest.mark.slow
def test_onnx_backend_does_not_import_torch(real_embedder):
    load_embedder(backend="onnx")  # make sure the export exists
    code = (
        "import sys\n"
        "from abstract_search.embed.backends import load_embedder\n"
        "v = load_embedder(backend='onnx').encode(['boroxol rings'])\n"
        "print(v.shape, 'torch' in sys.modules)\n"
    )
    out = run_python(code)
    assert out.strip() == "(1, 384) False"


@pytest.mark.slow
def test_a_model_that_cannot_be_loaded_is_a_clear_cli_error(mini_corpus, tmp_path, monkeypatch, capsys):
    from abstract_search.cli import main

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("ABSTRACT_SEARCH_INDEX", str(tmp_path / "index"))
    missing = str(tmp_path / "no-such-model")
    assert main(["build", "--corpus", str(mini_corpus), "--model", missing]) == 2
    error = capsys.readouterr().err
    assert f"cannot load embedding model '{missing}'" in error and "bundled model" in error
    assert "Traceback" not in error


@pytest.mark.slow
def test_an_older_export_gets_the_8bit_model_added(tmp_path, real_embedder):
    import shutil

    from abstract_search.embed.backends import OnnxEmbedder

    exported = export_onnx()
    old = tmp_path / exported.name
    old.mkdir()
    for name in ("model.onnx", "tokenizer.json", "meta.json"):
        shutil.copy(exported / name, old / name)
    (old / "model_int8.onnx").write_bytes(b"an earlier 8-bit format")
    assert export_onnx(cache_dir=tmp_path) == old
    assert (old / INT8_FILE).is_file() and not list(old.glob(".*tmp"))
    assert not (old / "model_int8.onnx").exists()
    texts = ["boroxol rings in vitreous B2O3", "crack growth in silica glass"]
    added = OnnxEmbedder(quantized=True, cache_dir=tmp_path).encode(texts)
    assert np.allclose(added, load_embedder(backend="onnx-int8").encode(texts), atol=1e-6)


def test_8bit_weights_cannot_saturate_16bit_pair_sums(real_embedder):
    """uint8 x int8 pairs summed in 16 bits (VPMADDUBSW) overflow only for weights past 7 bits."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(export_onnx() / INT8_FILE))
    weights = [numpy_helper.to_array(t) for t in model.graph.initializer if t.data_type == onnx.TensorProto.INT8]
    assert len(weights) >= 36  # 6 layers x 6 matrix products
    # 2 x 255 x 64 = 32,640 fits int16's 32,767: no pair sum of uint8 x int8 products overflows.
    assert max(int(np.abs(w.astype(np.int16)).max()) for w in weights) <= 64
