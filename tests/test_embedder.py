"""Embedders for the semantic-cache simulation.

Real-world quirks these tests protect against:

* wordllama 0.4.0's loader looks for its bundled tokenizer in ``wordllama/tokenizer/`` while the
  wheel ships ``wordllama/tokenizers/``, then falls back to downloading from Hugging Face. The
  project runs offline, so the default embedder must load with every network path dead.
* Importing wordllama calls ``logging.basicConfig(level=INFO)``, switching on INFO output of
  every library in the process.
* wordllama pads each batch to its longest text and never truncates: a prompt embedded alone or
  inside a batch must get the same vector, and a pasted 10,000-character prompt must be clipped
  (head and tail, so two prompts that differ only at the end do not embed identically).
* Python's ``hash()`` is salted per process: the hashing embedder must give the same vector in
  every process, or stored embeddings stop matching after a restart.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from pipelines.savings import embedder as embedder_module
from pipelines.savings.embedder import (
    DEFAULT_EMBEDDER,
    HashingEmbedder,
    WordLlamaEmbedder,
    clip_text,
    get_embedder,
    registered_embedders,
)

ROOT = Path(__file__).resolve().parents[1]
DEAD_PROXY = "http://127.0.0.1:9"

PARAPHRASE = ("How do I learn Python quickly?", "What is the fastest way to learn Python?")
UNRELATED = "What is the capital of France?"


@pytest.fixture(autouse=True, scope="module")
def private_home(tmp_path_factory):
    """wordllama's tokenizer copy goes to a temporary data home, not the user's cache."""
    with pytest.MonkeyPatch.context() as patch:
        home = tmp_path_factory.mktemp("home")
        patch.setenv("LLMCOST_HOME", str(home))
        yield home


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """Network off three ways: dead proxies, the Hugging Face offline switch, and a socket
    that refuses to connect. A fresh data home, and no model cached from earlier tests."""
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.setenv(var, DEAD_PROXY)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("LLMCOST_HOME", str(tmp_path))
    monkeypatch.delenv("LLMCOST_EMBEDDER", raising=False)

    def refuse(self, address):
        raise OSError(f"network access attempted: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    embedder_module._load_wordllama.cache_clear()
    return tmp_path


def test_default_embedder_loads_offline(offline):
    embedder = get_embedder()
    vectors = embedder.embed([PARAPHRASE[0], UNRELATED])

    assert embedder.name == DEFAULT_EMBEDDER == "wordllama-l2_supercat-128"
    assert embedder.dim == 128
    assert vectors.dtype == np.float32
    assert vectors.shape == (2, 128)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    bundled_copy = offline / ".cache" / "wordllama" / "tokenizers"
    assert (bundled_copy / "l2_supercat_tokenizer_config.json").is_file()


def test_loading_wordllama_leaves_root_logging_alone():
    script = (
        "import logging\n"
        "from pipelines.savings.embedder import get_embedder\n"
        "get_embedder('wordllama-l2_supercat-256').embed(['x'])\n"
        "root = logging.getLogger()\n"
        "print(len(root.handlers), root.level)\n"
    )
    env = {**os.environ, "HTTP_PROXY": DEAD_PROXY, "HTTPS_PROXY": DEAD_PROXY,
           "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["0", str(30)]  # no handler added, level still WARNING


@pytest.mark.parametrize("name", registered_embedders())
def test_every_embedder_returns_unit_float32_rows(name):
    embedder = get_embedder(name)
    texts = [PARAPHRASE[0], PARAPHRASE[1], UNRELATED, "é ü 中文 🙂"]
    vectors = embedder.embed(texts)

    assert embedder.name == name
    assert vectors.dtype == np.float32
    assert vectors.shape == (4, embedder.dim)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    assert embedder.embed([]).shape == (0, embedder.dim)


@pytest.mark.parametrize("name", registered_embedders())
def test_identical_texts_have_cosine_one(name):
    first, second = get_embedder(name).embed([UNRELATED, UNRELATED])
    assert float(first @ second) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("name", registered_embedders())
def test_paraphrase_scores_above_unrelated_question(name):
    question, paraphrase, unrelated = get_embedder(name).embed([*PARAPHRASE, UNRELATED])
    assert question @ paraphrase > question @ unrelated + 0.2


@pytest.mark.parametrize("name", registered_embedders())
def test_blank_text_embeds_to_zero_vector(name):
    vectors = get_embedder(name).embed(["", "   \n\t", UNRELATED])
    assert not vectors[:2].any()
    assert np.linalg.norm(vectors[2]) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("name", registered_embedders())
def test_batch_and_one_by_one_give_identical_vectors(name):
    long_prompt = "Please review this code. " * 300 + "Why does it crash?"
    texts = [UNRELATED, "", "hi", long_prompt, *PARAPHRASE, "a" * 50]
    embedder = get_embedder(name)

    batched = embedder.embed(texts)
    single = np.vstack([embedder.embed([text]) for text in texts])

    assert np.array_equal(batched, single)


def test_clip_keeps_head_and_tail():
    text = "a" * 1500 + "b" * 1500
    assert clip_text(text) == "a" * 1000 + " " + "b" * 1000
    assert clip_text("short") == "short"
    assert clip_text("x" * 2000) == "x" * 2000


@pytest.mark.parametrize("name", registered_embedders())
def test_long_prompts_are_clipped_and_differing_endings_stay_apart(name):
    embedder = get_embedder(name)
    preamble = " ".join(f"line {i}: the service returned status ok." for i in range(250))
    ask_a = preamble + " Summarise the failures by region and list the top three causes."
    ask_b = preamble + " Translate the whole log into French and keep the timestamps."

    clipped, whole = embedder.embed([clip_text(ask_a), ask_a])
    vector_a, vector_b = embedder.embed([ask_a, ask_b])

    assert len(ask_a) > 10_000
    assert np.array_equal(clipped, whole)
    # A head-only clip would make these two identical (cosine exactly 1). The tail keeps them
    # apart, if only just: the shared preamble still dominates the mean (see embedder.py).
    assert float(vector_a @ vector_b) < 0.9999


def test_unknown_embedder_name_lists_the_registered_ones():
    with pytest.raises(ValueError) as error:
        get_embedder("text-embedding-3-small")
    for name in registered_embedders():
        assert name in str(error.value)


def test_environment_selects_the_embedder_and_an_explicit_name_wins(monkeypatch):
    monkeypatch.setenv("LLMCOST_EMBEDDER", "hashing-char3_5-256")
    assert get_embedder().name == "hashing-char3_5-256"
    assert get_embedder("wordllama-l2_supercat-64").name == "wordllama-l2_supercat-64"
    monkeypatch.setenv("LLMCOST_EMBEDDER", "nope")
    with pytest.raises(ValueError, match="nope"):
        get_embedder()


def test_wordllama_rejects_dims_it_does_not_ship():
    with pytest.raises(ValueError, match="32"):
        WordLlamaEmbedder(32)


def _reference_hash(ngram: str) -> int:
    """FNV-1a over code points seeded with n, then MurmurHash3's fmix64, in plain Python."""
    mask = (1 << 64) - 1
    value = 0xCBF29CE484222325 ^ len(ngram)
    for char in ngram:
        value = ((value ^ ord(char)) * 0x100000001B3) & mask
    value ^= value >> 33
    value = (value * 0xFF51AFD7ED558CCD) & mask
    value ^= value >> 33
    value = (value * 0xC4CEB9FE1A85EC53) & mask
    return value ^ (value >> 33)


