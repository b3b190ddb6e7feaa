"""Prompt and reply text for the demo workload, built deterministically from ``corpus.py``.

Every request of the demo has a prompt -- system prompt, tool definitions, few-shot examples
and conversation -- and a reply, and the records' token counts are derived from that text
(``est_tokens``: a regex count within ~5 % of cl100k on this material; code and JSON ~+10 %).
Whether a record *shows* the text is the generator's decision (content logging); the counts
are the same either way.

Messages are kept in one canonical, OpenAI-chat shape (``{"role", "content"}``, assistant
``tool_calls``, ``{"role": "tool", "tool_call_id", "content"}``) and converted per wire format
when a record is rendered. Long contents made of pooled pieces are ``Parts`` (joined only when
rendered), so the 120,000 calls share their strings instead of holding copies.

What the material gives the savings simulations:

- FAQ features (support-bot, query-rewrite, answer-synthesis, ticket-triage, email-drafts) draw
  questions Zipf-like from ~60 intents: verbatim repeats (canonical wording), paraphrases (other
  wording / slot values) and unique long-tail questions. Replies for one intent and model are
  identical on most calls (``REPLY_STABLE``).
- Long static system prompts sized to ``Feature.system_tokens``, some bumped to a second version
  on a given day; agents send 7-10 tool schemas; ticket-triage, query-rewrite and eval-harness
  send a fixed few-shot block.
- Sessions resend their whole history; agent tool results are pooled file contents, test runs
  and web pages of hundreds of tokens.
- answer-synthesis and doc-qa put retrieved chunks / document sections into the user turn.
"""

from __future__ import annotations

import bisect
import json
import math
import random
import re
import string
import zlib
from collections.abc import Iterable

from pipelines.demo import corpus as C

# --------------------------------------------------------------------------------------------
# Token estimates
# --------------------------------------------------------------------------------------------
_TOKEN_RE = re.compile(r"[A-Za-z]+|[0-9]{1,3}|\s*\n|[^\sA-Za-z0-9]{1,2}")
_EST_CACHE: dict[str, int] = {}
MESSAGE_OVERHEAD = 4  # role and separators per message (what the fingerprint step assumes)
REQUEST_OVERHEAD = 3


def est_tokens(text: str) -> int:
    """cl100k-like token count of ``text`` (cached: the material is made of pooled strings)."""
    n = _EST_CACHE.get(text)
    if n is None:
        n = len(_TOKEN_RE.findall(text))
        if len(_EST_CACHE) < 500_000:
            _EST_CACHE[text] = n
    return n


class Parts:
    """Text made of pooled pieces, with its token count; joined only when rendered."""

    __slots__ = ("pieces", "tokens")

    def __init__(self, pieces: Iterable, tokens: int | None = None):
        flat: list[str] = []
        for item in pieces:
            if isinstance(item, Parts):
                flat.extend(item.pieces)
            else:
                flat.append(item)
        self.pieces = tuple(flat)
        self.tokens = sum(est_tokens(p) for p in flat) if tokens is None else tokens

    def text(self) -> str:
        return "".join(self.pieces)


def text_of(content) -> str | None:
    return content.text() if isinstance(content, Parts) else content


def content_tokens(content) -> int:
    if content is None:
        return 0
    if isinstance(content, Parts):
        return content.tokens
    return est_tokens(content)


def message_tokens(m: dict) -> int:
    n = content_tokens(m.get("content")) + MESSAGE_OVERHEAD
    for call in m.get("tool_calls") or ():
        fn = call["function"]
        n += est_tokens(fn["name"]) + est_tokens(fn["arguments"]) + 3
    return n


def _h(*parts) -> int:
    """A stable hash (Python's str hash is salted per process)."""
    return zlib.crc32("\x1f".join(map(str, parts)).encode())


def _zipf_cum(n: int, s: float) -> list[float]:
    out, total = [], 0.0
    for rank in range(1, n + 1):
        total += 1.0 / rank ** s
        out.append(total)
    return out


def _lognormal(rng: random.Random, median: float, sigma: float) -> int:
    return max(1, int(median * math.exp(rng.gauss(0.0, sigma))))


# --------------------------------------------------------------------------------------------
# Features' text settings
# --------------------------------------------------------------------------------------------
def text_key(team: str, name: str) -> str:
    return "research-agent" if (team, name) == ("research", "agent") else name


# Sampling parameters the client sends (reasoning models get no temperature: the API rejects
# anything but the default).
PARAMS = {
    "answer-synthesis": {"temperature": 0.2, "max_tokens": 800},
    "query-rewrite": {"temperature": 0, "max_tokens": 120, "json": True},
    "support-bot": {"temperature": 0.5, "top_p": 0.9, "max_tokens": 1024, "stream": True},
    "ticket-triage": {"temperature": 0, "max_tokens": 200, "json": True},
    "summarizer": {"temperature": 0.3, "max_tokens": 1024},
    "email-drafts": {"temperature": 0.7, "max_tokens": 1500},
    "lead-enrichment": {"temperature": 0.2, "max_tokens": 1000, "json": True},
    "code-review": {"temperature": 0.2, "max_tokens": 4096, "stream": True},
    "agent": {"max_tokens": 8192},
    "research-agent": {"temperature": 0.3, "max_tokens": 8192},
    "doc-qa": {"temperature": 0.1, "max_tokens": 2000},
    "eval-harness": {"temperature": 0, "max_tokens": 5, "seed": 1234},
}
# Share of calls whose reply for the same intent and model is the usual one.
REPLY_STABLE = {0: 0.92, "default": 0.85}

# FAQ question mix: canonical wording (verbatim repeats), paraphrase, unique long tail.
FAQ_MIX = {
    "support-bot": (0.45, 0.33),
    "query-rewrite": (0.45, 0.35),
    "answer-synthesis": (0.35, 0.40),
    "ticket-triage": (0.30, 0.40),
    "email-drafts": (0.35, 0.40),
}
FAQ_FEATURES = frozenset(FAQ_MIX)
FEW_SHOT_FEATURES = frozenset(C.FEW_SHOT)
INTENT_CUM = _zipf_cum(len(C.INTENTS), 0.9)
CAMPAIGN_CUM = _zipf_cum(len(C.CAMPAIGNS) * len(C.SEGMENTS), 0.8)
COMPANY_CUM = _zipf_cum(6000, 0.6)
DOC_QUESTION_CUM = _zipf_cum(len(C.DOC_QUESTIONS), 0.9)

# Prompt version bumps: text key -> when version 2 ships, in days from the start of the
# period; a negative value counts back from its end, so three bumps fall inside the content
# window (the last days) and the cached prefixes visibly change there.
VERSION_BUMPS = {"support-bot": -0.6, "ticket-triage": -0.35, "agent": -1.3,
                 "answer-synthesis": 0.3}


# --------------------------------------------------------------------------------------------
# System prompts
# --------------------------------------------------------------------------------------------
def _kb_articles() -> tuple[str, ...]:
    return tuple(f"### {i.title}\n{i.answer}" for i in C.INTENTS)


def _titles_by_category() -> tuple[str, ...]:
    cats: dict[str, list[str]] = {}
    for i in C.INTENTS:
        cats.setdefault(i.category, []).append(i.title)
    return tuple(f"- {cat}: " + "; ".join(titles) for cat, titles in cats.items())


def _numbered(rules: Iterable[str]) -> tuple[str, ...]:
    return tuple(f"{n}. {rule}" for n, rule in enumerate(rules, 1))


