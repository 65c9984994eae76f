"""The sentence table: every committed sentence of the index as columns, with its BM25 index.

`SentenceTable.load(index)` returns the table for the index's current generation: read from the
snapshot that the first process to need it saved (`rag.retrieval.table_store`), else built from
Chroma (and saved). Rows are `Candidate`s when retrieval takes them.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rag.contracts import Candidate
from rag.ingest.store import Index
from rag.retrieval import table_store
from rag.text import stems


@dataclass
class SentenceTable:
    """All committed sentences of the index, with a BM25 index over them.

    Rows are sorted by (source, sentence index). A row keeps its text and small integer columns
    (numpy); ids, metadata dicts, (doc_id, idx) positions, chunk rows and each document's
    vocabulary are derived when asked for. A dict per sentence cost ~2.3 KB a sentence (1 GB at
    100k chunks); the columns cost ~40 bytes beside the text.
    """

    generation: str
    # a list when built, `rag.retrieval.table_store.Texts` (read from file) when read
    texts: Sequence[str]
    columns: dict[str, np.ndarray]  # doc, idx, start, end, chunk, block, section, kind
    doc_keys: list[tuple[str, str, str, str]]  # doc column → (doc_id, sha, source, title)
    sections: list[str]  # section column → heading
    kinds: list[str]  # kind column → "paragraph" / "bullet"
    idf: dict[str, float]
    bm25: Any = None
    idf_max: float = 1.0  # weight of a word no sentence has (max over 100k+ stems: once)
    docs: dict[str, Mapping[str, Any]] = field(default_factory=dict)  # `_DocInfo`s
    doc_rows: dict[str, tuple[int, int]] = field(default_factory=dict)  # from the doc column

    @classmethod
    def load(cls, index: Index) -> SentenceTable:
        """The table of the index's current generation: its snapshot when one was saved (a
        second or two at 100k chunks), else built from Chroma (minutes there) and saved."""
        generation = index.generation()
        committed = {r.doc_id: r for r in index.documents()}
        folder = table_store.folder(index, generation)
        stored = table_store.read(folder, generation, committed)
        if stored is None:
            built = cls.build(index, generation, committed)
            if not table_store.write(built, folder):
                return built  # could not save (read-only place, full disk): keep it in memory
            # Read it back: texts read from file and mapped BM25 arrays cost less than the built.
            stored = table_store.read(folder, generation, committed)
            if stored is None:
                return built
        table = cls(**stored)
        table.docs = {r.doc_id: _DocInfo(table, r, index.edits) for r in committed.values()}
        return table

    @classmethod
    def build(cls, index: Index, generation: str, committed: dict[str, Any]) -> SentenceTable:
        """Read every committed sentence from Chroma; stem them; index them for BM25."""
        import bm25s

        texts: list[str] = []
        names = ("doc", "idx", "start", "end", "chunk", "block", "section", "kind")
        columns = {name: array("i") for name in names}  # 4 bytes a value while loading
        doc_keys: dict[tuple[str, str, str, str], int] = {}
        sections: dict[str, int] = {}
        kinds: dict[str, int] = {}
        for text, meta in _committed_sentences(index, committed):
            texts.append(text)
            key = (meta["doc_id"], meta["sha"], meta["source"], meta["title"])
            columns["doc"].append(doc_keys.setdefault(key, len(doc_keys)))
            for name in ("idx", "start", "end", "chunk", "block"):
                columns[name].append(int(meta.get(name, 0)))
            columns["section"].append(sections.setdefault(meta.get("section", ""),
                                                          len(sections)))
            columns["kind"].append(kinds.setdefault(meta.get("kind", "paragraph"), len(kinds)))
        keys = list(doc_keys)
        # Sort by (source, idx) as one would sort the rows' metadata.
        source_rank = np.argsort(np.argsort([k[2] for k in keys], kind="stable"))
        arrays = {name: np.frombuffer(values, dtype=np.int32).copy()
                  for name, values in columns.items()}
        del columns
        order = (np.lexsort((arrays["idx"], source_rank[arrays["doc"]])) if texts
                 else np.zeros(0, dtype=np.int64))
        arrays = {name: values[order] for name, values in arrays.items()}
        texts = [texts[i] for i in order]
        section_names = list(sections)
        # Stem each text once; a section's stems are shared by all of its sentences. Interned
        # stems keep a 100k-chunk table's token sets from holding a copy of every word.
        section_stems = [[sys.intern(s) for s in stems(name)] for name in section_names]
        tokens = [[sys.intern(s) for s in stems(t)] + section_stems[section]
                  for t, section in zip(texts, arrays["section"].tolist())]
        df = Counter(s for toks in tokens for s in set(toks))
        n = max(1, len(tokens))
        idf = {s: math.log((n + 1) / (c + 0.5)) for s, c in df.items()}
        bm25 = None
        if tokens:
            bm25 = bm25s.BM25()
            bm25.index(tokens, show_progress=False)
        del tokens
        table = cls(generation, texts, arrays, keys, section_names, list(kinds), idf, bm25,
                    idf_max=max(idf.values(), default=1.0))
        table.docs = {r.doc_id: _DocInfo(table, r, index.edits) for r in committed.values()}
        return table

    def __post_init__(self) -> None:
        # A document's rows are consecutive (rows are sorted by source): doc_id → [first, end).
        doc = self.columns["doc"]
        boundaries = (np.flatnonzero(np.diff(doc)) + 1).tolist()
        for first, end in zip([0, *boundaries], [*boundaries, len(doc)]):
            if end > first:
                self.doc_rows[self.doc_keys[int(doc[first])][0]] = (first, end)

    # ---- rows --------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def ids(self) -> _Ids:
        """row → sentence id `doc_id:sha:sN` (the Chroma id)."""
        return _Ids(self)

    @property
    def metas(self) -> _Metas:
        """row → the sentence's metadata dict, as stored in Chroma."""
        return _Metas(self)

    @property
    def position(self) -> _Positions:
        """(doc_id, sentence idx) → row."""
        return _Positions(self)

    @property
    def chunk_rows(self) -> _ChunkRows:
        """chunk id `doc_id:sha:cN` → the range of its rows."""
        return _ChunkRows(self)

    @property
    def stems(self) -> _StemSets:
        """row → the sentence's stems (computed on access)."""
        return _StemSets(self.texts)

    def doc_key(self, row: int) -> tuple[str, str, str, str]:
        """(doc_id, sha, source, title) of a row."""
        return self.doc_keys[self.columns["doc"][row]]

    def row_of(self, sentence_id: str) -> int | None:
        """The row of a sentence id (`doc_id:sha:sN`), or None if that version is not loaded."""
        doc_id, sha, idx = sentence_id.split(":")
        row = self.position.get((doc_id, int(idx[1:])))
        return row if row is not None and self.doc_key(row)[1] == sha else None

    def window_text(self, doc_id: str, idx: int, before: int = 3, after: int = 1) -> str:
        """Sentences idx-before … idx+after of one document, joined."""
        position = self.position
        rows = [position.get((doc_id, i)) for i in range(idx - before, idx + after + 1)]
        return " ".join(self.texts[r] for r in rows if r is not None)

    def block_text(self, doc_id: str, idx: int) -> str:
        """The whole paragraph (or bullet) that sentence `idx` of `doc_id` belongs to."""
        row = self.position.get((doc_id, idx))
        if row is None:
            return ""
        doc_first, doc_end = self.doc_rows[doc_id]
        block = self.columns["block"]
        first = last = row
        while first > doc_first and block[first - 1] == block[row]:
            first -= 1
        while last + 1 < doc_end and block[last + 1] == block[row]:
            last += 1
        return " ".join(self.texts[first:last + 1])

    def candidate(self, row: int) -> Candidate:
        doc_id, sha, source, title = self.doc_key(row)
        c = self.columns
        return Candidate(id=f"{doc_id}:{sha}:s{int(c['idx'][row])}", text=self.texts[row],
                         doc_id=doc_id, source=source, title=title,
                         section=self.sections[c["section"][row]], start=int(c["start"][row]),
                         end=int(c["end"][row]), idx=int(c["idx"][row]),
                         chunk=int(c["chunk"][row]), kind=self.kinds[c["kind"][row]])


