"""Chunking: a document's sentences grouped into chunks sized for the embedding model's window.

Pure: no model or store. The ingest (`rag.ingest.pipeline`) counts each sentence's tokens with the
embedder and calls `make_chunks`; chunks are embedded beside the sentences and searched as a
second dense signal (`rag.retrieval.retrieve`).
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.ingest.documents import Document


@dataclass(frozen=True)
class Chunk:
    """Consecutive sentences of one section, sized for the model's window."""

    index: int
    first: int  # index of the first sentence
    last: int  # index of the last sentence (inclusive)
    section: str
    text: str


def make_chunks(doc: Document, token_counts: list[int], budget: int) -> list[Chunk]:
    """Group consecutive sentences of the same section into chunks of at most `budget` tokens.

    The section heading leads each chunk's text, so a chunk embeds its context.
    """
    chunks: list[Chunk] = []
    group: list[int] = []
    used = 0

    def flush() -> None:
        if group:
            first, last = group[0], group[-1]
            section = doc.sentences[first].section
            body = " ".join(doc.sentences[i].text for i in group)
            text = f"{section}\n{body}" if section else body
            chunks.append(Chunk(len(chunks), first, last, section, text))

    for sentence, tokens in zip(doc.sentences, token_counts):
        same_section = group and doc.sentences[group[0]].section == sentence.section
        if group and (not same_section or used + tokens > budget):
            flush()
            group, used = [], 0
        group.append(sentence.index)
        used += tokens
    flush()
    return chunks
