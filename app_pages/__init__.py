"""The pages of the Streamlit app that `app.py` serves: one module a page (or two related pages).

UI only: every computation is a call into `abstract_search.service`; no module here imports
torch, faiss or sentence-transformers.
"""
