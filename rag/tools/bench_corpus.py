"""Synthetic benchmark corpora built from real text, read at run time (never copied into the repo).

`text_pool(folders)` splits the `.txt`/`.md` files of `folders` into paragraphs (`Unit`s).
`write_corpus(pool, chunks, folder)` writes Markdown files of `UNITS_PER_DOC` paragraphs each,
every paragraph under its own heading (so it forms its own chunks), until the corpus holds about
`chunks` chunks. The pool is used in order first, so a corpus no larger than the pool is all
distinct text; beyond that, paragraphs are drawn again at random (seeded) into new documents:
the sentences repeat, the documents, their order and the index size do not.
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from pathlib import Path

UNITS_PER_DOC = 20
TOKENS_PER_WORD = 1.35  # MiniLM word pieces per English word, measured on the pool
_FRONT_MATTER = re.compile(r"\A---\s*\n.*?\n---\s*\n", re.S)


@dataclass(frozen=True)
class Unit:
    """One real paragraph with a heading that names where it came from."""

    heading: str
    text: str

    def chunk_estimate(self, chunk_tokens: int) -> int:
        """About how many chunks the index will make of this paragraph."""
        return max(1, math.ceil(len(self.text.split()) * TOKENS_PER_WORD / chunk_tokens))


def text_pool(folders: list[Path]) -> list[Unit]:
    """Paragraphs (≥ 8 words, headings and bullets excluded) of the text files in `folders`."""
    units: list[Unit] = []
    for folder in folders:
        for path in sorted(p for p in folder.glob("*") if p.suffix in (".txt", ".md")):
            text = _FRONT_MATTER.sub("", path.read_text(encoding="utf-8"))
            title = path.stem.replace("_", " ").replace("-", " ")
            paragraphs = [" ".join(block.split()) for block in re.split(r"\n\s*\n", text)]
            for number, para in enumerate(paragraphs, 1):
                if len(para.split()) >= 8 and not para.startswith(("#", "- ", "* ")):
                    units.append(Unit(f"{title}, part {number}", para))
    return units


def write_corpus(pool: list[Unit], chunks: int, folder: Path, chunk_tokens: int = 200,
                 seed: int = 7) -> int:
    """Write about `chunks` chunks of documents into `folder`; return the documents written."""
    if not pool:
        raise ValueError("the text pool is empty: no .txt/.md paragraphs in the source folders")
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    picked: list[Unit] = []
    estimate = 0
    while estimate < chunks:
        unit = pool[len(picked)] if len(picked) < len(pool) else rng.choice(pool)
        picked.append(unit)
        estimate += unit.chunk_estimate(chunk_tokens)
    documents = 0
    for start in range(0, len(picked), UNITS_PER_DOC):
        documents += 1
        body = "".join(f"## {u.heading}\n\n{u.text}\n\n"
                       for u in picked[start:start + UNITS_PER_DOC])
        (folder / f"report-{documents:06d}.md").write_text(
            f"# Synthetic report {documents}\n\n{body}", encoding="utf-8")
    return documents
