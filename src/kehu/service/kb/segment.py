"""Chinese word segmentation for the knowledge-base search, without a dictionary.

Every run of CJK characters becomes its single characters and its overlapping bigrams
(``申请退款`` → 申 请 退 款 申请 请退 退款); other words are lower-cased. A query of two characters or
more is matched by its bigrams, so a word in the middle of a text is found ("退款" finds
"如何申请退款流程") whatever a dictionary would have cut; one character is matched by the unigram.
The same function makes the stored document and the query, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")
MAX_QUERY_TOKENS = 32


def _cjk_tokens(run: str, *, unigrams: bool) -> list[str]:
    if len(run) == 1:
        return [run]
    bigrams = [run[index:index + 2] for index in range(len(run) - 1)]
    return (list(run) + bigrams) if unigrams else bigrams


def document_tokens(text: str) -> str:
    """The token document stored on a version: space-separated words, CJK as unigrams and bigrams."""
    tokens: list[str] = []
    for match in _TOKEN.finditer((text or "").replace("\x00", "")):
        word = match.group()
        if _IS_CJK.match(word):
            tokens.extend(_cjk_tokens(word, unigrams=True))
        else:
            tokens.append(word.lower()[:60])
    return " ".join(tokens)


def query_tokens(text: str) -> list[str]:
    """The words of a query (CJK runs as bigrams), de-duplicated in order, at most ``MAX_QUERY_TOKENS``."""
    tokens: list[str] = []
    for match in _TOKEN.finditer((text or "").replace("\x00", "")[:500]):
        word = match.group()
        parts = _cjk_tokens(word, unigrams=False) if _IS_CJK.match(word) else [word.lower()[:60]]
        for part in parts:
            if part not in tokens:
                tokens.append(part)
    return tokens[:MAX_QUERY_TOKENS]


def highlight_terms(text: str) -> list[str]:
    """The pieces of a query to mark in a snippet: its CJK runs and words, longest first."""
    words = {match.group() for match in _TOKEN.finditer((text or "")[:500])}
    return sorted(words, key=lambda word: (-len(word), word))