def _filler(key: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(heading, paragraphs) sections appended after the header until the target size."""
    kb = ("## Knowledge base", _kb_articles())
    shared = ("## General guidelines", C.SHARED_PARAGRAPHS)
    facts = ("## Product facts", C.PRODUCT_FACTS)
    glossary = ("## Glossary", C.GLOSSARY)
    errors = ("## Error codes", C.ERROR_CODES)
    titles = ("## Help Center articles by category", _titles_by_category())
    rules = ("## Rules", C.FEATURE_RULES[key])
    return {
        "support-bot": (shared, facts, kb),
        "answer-synthesis": (shared, facts, titles, glossary, errors),
        "query-rewrite": (rules, ("## Synonyms", C.SYNONYMS), titles),
        "ticket-triage": (rules, titles, errors, facts),
        "summarizer": (rules, glossary, facts),
        "email-drafts": (rules, facts, glossary),
        "lead-enrichment": (rules, facts, glossary),
        "code-review": (("## Style guide", _numbered(C.CODE_STYLE_RULES)),
                        ("## Repository map", C.REPO_MAP), errors, glossary),
        "agent": (rules, ("## Style guide", _numbered(C.CODE_STYLE_RULES)),
                  ("## Repository map", C.REPO_MAP), errors, glossary, shared, facts, kb),
        "research-agent": (rules, facts, glossary, kb, shared),
        "doc-qa": (rules, glossary, facts, shared),
        "eval-harness": (rules, facts, glossary, shared),
    }[key]


def build_system(key: str, target_tokens: int, version: int = 1) -> str:
    """The feature's system prompt: header, (v2 note), then sections until ~target tokens."""
    pieces = [C.SYSTEM_HEADERS[key]]
    if version > 1:
        pieces.append(C.V2_NOTES[key])
    total = sum(est_tokens(p) + 1 for p in pieces)
    for heading, paragraphs in _filler(key):
        if total >= target_tokens:
            break
        pieces.append(heading)
        total += est_tokens(heading) + 1
        for paragraph in paragraphs:
            if total >= target_tokens:
                break
            pieces.append(paragraph)
            total += est_tokens(paragraph) + 1
    return "\n\n".join(pieces)


# --------------------------------------------------------------------------------------------
# Pools built once
# --------------------------------------------------------------------------------------------
def _numbered_code(path: str) -> str:
    lines = C.CODE_FILES[path].splitlines()
    return "\n".join(f"{n:4d}  {line}" for n, line in enumerate(lines, 1))


def _make_diff(path: str, variant: int) -> str:
    """A plausible unified diff of ``path``: a window of lines with a few edits."""
    lines = C.CODE_FILES[path].splitlines()
    rng = random.Random(_h("diff", path, variant))
    size = min(len(lines), rng.randint(14, 40))
    start = rng.randint(0, max(0, len(lines) - size))
    window = lines[start:start + size]
    out = [f"diff --git a/{path} b/{path}", f"--- a/{path}", f"+++ b/{path}"]
    body, added, removed = [], 0, 0
    comment = "//" if path.endswith((".ts", ".tsx")) else "#"
    for line in window:
        r = rng.random()
        stripped = line.strip()
        if stripped and r < 0.12:
            body.append("-" + line)
            body.append("+" + line.replace("  ", "    ", 1).rstrip() + f"  {comment} reviewed")
            removed += 1
            added += 1
        elif stripped and r < 0.18:
            indent = line[: len(line) - len(line.lstrip())]
            body.append(" " + line)
            body.append(f"+{indent}{comment} NOTE({rng.choice(C.FIRST_NAMES).lower()}): "
                        "the empty case is handled by the caller")
            added += 1
        elif stripped and r < 0.22:
            body.append("-" + line)
            removed += 1
        else:
            body.append(" " + line)
    out.append(f"@@ -{start + 1},{size} +{start + 1},{size - removed + added} @@")
    return "\n".join(out + body)


def _test_output(task: int, failing: bool) -> str:
    _, path, target = C.AGENT_TASKS[task]
    name = target.rsplit("/", 1)[-1].removesuffix(".py").removesuffix(".ts")
    runner = "vitest" if target.startswith("web/") else "pytest"
    if runner == "vitest":
        if failing:
            return (f" FAIL  {target} > {name} > handles the edge case\n"
                    "AssertionError: expected 3 to be 4\n"
                    f" ❯ {target}:42:18\n\n Test Files  1 failed (1)\n      Tests  1 failed | "
                    "11 passed (12)\n   Duration  1.84s")
        return (f" ✓ {target} (12 tests) 212ms\n\n Test Files  1 passed (1)\n      Tests  12 "
                "passed (12)\n   Duration  1.62s")
    head = (f"============================= test session starts ==============================\n"
            f"platform linux -- Python 3.12.7, pytest-8.3.3, pluggy-1.5.0\nrootdir: /repo\n"
            f"configfile: pyproject.toml\nplugins: asyncio-0.24.0, cov-5.0.0\n"
            f"collected 14 items\n\n{target} ")
    if not failing:
        return head + ("..............                                   [100%]\n\n"
                       "============================== 14 passed in 2.31s "
                       "==============================")
    code = C.CODE_FILES[path].splitlines()
    excerpt = "\n".join(f"    {line}" for line in code[20:34])
    return head + (
        "......F.......                                   [100%]\n\n"
        "=================================== FAILURES ===================================\n"
        f"___________________________ test_{name.removeprefix('test_')}_edge_case "
        "___________________________\n\n"
        f"{excerpt}\n>       assert result == expected\nE       AssertionError: assert "
        "Decimal('-119.01') == Decimal('-119.00')\n\n"
        f"{path}:47: AssertionError\n=========================== short test summary info "
        "============================\n"
        f"FAILED {target}::test_{name.removeprefix('test_')}_edge_case - AssertionError\n"
        "========================= 1 failed, 13 passed in 2.48s "
        "=========================")


def _search_results(rng: random.Random) -> str:
    picks = rng.sample(range(len(C.RESEARCH_SOURCES)), 6)
    out = []
    for n, i in enumerate(picks, 1):
        title, url = C.RESEARCH_SOURCES[i]
        snippet = C.RESEARCH_PARAGRAPHS[i].split(". ")[0]
        out.append(f"{n}. {title}\n   {url}\n   {snippet}.")
    return "\n".join(out)


def _web_page(rng: random.Random, source: int) -> str:
    title, url = C.RESEARCH_SOURCES[source]
    k = rng.randint(2, 6)
    paras = [C.RESEARCH_PARAGRAPHS[source]] + rng.sample(C.RESEARCH_PARAGRAPHS, k - 1)
    return f"# {title}\n\nSource: {url}\n\n" + "\n\n".join(paras)


def _python_output(rng: random.Random) -> str:
    rows = [f"{name:<22}{rng.uniform(0.1, 15):>10.2f}{rng.uniform(0.5, 60):>10.2f}"
            f"{rng.randint(1000, 90000):>12,}"
            for name in ("small-model-a", "small-model-b", "mid-model", "frontier-model",
                         "frontier-model-mini")[: rng.randint(3, 5)]]
    return (f"{'model':<22}{'in_usd':>10}{'out_usd':>10}{'monthly':>12}\n" + "\n".join(rows)
            + f"\n\ntotal monthly estimate: ${rng.randint(5000, 90000):,}")


def _warehouse_rows(rng: random.Random) -> str:
    cats = ("account", "billing", "shipping", "product", "technical", "api", "security")
    lines = ["category,tickets,search_sessions,deflected_share"]
    for cat in cats:
        lines.append(f"{cat},{rng.randint(200, 5000)},{rng.randint(1000, 40000)},"
                     f"{rng.uniform(0.05, 0.4):.3f}")
    return "\n".join(lines)


class Pools:
    """Tool results, diffs, documents and chunks, built once per generator run."""

    def __init__(self):
        rng = random.Random("demo-pools")
        self.files = {p: _numbered_code(p) for p in C.CODE_FILES}
        self.paths = tuple(C.CODE_FILES)
        self.diffs = {p: tuple(_make_diff(p, v) for v in range(6)) for p in self.paths}
        self.tests = {(t, f): _test_output(t, f) for t in range(len(C.AGENT_TASKS))
                      for f in (True, False)}
        self.listing = "\n".join(sorted({p.rsplit("/", 1)[0] + "/" for p in self.paths}
                                        | set(self.paths)))
        grep = []
        for path in self.paths:
            for n, line in enumerate(C.CODE_FILES[path].splitlines(), 1):
                if "def " in line or "function " in line or "class " in line:
                    grep.append(f"{path}:{n}: {line.strip()}")
        self.grep = tuple("\n".join(rng.sample(grep, rng.randint(6, 20))) for _ in range(24))
        self.searches = tuple(_search_results(rng) for _ in range(40))
        self.pages = tuple(_web_page(rng, i % len(C.RESEARCH_SOURCES)) for i in range(36))
        self.python = tuple(_python_output(rng) for _ in range(20))
        self.warehouse = tuple(_warehouse_rows(rng) for _ in range(12))
        # Help Center chunks for answer-synthesis: one article per intent plus facts.
        self.chunks = tuple(
            f"{i.title}\n{i.answer}\nRelated: {C.INTENTS[(n + 1) % len(C.INTENTS)].title}; "
            f"{C.INTENTS[(n + 7) % len(C.INTENTS)].title}.\nLast updated: "
            f"{1 + n % 28} {('September', 'October', 'November')[n % 3]} 2026"
            for n, i in enumerate(C.INTENTS)) + tuple(
            "Product facts\n" + "\n".join(C.PRODUCT_FACTS[k:k + 4])
            for k in range(0, len(C.PRODUCT_FACTS), 4))
        self.chunk_tokens = sum(est_tokens(c) + 3 for c in self.chunks) / len(self.chunks)
        self.categories = {}
        for n, i in enumerate(C.INTENTS):
            self.categories.setdefault(i.category, []).append(n)
        # doc-qa: each document as sections, extended with numbered boilerplate schedules.
        self.documents = []
        for title, sections in C.DOCUMENTS:
            out = [f"{heading}\n{body}" for heading, body in sections]
            for k in range(120):  # schedules restating the sections for each region / year
                heading, body = sections[k % len(sections)]
                out.append(f"Schedule {k // len(sections) + 1}, item {k % len(sections) + 1}: "
                           f"{heading.split(' ', 1)[-1]} (as amended)\n{body}")
            self.documents.append((title, tuple(out)))
        # Sent form: "Document: title" then sections, each ending in a blank line; the
        # cumulative token counts let a request take the first n sections in O(log n).
        self.doc_heads = tuple(f"Document: {title}\n\n" for title, _ in self.documents)
        self.doc_pieces = tuple(tuple(section + "\n\n" for section in sections)
                                for _, sections in self.documents)
        self.doc_cum = []
        for head, pieces in zip(self.doc_heads, self.doc_pieces, strict=True):
            cum, total = [], est_tokens(head)
            for piece in pieces:
                total += est_tokens(piece)
                cum.append(total)
            self.doc_cum.append(cum)
        self._doc_parts: dict[tuple[int, int], Parts] = {}
        self.eval = self._eval_questions(rng)
        # Filled pieces for tickets and transcripts (slot values drawn once, reused).
        self.details = tuple(_fill(t, rng) for t in C.TICKET_DETAILS * 12)
        self.signatures = tuple(_fill(t, rng) for t in C.SIGNATURES * 10)
        self.quoted = tuple(_fill(C.QUOTED_REPLY, rng) for _ in range(30))
        self.exchanges = []
        for _ in range(600):
            i = rng.choices(range(len(C.INTENTS)), cum_weights=INTENT_CUM)[0]
            block = "\n".join((
                "Customer: " + _fill(rng.choice(C.INTENTS[i].paraphrases), rng),
                C.CHITCHAT[3], "Agent: " + C.INTENTS[i].answer, rng.choice(C.CHITCHAT[5:7]),
                "Customer: " + _fill(rng.choice(C.FOLLOW_UPS), rng),
                "Agent: " + rng.choice(C.FOLLOW_UP_REPLIES))) + "\n"
            self.exchanges.append((i, block, est_tokens(block)))
        self.diff_pieces = {p: tuple(d + "\n" for d in ds) for p, ds in self.diffs.items()}
        self.findings = {}  # code-review comments with the quoted code, per file
        for path in self.paths:
            lines = C.CODE_FILES[path].splitlines()
            out = []
            for _ in range(40):
                line = rng.randrange(len(lines))
                comment = rng.choice(C.REVIEW_COMMENTS).format(path=path, line=line + 1)
                snippet = "\n".join(lines[line:line + rng.randint(2, 8)])
                out.append(f"{comment}\n\n```\n{snippet}\n```")
            self.findings[path] = tuple(out)
        self.retrieval: dict[str, tuple[Parts, int]] = {}

    def doc_parts(self, d: int, n: int) -> Parts:
        """The document header and its first n sections (shared between requests)."""
        key = (d, n)
        parts = self._doc_parts.get(key)
        if parts is None:
            parts = self._doc_parts[key] = Parts(
                (self.doc_heads[d], *self.doc_pieces[d][:n]), self.doc_cum[d][n - 1])
        return parts

    def _eval_questions(self, rng: random.Random) -> tuple[tuple[str, str], ...]:
        out = []
        for question, options, answer in C.EVAL_FACT_QUESTIONS:
            opts = "\n".join(f"({'ABCD'[k]}) {o}" for k, o in enumerate(options))
            out.append((f"Question: {question}\n{opts}\nAnswer:", answer))
        for n, intent in enumerate(C.INTENTS):  # reading comprehension over KB articles
            sentences = intent.answer.split(". ")
            true = sentences[0].rstrip(".") + "."
            others = [C.INTENTS[(n + d) % len(C.INTENTS)].answer.split(". ")[0].rstrip(".") + "."
                      for d in (5, 17, 29)]
            options = others[:]
            pos = rng.randrange(4)
            options.insert(pos, true)
            opts = "\n".join(f"({'ABCD'[k]}) {o}" for k, o in enumerate(options))
            out.append((f"Passage: {intent.answer}\n\nQuestion: Which statement is supported by "
                        f"the passage?\n{opts}\nAnswer:", "ABCD"[pos]))
        for _ in range(400):  # arithmetic on plan prices
            seats, guests, price = rng.randint(3, 80), rng.randint(0, 12), rng.choice((8, 15, 29))
            cost = (seats + max(0, guests - 5)) * price
            wrong = [cost + price, cost - price, seats * price + guests * price]
            wrong = [w for w in dict.fromkeys(wrong) if w != cost][:3]
            while len(wrong) < 3:
                wrong.append(cost + price * (len(wrong) + 2))
            options = wrong[:]
            pos = rng.randrange(4)
            options.insert(pos, cost)
            opts = "\n".join(f"({'ABCD'[k]}) ${o:,}" for k, o in enumerate(options))
            out.append((f"Question: A workspace has {seats} members and {guests} guests on a plan "
                        f"at ${price} per seat per month. Guests are free up to 5. What is the "
                        f"monthly cost?\n{opts}\nAnswer:", "ABCD"[pos]))
        return tuple(out)


# --------------------------------------------------------------------------------------------
# Conversations
# --------------------------------------------------------------------------------------------
_FIELDS: dict[str, tuple[str, ...]] = {}
_SLOT_VALUES = {
    "n": lambda r: r.randint(2, 60), "m": lambda r: r.randint(1, 30),
    "order": lambda r: r.randint(10000, 99999), "proj": lambda r: f"P-{r.randint(1000, 9999)}",
    "ws": lambda r: f"acme-{r.randint(100, 999)}", "name": lambda r: r.choice(C.FIRST_NAMES),
    "day": lambda r: r.randint(1, 28),
    "company": lambda r: r.choice(C.COMPANY_PARTS[0]) + r.choice(C.COMPANY_PARTS[1]),
}


def _fill(template: str, rng: random.Random, canonical: bool = False) -> str:
    """Fill the template's {slots}: canonical = every slot's first value (verbatim repeats)."""
    fields = _FIELDS.get(template)
    if fields is None:
        fields = _FIELDS[template] = tuple(
            dict.fromkeys(f for _, f, _, _ in string.Formatter().parse(template) if f))
    if not fields:
        return template
    values = {}
    for f in fields:
        if f in C.SLOTS:
            values[f] = C.SLOTS[f][0] if canonical else rng.choice(C.SLOTS[f])
        else:
            values[f] = _SLOT_VALUES[f](rng)
    return template.format(**values)


def _joined(pieces: list[str], sep: str = "\n\n") -> Parts:
    """pieces joined by sep, as Parts (token count from the cached piece counts)."""
    out: list[str] = []
    for piece in pieces:
        if out:
            out.append(sep)
        out.append(piece)
    return Parts(out, sum(est_tokens(p) for p in pieces) + est_tokens(sep) * (len(pieces) - 1))


_GREETINGS = ("Hi, ", "Hello! ", "hey - ", "Hi there, ", "Good morning, ", "Quick question: ")
_SIGN_OFFS = (" Thanks!", " thx", " Thank you.", " Thanks in advance.", " Cheers", " pls help")


def _vary(text: str, rng: random.Random) -> str:
    """The same question typed differently: greeting, casing, punctuation, a typo, a sign-off."""
    r = rng.random()
    if r < 0.3:
        text = rng.choice(_GREETINGS) + text[0].lower() + text[1:]
    elif r < 0.45:
        text = text.lower()
    if rng.random() < 0.3:
        text = text.rstrip("?.!")
    if rng.random() < 0.25 and len(text) > 12:
        i = rng.randrange(4, len(text) - 2)
        if text[i].isalpha() and text[i + 1].isalpha():
            text = text[:i] + text[i + 1] + text[i] + text[i + 2:]
    if rng.random() < 0.3:
        text += rng.choice(_SIGN_OFFS)
    return text


def _user(content) -> dict:
    return {"role": "user", "content": content}


def _assistant(content, tool_calls: list | None = None) -> dict:
    m = {"role": "assistant", "content": content}
    if tool_calls:
        m["tool_calls"] = tool_calls
    return m


class Book:
    """Everything shared by all calls: system prompts, tools, few-shot blocks, pools."""

    def __init__(self, features, days: int):
        self.pools = Pools()
        self.tools = {"agent": C.PLATFORM_TOOLS, "research-agent": C.RESEARCH_TOOLS}
        self.tools_chat = {k: [{"type": "function", "function": t} for t in v]
                           for k, v in self.tools.items()}
        self.tools_tokens = {k: est_tokens(json.dumps(v, separators=(",", ":")))
                             for k, v in self.tools_chat.items()}
        self.fewshot = {}
        for key, pairs in C.FEW_SHOT.items():
            msgs = []
            for question, answer in pairs:
                msgs.append(_user(question))
                msgs.append(_assistant(answer))
            self.fewshot[key] = msgs
        self.fewshot_tokens = {k: sum(message_tokens(m) for m in v)
                               for k, v in self.fewshot.items()}
        self.bump_at = {k: (days + at if at < 0 else days * at)
                        for k, at in VERSION_BUMPS.items() if days >= 3}
        self.systems: dict[tuple[str, int], str] = {}
        for f in features:
            key = text_key(f.team, f.name)
            target = f.system_tokens - self.tools_tokens.get(key, 0)
            for version in (1, 2) if key in self.bump_at else (1,):
                self.systems[(key, version)] = build_system(key, target, version)

    def version(self, key: str, t_days: float) -> int:
        """The prompt version in use ``t_days`` days after the start of the period."""
        bump = self.bump_at.get(key)
        return 2 if bump is not None and t_days >= bump else 1

    def system(self, key: str, t_days: float) -> str:
        return self.systems[(key, self.version(key, t_days))]


class Conversation:
    """One episode's prompt: the static prefix and the growing message history."""

    def __init__(self, book: Book, feature, rng: random.Random, model, source: str,
                 t_days: float, ids):
        self.book = book
        self.pools = book.pools
        self.feature = feature
        self.key = text_key(feature.team, feature.name)
        self.rng = rng
        self.model = model
        self.source = source
        self.ids = ids
        self.system = book.system(self.key, t_days)
        self.version = book.version(self.key, t_days)
        self.tools = book.tools_chat.get(self.key)
        self.fewshot = book.fewshot.get(self.key, [])
        self.prefix_tokens = (est_tokens(self.system) + MESSAGE_OVERHEAD
                              + book.tools_tokens.get(self.key, 0)
                              + book.fewshot_tokens.get(self.key, 0))
        self.history: list[dict] = []
        self.history_tokens = 0
        self.intent: int | None = None  # FAQ intent (or campaign) index
        self.question: str | None = None  # the first user turn's question
        self.kind = "free"  # canonical | paraphrase | unique | free
        self.step_plan: list[str] = []
        self.task = 0
        self.notes = 0
        self.rank = 0  # answer-synthesis: position of the answering chunk in the context
        self.topics: list[int] = []  # summarizer: intents discussed in the transcript
        self.doc = (0, 0)  # doc-qa: (document, sections sent)
        self.pending: tuple | None = None  # agents: the tool call awaiting its result
        self.params = PARAMS[self.key]
        self.stable = REPLY_STABLE[0 if self.params.get("temperature") == 0 else "default"]

    # -- prompt ----------------------------------------------------------------------------
    def messages(self) -> list[dict]:
        return self.fewshot + self.history if self.fewshot else list(self.history)

    def input_tokens(self) -> int:
        return self.prefix_tokens + self.history_tokens + REQUEST_OVERHEAD

    def _push(self, m: dict) -> None:
        self.history.append(m)
        self.history_tokens += message_tokens(m)

    def add_reply(self, m: dict) -> None:
        self._push(m)

    # -- FAQ questions -----------------------------------------------------------------------
    def _faq(self) -> str:
        rng = self.rng
        canonical_p, paraphrase_p = FAQ_MIX[self.key]
        r = rng.random()
        if r < canonical_p + paraphrase_p:
            self.intent = rng.choices(range(len(C.INTENTS)), cum_weights=INTENT_CUM)[0]
            paraphrases = C.INTENTS[self.intent].paraphrases
            if r < canonical_p:
                self.kind = "canonical"
                template = paraphrases[0] if rng.random() < 0.8 else paraphrases[1]
                return _fill(template, rng, canonical=True)
            self.kind = "paraphrase"
            text = _fill(rng.choice(paraphrases), rng)
            return _vary(text, rng) if rng.random() < 0.7 else text
        self.kind = "unique"
        if rng.random() < 0.5:  # a known question wrapped in personal details
            self.intent = rng.choices(range(len(C.INTENTS)), cum_weights=INTENT_CUM)[0]
            question = _fill(rng.choice(C.INTENTS[self.intent].paraphrases), rng)
            detail = _fill(rng.choice(C.TICKET_DETAILS), rng)
            return f"{question} {detail}" if rng.random() < 0.5 else f"Hi, {question} {detail}"
        return _fill(rng.choice(C.LONG_TAIL), rng)

    # -- first turn, per feature ---------------------------------------------------------------
    def first_turn(self, size: int) -> None:
        """Append the episode's first user message; ``size`` is the drawn input size."""
        rng = self.rng
        key = self.key
        if key in ("support-bot", "query-rewrite"):
            self.question = self._faq()
            self._push(_user(self.question))
        elif key == "answer-synthesis":
            self.question = self._faq()
            self._push(_user(self._retrieved(self.question, size)))
        elif key == "ticket-triage":
            self.question = self._faq()
            self._push(_user(self._ticket(self.question, size)))
        elif key == "email-drafts":
            self._push(_user(self._email_brief()))
        elif key == "summarizer":
            self._push(_user(self._transcript(size)))
        elif key == "lead-enrichment":
            self._push(_user(self._lead()))
        elif key == "code-review":
            self._push(_user(self._pull_request(size)))
        elif key in ("agent", "research-agent"):
            self._push(_user(self._agent_task()))
        elif key == "doc-qa":
            self._push(_user(self._document(size)))
        elif key == "eval-harness":
            self.intent = rng.randrange(len(self.pools.eval))
            self.question = self.pools.eval[self.intent][0]
            self._push(_user(self.question))
        else:  # pragma: no cover - every feature is handled above
            raise ValueError(key)

    def next_turn(self, size: int) -> None:
        """A chat follow-up (support-bot, code-review); agents add tool results instead."""
        rng = self.rng
        if self.key == "support-bot":
            i = rng.randrange(len(C.FOLLOW_UPS))
            self.kind = f"follow-up-{i}"
            self._push(_user(_fill(C.FOLLOW_UPS[i], rng)))
        else:
            note = rng.choice(C.REVIEW_FOLLOW_UPS)
            self._push(_user(Parts((note, "\n\n```diff\n", self._diffs(size), "\n```"))))

    # -- builders ------------------------------------------------------------------------------
    def _retrieved(self, question: str, size: int) -> Parts:
        """Context chunks chosen by the question (same question -> same chunks)."""
        pools = self.pools
        cached = pools.retrieval.get(question)
        if cached is not None:
            parts, self.rank = cached
            return parts
        r = random.Random(_h("retrieve", question))
        k = max(3, min(40, round(_lognormal(r, size, 0.5) / pools.chunk_tokens)))
        chosen: list[int] = []
        if self.intent is not None:
            intent = C.INTENTS[self.intent]
            siblings = [i for i in pools.categories[intent.category] if i != self.intent]
            chosen.append(self.intent)
            chosen.extend(r.sample(siblings, min(len(siblings), 2)))
            r.shuffle(chosen)
        while len(chosen) < k:
            c = r.randrange(len(pools.chunks))
            if c not in chosen:
                chosen.append(c)
        self.rank = chosen.index(self.intent) + 1 if self.intent in chosen else 0
        parts = ["Context:\n"]
        for n, c in enumerate(chosen, 1):
            parts += [f"[{n}] ", pools.chunks[c], "\n\n"]
        parts += ["Question: ", question]
        out = Parts(parts)
        if len(pools.retrieval) < 50_000:
            pools.retrieval[question] = (out, self.rank)
        return out

    def _ticket(self, question: str, size: int) -> Parts:
        rng = self.rng
        pools = self.pools
        title = C.INTENTS[self.intent].title if self.intent is not None else "Question"
        if self.kind == "canonical":  # the contact form's fixed wording
            return Parts((f"Subject: {title}\n\nCategory selected: "
                          f"{C.INTENTS[self.intent].category}\n\n", question))
        subject = f"Subject: {question[:60]}\n\n"
        parts = [subject, question]
        total = est_tokens(subject) + est_tokens(question)
        used: set[str] = set()
        while total < size:
            piece = " " + rng.choice(pools.details)
            if piece[:20] in used or rng.random() < 0.1:
                piece = rng.choice(pools.quoted)
            used.add(piece[:20])
            parts.append(piece)
            total += est_tokens(piece)
        signature = "\n\n" + rng.choice(pools.signatures)
        parts.append(signature)
        return Parts(parts, total + est_tokens(signature))

    def _email_brief(self) -> str:
        rng = self.rng
        canonical_p, paraphrase_p = FAQ_MIX["email-drafts"]
        self.intent = rng.choices(range(len(C.CAMPAIGNS) * len(C.SEGMENTS)),
                                  cum_weights=CAMPAIGN_CUM)[0]
        campaign = C.CAMPAIGNS[self.intent % len(C.CAMPAIGNS)]
        segment = C.SEGMENTS[self.intent // len(C.CAMPAIGNS)]
        r = rng.random()
        if r < canonical_p:
            self.kind = "canonical"
            template = C.EMAIL_BRIEFS[0]
        else:
            self.kind = "paraphrase" if r < canonical_p + paraphrase_p else "unique"
            template = rng.choice(C.EMAIL_BRIEFS[1:])
        brief = template.format(campaign=campaign[1], segment=segment[1])
        brief += f" Link: {campaign[3]}"
        if self.kind == "unique":
            used = rng.choice(("automations", "portals", "exports", "Jira sync"))
            brief += (f"\n\nRecipient: {rng.choice(C.FIRST_NAMES)} at "
                      f"{rng.choice(C.COMPANY_PARTS[0])}{rng.choice(C.COMPANY_PARTS[1])}, "
                      f"{rng.choice(C.SLOTS['plan'])} plan, {rng.randint(3, 120)} seats, most "
                      f"used feature: {used}, last active {rng.randint(1, 60)} days ago.")
        self.question = brief
        return brief

    def _transcript(self, size: int) -> Parts:
        rng = self.rng
        head = ("Summarise this support conversation for the CRM.\n\nTranscript:\n"
                f"{C.CHITCHAT[0]}\n{C.CHITCHAT[1]}\n")
        tail = f"{C.CHITCHAT[7]}\n{C.CHITCHAT[8]}\n{C.CHITCHAT[9]}"
        parts, total = [head], est_tokens(head) + est_tokens(tail)
        self.topics = []
        while total < size:
            intent, block, tokens = rng.choice(self.pools.exchanges)
            self.topics.append(intent)
            parts.append(block)
            total += tokens
        parts.append(tail)
        return Parts(parts, total)

    def _lead(self) -> str:
        rng = self.rng
        n = rng.choices(range(6000), cum_weights=COMPANY_CUM)[0]
        self.intent = n
        a, b, c = C.COMPANY_PARTS
        name = a[n % len(a)] + b[(n // len(a)) % len(b)] + c[(n // 7) % len(c)]
        domain = (a[n % len(a)] + b[(n // len(a)) % len(b)]).lower() + ".com"
        r = random.Random(_h("lead", n))
        notes = "\n".join("- " + note for note in r.sample(C.CRM_NOTES, r.randint(2, 6)))
        record = json.dumps({"company": name, "domain": domain, "owner": r.choice(C.FIRST_NAMES),
                             "stage": r.choice(("lead", "MQL", "SQL", "opportunity")),
                             "source": r.choice(("inbound", "event", "partner", "outbound")),
                             "employees": None, "industry": None, "country": None})
        self.question = (f"Company: {name}\nDomain: {domain}\n\nCRM notes:\n{notes}\n\n"
                         f"Current CRM record:\n{record}")
        return self.question

    def _diffs(self, size: int) -> Parts:
        rng = self.rng
        parts, total = [], 0
        for path in rng.sample(self.pools.paths, len(self.pools.paths)):
            diff = rng.choice(self.pools.diff_pieces[path])
            parts.append(diff)
            total += est_tokens(diff)
            if total >= size:
                break
        return Parts(parts, total)

    def _pull_request(self, size: int) -> Parts:
        rng = self.rng
        task = rng.randrange(len(C.AGENT_TASKS))
        self.task = task
        title = C.AGENT_TASKS[task][0].split(". ")[0]
        return Parts((f"Please review PR #{rng.randint(3000, 9999)}: {title}\n\n"
                      f"{C.AGENT_TASKS[task][0]}\n\n```diff\n", self._diffs(size), "\n```"))

    def _agent_task(self) -> str:
        rng = self.rng
        if self.key == "agent":
            self.task = rng.randrange(len(C.AGENT_TASKS))
            task, path, test = C.AGENT_TASKS[self.task]
            return (f"Task: {task}\n\nRepository: acme/monorepo, branch main. The relevant code "
                    f"is probably in {path}; tests in {test}. Reported by "
                    f"{rng.choice(C.FIRST_NAMES)}; CI run #{rng.randint(10000, 99999)} shows the "
                    "failure.")
        self.task = rng.randrange(len(C.RESEARCH_TASKS))
        return (f"Research question: {C.RESEARCH_TASKS[self.task]}\n\nRequested by "
                f"{rng.choice(C.FIRST_NAMES)} for the {rng.randint(1, 28)} December strategy "
                "review; deliver a brief by end of day.")

    def _document(self, size: int) -> Parts:
        rng = self.rng
        pools = self.pools
        d = rng.randrange(len(pools.documents))
        q = rng.choices(range(len(C.DOC_QUESTIONS)), cum_weights=DOC_QUESTION_CUM)[0]
        question = C.DOC_QUESTIONS[q]
        self.intent, self.question = q, _vary(question, rng) if rng.random() < 0.6 else question
        # Documents are sent in steps of 10 sections, so uploads of one document recur.
        cum = pools.doc_cum[d]
        n = min(len(cum), 10 * (1 + bisect.bisect_left(cum, size) // 10))
        self.doc = (d, n)
        doc = pools.doc_parts(d, n)
        tail = "Question: " + self.question
        return Parts((doc, tail), doc.tokens + est_tokens(tail))

    def long_document(self, target: int) -> None:
        """A huge upload (long-context requests): every document, repeated as appendices."""
        pools = self.pools
        parts = ["Document: Vendor due-diligence pack (all contracts and annexes)\n\n"]
        total, k = est_tokens(parts[0]), 0
        while total < target:
            d = k % len(pools.documents)
            doc = pools.doc_parts(d, len(pools.doc_pieces[d]))
            heading = f"Appendix {k + 1}\n"
            parts += [heading, doc]
            total += est_tokens(heading) + doc.tokens
            k += 1
        self.intent, self.question = 20, C.DOC_QUESTIONS[20]
        tail = "Question: " + self.question
        parts.append(tail)
        self._push(_user(Parts(parts, total + est_tokens(tail))))

    # -- replies -------------------------------------------------------------------------------
    def _variant(self) -> int:
        return 0 if self.rng.random() < self.stable else self.rng.randint(1, 3)

    def reply(self, target: int, tool_step: bool) -> dict:
        """The assistant message for the current call (not yet added to the history)."""
        key = self.key
        if tool_step:
            return self._tool_call()
        if key in ("agent", "research-agent"):
            return _assistant(self._final_report(target))
        if key == "support-bot":
            if len(self.history) > 1:
                i = int(self.kind.rsplit("-", 1)[-1]) if self.kind.startswith("follow-up") else 0
                return _assistant(C.FOLLOW_UP_REPLIES[FOLLOW_UP_REPLY[i]])
            return _assistant(self._faq_answer(cite=False))
        if key == "answer-synthesis":
            return _assistant(self._faq_answer(cite=True))
        if key == "query-rewrite":
            return _assistant(self._queries())
        if key == "ticket-triage":
            return _assistant(self._triage())
        if key == "email-drafts":
            return _assistant(self._email())
        if key == "summarizer":
            return _assistant(self._summary())
        if key == "lead-enrichment":
            return _assistant(self._enrichment())
        if key == "code-review":
            return _assistant(self._review(target))
        if key == "doc-qa":
            return _assistant(self._doc_answer(target))
        if key == "eval-harness":
            return _assistant(self._eval_answer())
        raise ValueError(key)  # pragma: no cover

    def _style(self, variant: int) -> int:
        return _h(self.model.name, variant)

    def _faq_answer(self, cite: bool) -> str:
        variant = self._variant()
        style = self._style(variant)
        if self.intent is None:
            return (f"{C.OPENERS[style % len(C.OPENERS)]} I don't have enough information to "
                    "answer that reliably. I've passed your question to a human agent, who "
                    "will reply by email within 4 business hours.")
        intent = C.INTENTS[self.intent]
        body = intent.answer
        if cite:
            rank = self.rank or 1
            first, _, rest = body.partition(". ")
            body = f"{first} [{rank}]. {rest}" if rest else f"{first} [{rank}]"
            if style % 3 == 1:
                body = "According to the Help Center: " + body[0].lower() + body[1:]
            if variant:
                related = C.INTENTS[(self.intent + variant) % len(C.INTENTS)].title
                body += f"\n\nSee also: {related}."
            if self.version > 1:
                body += "\n\nApplies to: all plans."
            return body
        opener = C.OPENERS[style % len(C.OPENERS)]
        closer = C.CLOSERS[(style >> 4) % len(C.CLOSERS)]
        related = C.INTENTS[(self.intent + 1 + variant) % len(C.INTENTS)]
        tip = (f"Related tip ({related.title.lower()}): "
               + ". ".join(related.answer.split(". ")[:2]).rstrip(".") + ".")
        return f"{opener}\n\n{body}\n\n{tip}\n\n{closer}"

    def _queries(self) -> str:
        if self.intent is None:
            words = re.findall(r"[a-z]+", (self.question or "").lower())
            return json.dumps({"queries": [" ".join(words[:5])]})
        queries = list(C.INTENTS[self.intent].queries)
        if self._variant():
            queries = queries[:1]
        return json.dumps({"queries": queries})

    def _triage(self) -> str:
        variant = self._variant()
        if self.intent is None:
            out = {"category": "other", "priority": "p3", "language": "en",
                   "summary": " ".join((self.question or "").split()[:10]), "needs_human": True}
        else:
            intent = C.INTENTS[self.intent]
            priority = intent.priority
            if variant and priority != "p1":
                priority = f"p{min(4, int(priority[1]) + 1)}"
            out = {"category": intent.category, "priority": priority, "language": "en",
                   "summary": intent.title,
                   "needs_human": priority in ("p1", "p2")}
            if self.version > 1 and intent.key == "device_setup":
                out["summary"] = "FW3.2: " + intent.title
        return json.dumps(out)

    def _email(self) -> str:
        variant = self._variant()
        campaign = C.CAMPAIGNS[self.intent % len(C.CAMPAIGNS)]
        segment = C.SEGMENTS[self.intent // len(C.CAMPAIGNS)]
        r = random.Random(_h("email", self.intent, self.model.name, variant))
        subject = campaign[4] if r.random() < 0.6 else f"{campaign[2]} - a note from Acme"
        body = [f"Subject: {subject[:60]}", f"Preheader: {campaign[4][:88]}", "",
                r.choice(("Hi there,", "Hello,", "Hi {first_name},")), "",
                f"{campaign[4]}.", f"As one of our {segment[1]}, you're among the first to "
                "hear about it."]
        body += [p for p in r.sample(C.EMAIL_BODY, r.randint(3, 6))]
        body += ["", f"[CTA: {campaign[2]} -> {campaign[3]}?utm_source=email&utm_campaign="
                     f"{campaign[0]}]", "", "The Acme team"]
        return "\n".join(body[:6]) + "\n\n" + "\n\n".join(body[6:])

    def _summary(self) -> str:
        topics = self.topics or [0]
        first = C.INTENTS[topics[0]]
        lines = [f"- **Issue**: {first.title} ({first.category})."]
        if len(topics) > 1:
            lines.append("- **Context**: also asked about "
                         + ", ".join(C.INTENTS[t].title.lower() for t in topics[1:4]) + ".")
        for t in topics[:3]:
            lines.append(f"- **Steps taken**: {C.INTENTS[t].answer.split('. ')[0]}.")
        lines += ["- **Resolution**: answered in chat; customer confirmed it worked.",
                  "- **Follow-ups**: none.",
                  f"- **Sentiment**: {('neutral', 'positive', 'frustrated')[len(topics) % 3]}."]
        return "\n".join(lines[:8])

    def _enrichment(self) -> str:
        r = random.Random(_h("enrich", self.intent, self._variant()))
        return json.dumps({
            "industry": r.choice(C.INDUSTRIES), "size": r.choice(C.SIZES),
            "hq_country": r.choice(C.COUNTRIES), "tools": r.sample(C.PM_TOOLS, r.randint(1, 3)),
            "news": (f"Raised a Series {r.choice('ABC')} round in "
                     f"{r.choice(('March', 'June', 'September'))} 2026."
                     if r.random() < 0.5 else None),
            "confidence": round(r.uniform(0.4, 0.95), 2)}, indent=2)

    def _review(self, target: int) -> Parts:
        rng = self.rng
        findings = self.pools.findings[rng.choice(self.pools.paths)]
        out = [rng.choice(("Thanks - a few things before this can merge:",
                           "Overall this looks good. Findings:",
                           "I found some issues; the first one is blocking."))]
        total = est_tokens(out[0])
        while total < target:
            piece = rng.choice(findings)
            out.append(piece)
            total += est_tokens(piece) + 1
        return _joined(out)

    def _doc_answer(self, target: int) -> Parts:
        d, _ = self.doc
        title, sections = self.pools.documents[d]
        r = random.Random(_h("docqa", d, self.intent, self.model.name, self._variant()))
        target = _lognormal(r, self.feature.output_median, 0.5)  # same question, same answer
        first = sections[r.randrange(min(10, len(sections)))]
        number, _, body = first.partition(" ")
        out = [f"Section {number} says: \"{body.split(chr(10), 1)[-1]}\""]
        total = est_tokens(out[0])
        while total < target:
            extra = sections[r.randrange(len(sections))]
            piece = "This is consistent with " + extra.split("\n", 1)[0] + ": " + \
                extra.split("\n", 1)[-1]
            out.append(piece)
            total += est_tokens(piece)
        return _joined(out)

    def _eval_answer(self) -> str:
        answer = self.pools.eval[self.intent][1]
        if _h("eval", self.intent, self.model.name) % 100 < 15:  # this model gets it wrong
            return "ABCD"[("ABCD".index(answer) + 1) % 4]
        return answer

    # -- agents --------------------------------------------------------------------------------
    def plan_steps(self, n: int) -> None:
        """The tool calls of an n-call agent episode (n-1 tool steps and a final answer)."""
        rng = self.rng
        steps = n - 1
        if self.key == "agent":
            core = ["read_file", "search_code", "run_tests:fail", "edit_file", "run_tests:pass"]
            extras = ["read_file:other", "search_code", "list_dir", "run_tests:fail",
                      "edit_file", "web_search", "read_file:other", "run_shell"]
            tail = ["run_shell", "git_diff", "open_pull_request"]
        else:
            core = ["web_search", "fetch_url", "save_note", "web_search", "read_pdf",
                    "run_python", "save_note"]
            extras = ["web_search", "fetch_url", "save_note", "query_warehouse", "run_python",
                      "fetch_url"]
            tail = ["list_notes"]
        plan = core[:steps]
        while len(plan) + len(tail) < steps:
            plan.insert(rng.randint(2, len(plan)), rng.choice(extras))
        plan += tail[: steps - len(plan)]
        self.step_plan = plan

    def _tool_call(self) -> dict:
        rng = self.rng
        step = self.step_plan[len([m for m in self.history if m.get("tool_calls")])]
        name, _, flavour = step.partition(":")
        task, path, test = (C.AGENT_TASKS[self.task] if self.key == "agent"
                            else (C.RESEARCH_TASKS[self.task], "", ""))
        if flavour == "other":
            path = rng.choice(self.pools.paths)
        args: dict = {}
        if name == "read_file":
            args = {"path": path}
        elif name == "search_code":
            args = {"pattern": rng.choice(("def (save|round)_", "vat_rate_for|quantize",
                                           "Retry-After", "consecutive_failures", "iter_tasks")),
                    "glob": "services/**/*.py"}
        elif name == "list_dir":
            args = {"path": path.rsplit("/", 2)[0]}
        elif name == "run_tests":
            args = {"target": test}
        elif name == "edit_file":
            lines = C.CODE_FILES[path].splitlines()
            at = rng.randrange(max(1, len(lines) - 6))
            old = "\n".join(lines[at:at + rng.randint(2, 6)])
            args = {"path": path, "old_text": old,
                    "new_text": old + "\n" + "    # handle the empty and negative cases"}
        elif name == "run_shell":
            args = {"command": f"ruff check {path} && mypy --strict {path}"}
        elif name == "git_diff":
            args = {"paths": [path]}
        elif name == "open_pull_request":
            args = {"title": task.split(". ")[0][:72],
                    "body": f"{task}\n\nTested with `pytest {test}`.",
                    "branch": f"forge/{_h(task) % 100000}"}
        elif name == "web_search":
            args = {"query": " ".join(task.split()[:8]).rstrip(",.?")}
        elif name in ("fetch_url", "read_pdf"):
            args = {"url": rng.choice(C.RESEARCH_SOURCES)[1]}
            if name == "read_pdf":
                args["pages"] = f"1-{rng.randint(3, 12)}"
        elif name == "run_python":
            args = {"code": "import pandas as pd\nrows = [...]\ndf = pd.DataFrame(rows)\n"
                            "df['monthly'] = df.in_usd * 1.2e3 + df.out_usd * 3.1e2\n"
                            "print(df.to_string(index=False))"}
        elif name == "query_warehouse":
            args = {"sql": "select category, count(*) as tickets from tickets "
                           "where created_at >= now() - interval 90 day group by 1"}
        elif name == "save_note":
            self.notes += 1
            args = {"claim": rng.choice(C.RESEARCH_PARAGRAPHS).split(". ")[0],
                    "url": rng.choice(C.RESEARCH_SOURCES)[1], "published": "2026-09-30"}
        thought = C.AGENT_THOUGHTS[name].format(path=path)
        if self.key == "research-agent" and name == "web_search":
            thought = "I'll search for primary sources on this."
        if not self.history[1:] and rng.random() < 0.8:  # a plan before the first tool call
            thought = (PLANS[self.key] + "\n\n" + thought)
        call_id = self.ids.tool_call(self.source)
        self.pending = (name, flavour, path, test, call_id)
        arguments = json.dumps(args)
        return _assistant(thought, [{"id": call_id, "type": "function",
                                     "function": {"name": name, "arguments": arguments}}])

    def tool_result(self) -> None:
        """Append the result of the tool call made by the previous reply."""
        rng = self.rng
        name, flavour, path, test, call_id = self.pending
        pools = self.pools
        if name == "read_file":
            content = pools.files[path]
        elif name == "search_code":
            content = rng.choice(pools.grep)
        elif name == "list_dir":
            content = pools.listing
        elif name == "run_tests":
            content = pools.tests[(self.task, flavour == "fail")]
        elif name == "edit_file":
            content = f"Edited {path}: replaced 1 occurrence."
        elif name == "run_shell":
            content = "All checks passed!\nSuccess: no issues found in 1 source file"
        elif name == "git_diff":
            content = rng.choice(pools.diffs[path])
        elif name == "open_pull_request":
            content = f"Opened draft pull request #{rng.randint(4000, 9999)}."
        elif name == "web_search":
            content = rng.choice(pools.searches)
        elif name in ("fetch_url", "read_pdf"):
            content = rng.choice(pools.pages)
        elif name == "run_python":
            content = rng.choice(pools.python)
        elif name == "query_warehouse":
            content = rng.choice(pools.warehouse)
        elif name == "save_note":
            content = f"Saved note {self.notes}."
        else:
            content = "\n".join(f"{k}. {C.RESEARCH_PARAGRAPHS[k].split('. ')[0]}"
                                for k in range(1, max(2, self.notes) + 1))
        self._push({"role": "tool", "tool_call_id": call_id, "content": content})

    def _final_report(self, target: int) -> Parts:
        rng = self.rng
        if self.key == "agent":
            task, path, test = C.AGENT_TASKS[self.task]
            out = [f"Done. {task.split('. ')[0]}.",
                   f"**Changes**\n- `{path}`: fixed the behaviour described in the task.\n"
                   f"- `{test}`: added a regression test that fails without the fix.",
                   f"**Verification**\n- `{'vitest' if path.startswith('web') else 'pytest'} "
                   f"{test}`: all tests pass.\n- ruff and mypy --strict: clean."]
            pool = C.AGENT_RULES + C.CODE_STYLE_RULES
        else:
            out = [f"**Answer.** {rng.choice(C.RESEARCH_PARAGRAPHS)}",
                   "| item | value | source |\n|---|---|---|\n" + "\n".join(
                       f"| {C.RESEARCH_SOURCES[k][0][:30]} | {rng.randint(2, 90)} | [{n}] |"
                       for n, k in enumerate(rng.sample(range(len(C.RESEARCH_SOURCES)), 4), 1))]
            pool = C.RESEARCH_PARAGRAPHS
        total = sum(est_tokens(p) for p in out)
        while total < target:
            piece = "- " + rng.choice(pool)
            out.append(piece)
            total += est_tokens(piece)
        if self.key == "research-agent":
            out.append("**Sources**\n" + "\n".join(f"[{n}] {t} - {u}" for n, (t, u) in
                                                    enumerate(C.RESEARCH_SOURCES[:4], 1)))
        return _joined(out)


PLANS = {
    "agent": "Plan:\n1. Read the relevant code and tests.\n2. Reproduce the problem.\n"
             "3. Make the smallest fix.\n4. Run the tests and linters.",
    "research-agent": "Plan:\n1. Search broadly for primary sources.\n2. Read the best two to "
                      "five in full and save the key numbers as notes.\n3. Run the numbers in "
                      "Python.\n4. Write the brief with sources.",
}

# support-bot follow-up i -> the reply that answers it
FOLLOW_UP_REPLY = (0, 1, 0, 3, 2, 4, 4, 9, 5, 7, 6, 8)
assert len(FOLLOW_UP_REPLY) == len(C.FOLLOW_UPS)


def reply_tokens(m: dict) -> int:
    """Visible output tokens of an assistant message."""
    return message_tokens(m) - MESSAGE_OVERHEAD


# --------------------------------------------------------------------------------------------
# Wire conversions
# --------------------------------------------------------------------------------------------
def to_openai_chat(messages: list[dict]) -> list[dict]:
    out = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, Parts):
            m = dict(m, content=content.text())
        out.append(m)
    return out


def to_responses_input(messages: list[dict]) -> list[dict]:
    out = []
    for m in messages:
        content = text_of(m.get("content"))
        if m["role"] == "tool":
            out.append({"type": "function_call_output", "call_id": m["tool_call_id"],
                        "output": content})
        elif m.get("tool_calls"):
            if content:
                out.append({"role": "assistant", "content": content})
            for call in m["tool_calls"]:
                out.append({"type": "function_call", "call_id": call["id"],
                            "name": call["function"]["name"],
                            "arguments": call["function"]["arguments"]})
        else:
            out.append({"role": m["role"], "content": content})
    return out


def to_anthropic(messages: list[dict], cache_last: bool) -> list[dict]:
    """Anthropic messages: tool calls as tool_use blocks, results as user tool_result blocks
    (consecutive results merged into one user turn); with ``cache_last`` the last block
    carries the session's cache breakpoint."""
    out: list[dict] = []
    for m in messages:
        content = text_of(m.get("content"))
        if m["role"] == "tool":
            block = {"type": "tool_result", "tool_use_id": m["tool_call_id"], "content": content}
            if out and out[-1]["role"] == "user" and isinstance(out[-1]["content"], list):
                out[-1]["content"].append(block)
            else:
                out.append({"role": "user", "content": [block]})
        elif m.get("tool_calls"):
            blocks = [{"type": "text", "text": content}] if content else []
            for call in m["tool_calls"]:
                blocks.append({"type": "tool_use", "id": call["id"],
                               "name": call["function"]["name"],
                               "input": json.loads(call["function"]["arguments"])})
            out.append({"role": "assistant", "content": blocks})
        else:
            out.append({"role": m["role"], "content": content})
    if cache_last and out:
        last = out[-1]
        blocks = last["content"]
        if isinstance(blocks, str):
            blocks = [{"type": "text", "text": blocks}]
        else:
            blocks = [dict(b) for b in blocks]
        blocks[-1]["cache_control"] = {"type": "ephemeral"}
        out[-1] = {"role": last["role"], "content": blocks}
    return out


def tools_for(api: str, tools_chat: list[dict] | None) -> list[dict] | None:
    if not tools_chat:
        return None
    if api == "chat":
        return tools_chat
    if api == "responses":
        return [{"type": "function", "name": t["function"]["name"],
                 "description": t["function"]["description"],
                 "parameters": t["function"]["parameters"], "strict": False}
                for t in tools_chat]
    return [{"name": t["function"]["name"], "description": t["function"]["description"],
             "input_schema": t["function"]["parameters"]} for t in tools_chat]
