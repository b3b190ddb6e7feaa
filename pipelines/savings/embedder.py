"""Text embedders for the semantic-cache simulation, behind one small interface and a registry.

Every embedder returns float32 rows of unit length, so a dot product is the cosine. An embedder's
``name`` is stored next to every embedding it made: vectors from different names (or from a
changed text preparation, which must get a new name) are never compared.

Text preparation shared by all embedders:

* A text that is empty or only whitespace embeds to the **zero vector**. Its cosine with anything
  is 0, so it never reaches a threshold: callers treat such requests as ineligible for a semantic
  hit (two empty prompts are an exact-match question, not a semantic one).
* A text longer than ``MAX_CHARS`` is cut to its first and last ``MAX_CHARS // 2`` characters.
  wordllama itself never truncates (its tokenizer runs with ``no_truncation``) and pads every
  batch to its longest member, so one pasted 1 MB log would cost a (batch x tokens x dim) array;
  and a mean over thousands of tokens tends towards the same average vector for every long text.
  Head and tail, not just the head: a long prompt usually carries its instruction at one end of
  a pasted document, and with a head-only clip two prompts sharing a 1,000-character preamble
  but asking different questions at the end would embed identically (cosine exactly 1).
  Mean pooling still lets long shared text dominate: those two prompts stay near cosine 0.999,
  and even unrelated long prompts drift together (median cosine of unrelated 200-word prompts
  ~0.35, 1,000-word ~0.5, single questions ~0.03 with wordllama). The shipped calibration is
  measured on question-length texts (QQP median 51 characters) and says nothing about those.

Registered embedders (``get_embedder``):

* ``wordllama-l2_supercat-<dim>`` - wordllama's static token embeddings (Llama-2 tokenizer),
  mean-pooled; Matryoshka-truncated to 128 or 64 dims. Weights ship in the wheel; loaded once
  per process and never downloaded (see ``_load_wordllama``).
* ``hashing-char3_5-256`` - character 3-5-gram feature hashing, dependency-free and
  deterministic. Low quality (it sees spelling, not meaning) but real: the fallback, and the
  fast embedder for tests.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

MAX_CHARS = 2_000
WORDLLAMA_CONFIG = "l2_supercat"
WORDLLAMA_BATCH = 128
# 128 of wordllama's 256 Matryoshka dims: on QQP (bench/calibrate_embedder.py) ROC-AUC is
# 0.8146 vs 0.8144 and hit precision at equal hit rate within 0.6 points, for half the bytes per
# stored request and half the search work; 64 dims lose 1-3 points.
DEFAULT_EMBEDDER = "wordllama-l2_supercat-128"
ENV_VAR = "LLMCOST_EMBEDDER"


def clip_text(text: str, max_chars: int = MAX_CHARS) -> str:
    """The text an embedder sees: at most ``max_chars`` characters, head and tail."""
    if len(text) <= max_chars:
        return text
    half = max_chars // 2
    return text[:half] + " " + text[-half:]


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Unit-length float32 rows; an all-zero row stays zero (it has no direction)."""
    as64 = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(as64, axis=1, keepdims=True)
    safe = np.where(norms > 0.0, norms, 1.0)
    return (as64 / safe).astype(np.float32)


class Embedder(ABC):
    """Turns texts into unit float32 vectors of ``dim`` dims (zero rows for blank texts)."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        keep = [i for i, text in enumerate(texts) if text.strip()]
        if keep:
            pooled = self._embed_prepared([clip_text(texts[i]) for i in keep])
            out[keep] = normalise_rows(pooled)
        return out

    @abstractmethod
    def _embed_prepared(self, texts: list[str]) -> np.ndarray:
        """Raw (unnormalised) vectors for clipped, non-blank texts, shape (len(texts), dim)."""


def _wordllama_cache_dir() -> Path:
    """A writable folder for wordllama's resolver, never inside site-packages:
    ``$LLMCOST_HOME/.cache/wordllama``, else the user's cache, else the temp dir."""
    candidates = []
    if os.environ.get("LLMCOST_HOME"):
        candidates.append(Path(os.environ["LLMCOST_HOME"]).expanduser() / ".cache" / "wordllama")
    user_cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    candidates.append(Path(user_cache) / "llmcost" / "wordllama")
    candidates.append(Path(tempfile.gettempdir()) / f"llmcost-{os.getuid()}" / "wordllama")
    for candidate in candidates:
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK):
            return candidate.resolve()
    raise RuntimeError(f"no writable cache folder for wordllama among {candidates}")


def _import_wordllama():
    # Importing wordllama runs logging.basicConfig(level=INFO) on the root logger, which would
    # switch on INFO output of every library in the process; undo that side effect.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import wordllama

    root.handlers[:] = handlers
    root.setLevel(level)
    return wordllama


