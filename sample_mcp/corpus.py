"""The bundled offline corpus and its ranking (Okapi BM25 over title, text and tags)."""

from __future__ import annotations

import functools
import json
import math
import re
from collections import Counter
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = ["Corpus", "Document", "Hit"]

_TOKEN = re.compile(r"[a-z0-9]+(?:[_:.-][a-z0-9]+)*")
_PARTS = re.compile(r"[_:.-]")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def tokenize(text: str) -> list[str]:
    """Lower-case words; `client_id`, `mcp:tools` and `rfc8707` stay whole, and their parts count too."""
    tokens: list[str] = []
    for match in _TOKEN.findall(text.lower()):
        tokens.append(match)
        parts = _PARTS.split(match)
        if len(parts) > 1:
            tokens.extend(part for part in parts if part)
    return tokens


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    text: str
    url: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Hit:
    score: float  # BM25; hits are ranked by it, ties broken on id
    id: str
    title: str
    snippet: str
    url: str


class Corpus:
    """Documents plus a BM25 index; ranking is deterministic (ties break on id)."""

    K1 = 1.2
    B = 0.75

    def __init__(self, documents: list[Document]) -> None:
        self.documents = documents
        self._terms = [
            Counter(tokenize(f"{d.title} {d.title} {d.text} {' '.join(d.tags)}")) for d in documents
        ]
        self._lengths = [sum(c.values()) for c in self._terms]
        self._avg = (sum(self._lengths) / len(self._lengths)) if documents else 1.0
        df: Counter[str] = Counter()
        for counts in self._terms:
            df.update(counts.keys())
        n = len(documents)
        self._idf = {term: math.log(1 + (n - f + 0.5) / (f + 0.5)) for term, f in df.items()}
        # each document's sentences with their words, for the snippets (a Corpus never changes: read once)
        self._sentences = [[(s, tokenize(s)) for s in _SENTENCE.split(d.text)] for d in documents]

    @classmethod
    def load(cls, path: str | Path | None = None) -> Corpus:
        """The corpus in `path`, or the bundled one (indexed once per process: a Corpus is never changed)."""
        if path is None:
            return _bundled()
        return cls._read(path)

    @classmethod
    def _read(cls, path: str | Path | None) -> Corpus:
        if path is None:
            raw = resources.files("sample_mcp").joinpath("data/corpus.json").read_text(encoding="utf-8")
        else:
            raw = Path(path).read_text(encoding="utf-8")
        items = json.loads(raw)
        return cls(
            [Document(i["id"], i["title"], i["text"], i["url"], tuple(i.get("tags", ()))) for i in items]
        )

    def search(self, query: str, limit: int = 5) -> list[Hit]:
        terms = list(dict.fromkeys(tokenize(query)))
        scored: list[tuple[float, int]] = []
        for index, counts in enumerate(self._terms):
            score = 0.0
            norm = self.K1 * (1 - self.B + self.B * self._lengths[index] / self._avg)
            for term in terms:
                tf = counts.get(term, 0)
                if tf:
                    score += self._idf[term] * tf * (self.K1 + 1) / (tf + norm)
            if score > 0:
                scored.append((score, index))
        scored.sort(key=lambda item: (-item[0], self.documents[item[1]].id))
        return [self._hit(i, terms, score) for score, i in scored[:limit]]

    def _hit(self, index: int, terms: list[str], score: float) -> Hit:
        doc = self.documents[index]
        best = max(self._sentences[index], key=lambda pair: sum(1 for t in pair[1] if t in terms))[0]
        snippet = best if len(best) <= 200 else best[:197].rstrip() + "..."
        return Hit(round(score, 4), doc.id, doc.title, snippet, doc.url)


@functools.cache
def _bundled() -> Corpus:
    return Corpus._read(None)
