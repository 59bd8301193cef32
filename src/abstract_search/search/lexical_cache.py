"""BM25 token bags cached on disk by text hash, so a rebuild tokenizes only the texts that changed.

BM25 needs each text's distinct tokens and how often each occurs (its bag), never their order.
`<cache root>/bm25-tokens-<tokenizer id>/` holds the bags of every text seen so far:
`bags.npy` (int32, two rows: the terms and their counts, all bags concatenated) and `meta.json`
(the SHA-256 of each text in row order, each bag's length, and the token strings that terms
index). Plain NumPy and JSON, loaded with allow_pickle=False; a cache that does not parse or add
up is ignored and rebuilt. Bags and tokens are only appended and `bags.npy` is replaced first,
so a save killed between the two renames leaves extra entries past the end of what `meta.json`
lists, which are ignored. The tokenizer id (`abstract_search.search.lexical.tokenizer_id`) names the
folder, so bags made by another tokenizer are never read.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from abstract_search.records import text_hash, write_atomically


@dataclass(frozen=True)
class TokenBags:
    """The token bags of a sequence of texts: bag i is terms/counts[offsets[i]:offsets[i+1]].

    A bag lists its text's distinct tokens (indexes into `vocab`) in order of first appearance.
    """

    vocab: tuple[str, ...]
    terms: np.ndarray
    counts: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def select(self, rows: np.ndarray | Sequence[int]) -> TokenBags:
        """The bags of these rows, in this order (the vocabulary is shared, not narrowed)."""
        rows = np.asarray(rows, dtype=np.int64)
        starts, lengths = self.offsets[rows], self.offsets[rows + 1] - self.offsets[rows]
        offsets = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        where = np.repeat(starts - offsets[:-1], lengths) + np.arange(offsets[-1], dtype=np.int64)
        return TokenBags(self.vocab, self.terms[where], self.counts[where], offsets)


def bags_of(token_lists: Sequence[Sequence[str]], vocab: Sequence[str] = ()) -> TokenBags:
    """Bags of already tokenized texts; new tokens are appended to (a copy of) `vocab`."""
    vocab = list(vocab)
    id_of = {token: i for i, token in enumerate(vocab)}
    terms: list[int] = []
    counts: list[int] = []
    offsets = [0]
    for tokens in token_lists:
        for token, count in Counter(tokens).items():
            term = id_of.get(token)
            if term is None:
                term = id_of[token] = len(vocab)
                vocab.append(token)
            terms.append(term)
            counts.append(count)
        offsets.append(len(terms))
    return TokenBags(
        tuple(vocab),
        np.asarray(terms, dtype=np.int32),
        np.asarray(counts, dtype=np.int32),
        np.asarray(offsets, np.int64),
    )


def token_bags(
    texts: Sequence[str],
    tokenize: Callable[[str], list[str]],
    cache_dir: str | Path | None = None,
    tokenizer_id: str = "",
) -> TokenBags:
    """Bags of `texts`; with a cache folder only texts never seen before are tokenized.

    The lock is held only to read and to write the cache, never while tokenizing.
    """
    if cache_dir is None:
        return bags_of([tokenize(text) for text in texts])
    from filelock import FileLock

    folder = Path(cache_dir) / f"bm25-tokens-{tokenizer_id or 'default'}"
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / ".lock"))
    keys = [text_hash(text) for text in texts]
    with lock:
        cached_keys, cached = _load(folder)
    row_of = {key: row for row, key in enumerate(cached_keys)}
    missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in row_of}
    if missing:
        token_lists = {key: tokenize(text) for key, text in missing.items()}
        with lock:  # another build may have added bags meanwhile: merge, then save
            cached_keys, cached = _load(folder)
            row_of = {key: row for row, key in enumerate(cached_keys)}
            fresh = [key for key in token_lists if key not in row_of]
            added = bags_of([token_lists[key] for key in fresh], cached.vocab)
            for key in fresh:
                row_of[key] = len(cached_keys)
                cached_keys.append(key)
            cached = _concat(cached, added)
            _save(folder, cached_keys, cached)
    return cached.select([row_of[key] for key in keys])


def _concat(first: TokenBags, second: TokenBags) -> TokenBags:
    """`second`'s vocabulary extends `first`'s (see `bags_of`)."""
    offsets = np.concatenate([first.offsets, second.offsets[1:] + first.offsets[-1]])
    return TokenBags(
        second.vocab,
        np.concatenate([first.terms, second.terms]),
        np.concatenate([first.counts, second.counts]),
        offsets,
    )


def _empty() -> tuple[list[str], TokenBags]:
    nothing = np.zeros(0, dtype=np.int32)
    return [], TokenBags((), nothing, nothing, np.zeros(1, dtype=np.int64))


def _load(folder: Path) -> tuple[list[str], TokenBags]:
    """(text hashes, their bags) from the cache folder; empty when it is missing or does not add up."""
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        keys, lengths, vocab = meta["keys"], meta["lengths"], meta["vocab"]
        if not (isinstance(keys, list) and isinstance(vocab, list) and len(lengths) == len(keys)):
            raise ValueError("meta.json does not add up")
        offsets = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum(np.asarray(lengths, dtype=np.int64), out=offsets[1:])
        bags = np.load(folder / "bags.npy", allow_pickle=False)
        if bags.dtype != np.int32 or bags.ndim != 2 or bags.shape[0] != 2 or bags.shape[1] < offsets[-1]:
            raise ValueError("bags.npy does not match meta.json")
        if len(lengths) and min(lengths) < 0:
            raise ValueError("negative bag length")
        terms, counts = (np.ascontiguousarray(row[: offsets[-1]]) for row in bags)
        if len(terms) and (terms.min() < 0 or terms.max() >= len(vocab) or counts.min() < 1):
            raise ValueError("terms outside the vocabulary")
        return list(keys), TokenBags(tuple(vocab), terms, counts, offsets)
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        return _empty()


def _save(folder: Path, keys: list[str], bags: TokenBags) -> None:
    """Writes bags.npy, then meta.json, each via a temporary name and a rename."""
    meta = {"keys": keys, "lengths": np.diff(bags.offsets).tolist(), "vocab": list(bags.vocab)}
    bags_array = np.stack([bags.terms, bags.counts])
    write_atomically(folder / "bags.npy", lambda handle: np.save(handle, bags_array, allow_pickle=False))
    # json.dumps escapes non-ASCII tokens (\u...), so the file is plain ASCII.
    write_atomically(folder / "meta.json", lambda handle: handle.write(json.dumps(meta).encode("ascii")))
