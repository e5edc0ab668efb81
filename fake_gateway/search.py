"""The built-in `x_amz_bedrock_agentcore_search` tool (DOC gateway-using-mcp-semantic-search, sheet §6.5).

AWS ranks with embeddings; the emulator ranks with BM25 over tool names and descriptions (names split on `___`,
`_`, `-` and camelCase), which keeps it deterministic and offline. Result shape [SAMPLE]:
`structuredContent.tools` = [{name, description, inputSchema}] (at most 10, most relevant first) and
`content[0].text` = the same object as a JSON string.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Any

__all__ = ["rank_tools", "search_result"]

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "get",
        "i",
        "in",
        "is",
        "it",
        "me",
        "my",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "what",
        "with",
    }
)


def _terms(text: str) -> list[str]:
    words = _WORD.findall(_CAMEL.sub(" ", text).lower())
    return [_stem(w) for w in words if w not in _STOP]


def _stem(word: str) -> str:
    for suffix in ("ing", "ies", "es", "s", "ed"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def rank_tools(query: str, tools: list[dict[str, Any]], limit: int) -> list[dict[str, Any]]:
    """BM25 (k1=1.2, b=0.75) over name (weighted x2) + description; only tools sharing a term are returned."""
    docs = []
    for tool in tools:
        name = str(tool.get("name", ""))
        docs.append(_terms(name.replace("___", " ")) * 2 + _terms(str(tool.get("description") or "")))
    query_terms = _terms(query)
    if not docs or not query_terms:
        return []
    avg = sum(len(d) for d in docs) / len(docs) or 1.0
    df = Counter(term for doc in docs for term in set(doc))
    scored = []
    for index, (tool, doc) in enumerate(zip(tools, docs, strict=True)):
        counts = Counter(doc)
        score = 0.0
        for term in query_terms:
            if term not in counts:
                continue
            idf = math.log(1 + (len(docs) - df[term] + 0.5) / (df[term] + 0.5))
            tf = counts[term]
            score += idf * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len(doc) / avg))
        if score > 0:
            scored.append((-score, index, tool))
    scored.sort()
    return [tool for _, _, tool in scored[:limit]]


def search_result(query: str, tools: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    found = [
        {"name": t["name"], "description": t.get("description", ""), "inputSchema": t.get("inputSchema", {})}
        for t in rank_tools(query, tools, limit)
    ]
    payload = {"tools": found}
    return {
        "content": [{"type": "text", "text": json.dumps(payload)}],
        "structuredContent": payload,
        "isError": False,
    }