class _Ids(Sequence):
    def __init__(self, table: SentenceTable) -> None:
        self._table = table

    def __len__(self) -> int:
        return len(self._table)

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[r] for r in range(*row.indices(len(self)))]
        doc_id, sha, _, _ = self._table.doc_key(row)
        return f"{doc_id}:{sha}:s{int(self._table.columns['idx'][row])}"


class _Metas(Sequence):
    def __init__(self, table: SentenceTable) -> None:
        self._table = table

    def __len__(self) -> int:
        return len(self._table)

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [self[r] for r in range(*row.indices(len(self)))]
        t = self._table
        c = t.columns
        doc_id, sha, source, title = t.doc_key(row)
        return {"doc_id": doc_id, "sha": sha, "source": source, "title": title,
                "idx": int(c["idx"][row]), "start": int(c["start"][row]),
                "end": int(c["end"][row]), "section": t.sections[c["section"][row]],
                "kind": t.kinds[c["kind"][row]], "block": int(c["block"][row]),
                "chunk": int(c["chunk"][row])}


class _Positions(Mapping):
    """(doc_id, idx) → row: a binary search of the document's rows, which are in idx order."""

    def __init__(self, table: SentenceTable) -> None:
        self._table = table

    def __getitem__(self, key: tuple[str, int]) -> int:
        doc_id, idx = key
        first, end = self._table.doc_rows.get(doc_id, (0, 0))
        column = self._table.columns["idx"]
        row = first + int(np.searchsorted(column[first:end], idx))
        if row >= end or column[row] != idx:
            raise KeyError(key)
        return row

    def __iter__(self):
        for row in range(len(self._table)):
            yield self._table.doc_key(row)[0], int(self._table.columns["idx"][row])

    def __len__(self) -> int:
        return len(self._table)