def test_hashing_embedder_matches_a_plain_python_reference():
    # "  ABC " prepares to " abc ": 3-grams " ab", "abc", "bc "; 4-grams " abc", "abc ";
    # 5-gram " abc " - six features, each +-1 in its bucket before normalisation.
    ngrams = [" ab", "abc", "bc ", " abc", "abc ", " abc "]
    expected = np.zeros(256)
    for ngram in ngrams:
        value = _reference_hash(ngram)
        expected[value % 256] += -1.0 if value >> 63 else 1.0
    expected /= np.linalg.norm(expected)

    vector = HashingEmbedder().embed(["  ABC "])[0]

    np.testing.assert_allclose(vector, expected, atol=1e-7)
    assert np.count_nonzero(vector) == np.count_nonzero(expected) >= 5


def test_hashing_embedder_ignores_case_and_whitespace_runs():
    first, second = HashingEmbedder().embed(["Hello   World", "hello world"])
    assert np.array_equal(first, second)


def test_hashing_embedder_is_the_same_in_every_process():
    script = (
        "import json\n"
        "from pipelines.savings.embedder import HashingEmbedder\n"
        "print(json.dumps(HashingEmbedder().embed(['Is this stable?'])[0].tolist()))\n"
    )
    runs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                              capture_output=True, text=True, check=True)
        runs.append(json.loads(done.stdout))
    here = HashingEmbedder().embed(["Is this stable?"])[0].tolist()
    assert runs[0] == runs[1] == here
