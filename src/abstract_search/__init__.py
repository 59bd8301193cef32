"""abstract-search: semantic search, topics, maps and session planning for abstracts.

Pipeline stages, one module each: ingest -> embed -> index -> search -> topics -> plan,
plus evaluate; `cli` and the Streamlit `app.py` are thin layers over them.
"""

__version__ = "0.1.0"
