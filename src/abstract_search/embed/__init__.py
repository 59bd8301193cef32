"""Embed: texts to unit vectors. `backends` holds the models (sentence-transformers, ONNX fp32 and
int8, late chunking); `cache` keeps vectors by (model, text hash) so a rebuild embeds only edits."""
