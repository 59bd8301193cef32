"""Topics: `model` (clustering, scikit-learn style), `labels` (c-TF-IDF names), `corpus` (topics of
a corpus, saved with their inputs' hash), `map` (the 2-D UMAP layout) and `plots` (figures)."""
