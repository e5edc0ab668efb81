from __future__ import annotations

from sample_mcp.corpus import Corpus, tokenize


def test_bundled_corpus_has_at_least_100_complete_documents() -> None:
    corpus = Corpus.load()
    assert len(corpus.documents) >= 100
    assert len({d.id for d in corpus.documents}) == len(corpus.documents)
    for doc in corpus.documents:
        assert doc.title and doc.text and doc.url.startswith("https://") and doc.tags


def test_tokenize_keeps_compound_terms_and_their_parts() -> None:
    assert tokenize("allowedClients vs client_id, mcp:tools") == [
        "allowedclients",
        "vs",
        "client_id",
        "client",
        "id",
        "mcp:tools",
        "mcp",
        "tools",
    ]


def test_ranking_puts_the_matching_topic_first_and_is_deterministic() -> None:
    corpus = Corpus.load()
    hits = corpus.search("PKCE code verifier S256", limit=3)
    assert hits, "a PKCE query must match"
    assert "pkce" in (hits[0].title + hits[0].snippet).lower()
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits == corpus.search("PKCE code verifier S256", limit=3)


def test_unmatched_query_returns_nothing() -> None:
    assert Corpus.load().search("zzqqxxnotaword", limit=5) == []
