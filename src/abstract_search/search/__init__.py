"""Search: a corpus opened for queries. `index` (FAISS + manifest, atomic builds), `lexical` (the
scientific tokenizer and BM25) with its cache, `fusion` (filters, score fusion, hits), `snippets`
(the answering sentences) and `engine` (all of it behind one object)."""
