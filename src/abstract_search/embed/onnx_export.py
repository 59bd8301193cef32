"""Exporting a sentence-transformers model to ONNX once, fp32 and 8-bit quantised.

Kept apart from the backends (`abstract_search.embed.backends`) because this is the only
code that needs torch and transformers: it runs once per model, writes
`index/_models/<model>/` whole or not at all (model.onnx, the 8-bit model, tokenizer.json,
meta.json), and afterwards `OnnxEmbedder` runs with onnxruntime and tokenizers alone. The
8-bit format's id (`INT8_SUFFIX`) lives here too, as caches and manifests key on it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

from abstract_search.embed.models import load_sentence_transformer, resolve_model


def _safe_name(model_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", model_id).strip("_")


# The 8-bit model: int8 weights on a 7-bit range (reduce_range), activations uint8. onnxruntime
# computes uint8 x int8 products with VPMADDUBSW on CPUs without VNNI, whose pairwise 16-bit sums
# saturate for full-range weights (its quantization guide: use reduce_range or U8U8), so a text's
# vector depended on the CPU. With 7-bit weights no sum can saturate, the products are exact on
# every x86 CPU, and the fast uint8 x int8 kernels are kept (benchmarks/embed_backends.py prints
# their speed and retrieval_*.py their quality against fp32). A new format is a new id, so older
# caches never mix in.
INT8_SUFFIX = "#int8w7"
INT8_FILE = "model_int8w7.onnx"


def quantize_onnx(folder: Path) -> None:
    """Writes the 8-bit model next to `folder`'s model.onnx (matrix products only, per channel)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    partial = folder / f".{INT8_FILE}.{os.getpid()}.tmp"
    try:
        quantize_dynamic(
            str(folder / "model.onnx"),
            str(partial),
            weight_type=QuantType.QInt8,
            per_channel=True,
            reduce_range=True,
            op_types_to_quantize=["MatMul"],
        )
        os.replace(partial, folder / INT8_FILE)
    finally:
        partial.unlink(missing_ok=True)


def export_onnx(model: str | None = None, cache_dir: Path | None = None) -> Path:
    """Exports a sentence-transformers model's transformer to ONNX once (fp32 and int8).

    Needs torch and transformers, but only here: afterwards the ONNX backend runs with
    onnxruntime and tokenizers alone. The folder is written whole or not at all.
    """
    from abstract_search.settings import settings

    model_id, source = resolve_model(model)
    target = Path(cache_dir or settings().index_dir / "_models") / _safe_name(model_id)
    if (target / "meta.json").is_file():
        if not (target / INT8_FILE).is_file():  # exported before this quantization: add it
            quantize_onnx(target)
            (target / "model_int8.onnx").unlink(missing_ok=True)  # the earlier full-range format
        return target
    st = load_sentence_transformer(model_id, source)
    import torch

    transformer = st[0].auto_model.eval()
    tokenizer = st.tokenizer
    pooling = getattr(st[1], "pooling_mode_mean_tokens", True) if len(st) > 1 else True

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        sample = tokenizer(["a glass", "boroxol rings in B2O3"], padding=True, return_tensors="pt")
        if "token_type_ids" not in sample:
            sample["token_type_ids"] = torch.zeros_like(sample["input_ids"])
        names = ["input_ids", "attention_mask", "token_type_ids"]
        with torch.no_grad():
            torch.onnx.export(
                LastHiddenState(transformer),
                tuple(sample[n] for n in names),
                str(tmp / "model.onnx"),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
                opset_version=17,
                dynamo=False,
            )
        quantize_onnx(tmp)
        tokenizer.backend_tokenizer.save(str(tmp / "tokenizer.json"))
        positions = int(getattr(transformer.config, "max_position_embeddings", 0) or st.max_seq_length)
        meta = {
            "model_id": model_id,
            "max_tokens": int(st.max_seq_length),
            "mean_pooling": bool(pooling),
            "dimension": int(st.get_embedding_dimension()),
            "max_positions": min(positions, 512),
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
        tmp.chmod(0o755)
        if target.exists():  # another process finished first: keep theirs
            shutil.rmtree(tmp)
        else:
            os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target
