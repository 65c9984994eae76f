"""The comparison row: plain LangChain retrieval, as the tutorials build it.

RecursiveCharacterTextSplitter(1000, 200) over whole files, a `langchain_chroma.Chroma` store with
the same embeddings Sitrep uses, and the top 4 chunks handed to a reader. `ChunkBaseline(corpus,
workdir)` indexes a folder; `retrieve(question)` returns the (source, chunk text) pairs.
"""

from __future__ import annotations

from pathlib import Path

from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_text_splitters import RecursiveCharacterTextSplitter

from rag.embed.model import get_embedder
from rag.ingest.documents import find_files

CHUNK_SIZE, CHUNK_OVERLAP, TOP_K = 1000, 200, 4
DESCRIPTION = (f"LangChain RecursiveCharacterTextSplitter({CHUNK_SIZE}, {CHUNK_OVERLAP}) + Chroma, "
               f"top {TOP_K} chunks")


class ChunkBaseline:
    """A LangChain chunk retriever over the text files of `corpus`, stored under `workdir`."""

    def __init__(self, corpus: Path, workdir: Path, model_path: str = "") -> None:
        splitter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_SIZE,
                                                  chunk_overlap=CHUNK_OVERLAP)
        files = [p for p in find_files([corpus]) if p.suffix.lower() in (".txt", ".md")]
        documents = [Document(page_content=p.read_text(encoding="utf-8"),
                              metadata={"source": str(p)}) for p in files]
        self.store = Chroma(collection_name="baseline", embedding_function=get_embedder(model_path),
                            persist_directory=str(workdir),
                            client_settings=ChromaSettings(anonymized_telemetry=False,
                                                           is_persistent=True,
                                                           persist_directory=str(workdir)))
        self.store.add_documents(splitter.split_documents(documents))

    def retrieve(self, question: str) -> list[tuple[str, str]]:
        """The top chunks for `question` as (source file, chunk text)."""
        return [(d.metadata["source"], d.page_content)
                for d in self.store.similarity_search(question, k=TOP_K)]