@functools.cache
def _load_wordllama(trunc_dim: int | None):
    """wordllama 0.4.0's resolver looks for the bundled tokenizer in ``wordllama/tokenizer/``
    but the wheel ships it in ``wordllama/tokenizers/``, so ``WordLlama.load()`` would try
    Hugging Face. The resolver's second place is ``<cache_dir>/tokenizers/``: put the bundled
    file there and forbid downloads. Weights resolve from the wheel itself."""
    wordllama = _import_wordllama()
    from wordllama.config import WordLlamaModels

    uri = getattr(WordLlamaModels, WORDLLAMA_CONFIG)
    bundled = Path(wordllama.__file__).parent / "tokenizers" / uri.tokenizer_config
    cache_dir = _wordllama_cache_dir()
    target = cache_dir / "tokenizers" / uri.tokenizer_config
    if not target.exists() or target.read_bytes() != bundled.read_bytes():
        target.parent.mkdir(parents=True, exist_ok=True)
        # Copy then rename, so a concurrent process never reads a half-written file.
        partial = target.with_name(f"{target.name}.{os.getpid()}.partial")
        shutil.copyfile(bundled, partial)
        os.replace(partial, target)
    return wordllama.WordLlama.load(
        config=WORDLLAMA_CONFIG,
        cache_dir=cache_dir,
        dim=256,
        trunc_dim=trunc_dim,
        disable_download=True,
    )


class WordLlamaEmbedder(Embedder):
    """wordllama l2_supercat: mean of static token vectors (256 dims, Matryoshka-truncatable)."""

    def __init__(self, dim: int = 256):
        if dim not in (64, 128, 256):
            raise ValueError(f"wordllama dim must be 64, 128 or 256, not {dim}")
        self.dim = dim
        self.name = f"wordllama-{WORDLLAMA_CONFIG}-{dim}"

    def _embed_prepared(self, texts: list[str]) -> np.ndarray:
        model = _load_wordllama(None if self.dim == 256 else self.dim)
        # wordllama pads each batch to its longest text; batching texts of similar length (by
        # characters, a proxy for tokens) made mixed prompts ~2.5x faster. Padding tokens get
        # zero weight in the mean, so a text's vector does not depend on its batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        pooled = model.embed([texts[i] for i in order], norm=False, batch_size=WORDLLAMA_BATCH)
        out = np.empty_like(pooled)
        out[order] = pooled
        return out


# FNV-1a 64-bit: a fixed hash, unlike Python's hash() which is salted per process. On 3-5
# characters its bits are poorly mixed (most 3-grams land in a handful of buckets), hence the
# MurmurHash3 64-bit finaliser after it.
_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_FMIX_1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX_2 = np.uint64(0xC4CEB9FE1A85EC53)
_SHIFT = np.uint64(33)


class HashingEmbedder(Embedder):
    """Counts of lower-cased character n-grams (n = 3..5, text padded with one space each side,
    whitespace runs collapsed), each hashed (FNV-1a, then a finaliser) into ``dim`` buckets
    with a hashed sign, so that collisions cancel on average instead of piling up."""

    def __init__(self, dim: int = 256, ngram_sizes: tuple[int, ...] = (3, 4, 5)):
        self.dim = dim
        self.ngram_sizes = ngram_sizes
        self.name = f"hashing-char{min(ngram_sizes)}_{max(ngram_sizes)}-{dim}"

    def _embed_prepared(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float64)
        for row, text in enumerate(texts):
            buckets, signs = ngram_features(text, self.dim, self.ngram_sizes)
            out[row] = np.bincount(buckets, weights=signs, minlength=self.dim)
        return out


def ngram_features(
    text: str, dim: int, ngram_sizes: Sequence[int] = (3, 4, 5)
) -> tuple[np.ndarray, np.ndarray]:
    """(bucket, sign) of every character n-gram of the prepared text, vectorised over the text."""
    prepared = " " + " ".join(text.lower().split()) + " "
    codes = np.frombuffer(prepared.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    hashes = []
    for n in ngram_sizes:
        count = len(codes) - n + 1
        if count <= 0:
            continue
        # Seeding with n keeps a 3-gram and the 4-gram starting with it apart.
        h = np.full(count, _FNV_OFFSET ^ np.uint64(n), dtype=np.uint64)
        for k in range(n):
            h ^= codes[k : k + count]
            h *= _FNV_PRIME
        hashes.append(h)
    if not hashes:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    h = np.concatenate(hashes)
    h ^= h >> _SHIFT
    h *= _FMIX_1
    h ^= h >> _SHIFT
    h *= _FMIX_2
    h ^= h >> _SHIFT
    buckets = (h % np.uint64(dim)).astype(np.int64)
    signs = np.where(h >> np.uint64(63), -1.0, 1.0)
    return buckets, signs


_REGISTRY: dict[str, Callable[[], Embedder]] = {
    "wordllama-l2_supercat-256": lambda: WordLlamaEmbedder(256),
    "wordllama-l2_supercat-128": lambda: WordLlamaEmbedder(128),
    "wordllama-l2_supercat-64": lambda: WordLlamaEmbedder(64),
    "hashing-char3_5-256": lambda: HashingEmbedder(256),
}


def registered_embedders() -> list[str]:
    return sorted(_REGISTRY)


def get_embedder(name: str | None = None) -> Embedder:
    """The embedder called ``name``; None means ``$LLMCOST_EMBEDDER``, else the default."""
    chosen = name or os.environ.get(ENV_VAR) or DEFAULT_EMBEDDER
    if chosen not in _REGISTRY:
        raise ValueError(
            f"unknown embedder {chosen!r}; registered: {', '.join(registered_embedders())}"
        )
    return _REGISTRY[chosen]()