class _ChunkRows(Mapping):
    """chunk id → range of rows (a chunk is consecutive sentences of one document)."""

    def __init__(self, table: SentenceTable) -> None:
        self._table = table

    def __getitem__(self, chunk_id: str) -> range:
        doc_id, sha, number = chunk_id.split(":")
        first, end = self._table.doc_rows.get(doc_id, (0, 0))
        if end == first or self._table.doc_key(first)[1] != sha:
            raise KeyError(chunk_id)
        column = self._table.columns["chunk"][first:end]
        lo, hi = np.searchsorted(column, [int(number[1:]), int(number[1:]) + 1])
        if lo == hi:
            raise KeyError(chunk_id)
        return range(first + int(lo), first + int(hi))

    def __iter__(self):
        for doc_id, (first, end) in self._table.doc_rows.items():
            sha = self._table.doc_key(first)[1]
            for number in dict.fromkeys(self._table.columns["chunk"][first:end].tolist()):
                yield f"{doc_id}:{sha}:c{number}"

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _DocInfo(Mapping[str, Any]):
    """One committed document: title, source, metadata, and `vocab` (the stems of its
    sentences, sections and title), computed the first time it is asked for: a set per
    document cost ~30 KB each (150 MB at 100k chunks) and only the cited document's is used.
    `metadata` lays the analysts' current edits (`edits`, rag.ingest.doc_metadata) over the file's
    each time it is read, so an edited grade reaches citations without rebuilding the table."""

    def __init__(self, table: SentenceTable, record: Any, edits: Any = None) -> None:
        self._table = table
        self._doc_id = record.doc_id
        self._edits = edits
        self._fields: dict[str, Any] = {
            "title": record.title, "source": record.source,
            "metadata": record.file_metadata if edits is not None else record.metadata}

    def __getitem__(self, key: str) -> Any:
        if key == "metadata" and self._edits is not None:
            return self._edits.apply(self._doc_id, self._fields["metadata"])
        if key == "vocab" and "vocab" not in self._fields:
            t = self._table
            first, end = t.doc_rows.get(self._doc_id, (0, 0))
            vocab = set(stems(self._fields["title"]))
            for row in range(first, end):
                vocab.update(stems(t.texts[row]))
            for section in set(t.columns["section"][first:end].tolist()):
                vocab.update(stems(t.sections[section]))
            self._fields["vocab"] = frozenset(vocab)
        return self._fields[key]

    def __iter__(self):
        return iter(("title", "source", "metadata", "vocab"))

    def __len__(self) -> int:
        return 4


class _StemSets(Sequence[frozenset[str]]):
    """Each row's stem set, computed when asked for: only a question's ~100 candidates ever
    are, and keeping all of them costs ~0.7 KB a sentence (300 MB at 100k chunks)."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._texts = texts

    def __len__(self) -> int:
        return len(self._texts)

    def __getitem__(self, row):
        if isinstance(row, slice):
            return [frozenset(stems(t)) for t in self._texts[row]]
        return frozenset(stems(self._texts[row]))


def _committed_sentences(index: Index, committed: dict[str, Any]):
    """Yield (text, metadata) of the sentences of committed document versions, page by page."""
    for rows in index.pages("sentences", include=("documents", "metadatas")):
        for text, meta in zip(rows.texts, rows.metadatas):
            record = committed.get(meta["doc_id"])
            if record is not None and record.sha256[:12] == meta["sha"]:
                yield text, meta
