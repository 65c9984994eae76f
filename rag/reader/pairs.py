"""Training and validation pairs for the reader, mined from a SQuAD folder (tooling only).

A SQuAD folder (see `../shared/datasets/squad-train/README.md`) has `train.jsonl`, `val.jsonl`
and `corpus/<title>.txt`. Each article is split into paragraphs and sentences with the product's
own splitter, so the reader learns on the sentences it will see at run time.

- `load_split(folder, name)` → the split's `Question`s with their article's sentences.
- `candidates(...)` → the top sentences of the question's article by reciprocal-rank fusion
  (RRF) of MiniLM and BM25: the product's retrieval signals, without its index.
- `training_pairs(...)` → labelled `Pair`s: the sentence that holds a gold answer (with the
  answer's character span), the other sentences of its paragraph, and the best-ranked sentences
  of the article that lack the answer; an unanswerable question's paragraph gives negatives only.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.ingest.documents import split_sentences

RRF_K = 60  # the usual reciprocal-rank-fusion constant (Cormack et al. 2009)


@dataclass
class Article:
    """One article's sentences, with the paragraph each comes from."""

    title: str
    sentences: list[str]
    paragraph_of: list[int]


@dataclass
class Question:
    """One SQuAD question over an article."""

    id: str
    text: str
    answers: list[str]
    answerable: bool
    article: str
    paragraph: int  # index of its context paragraph in the article
    positives: list[int] = field(default_factory=list)  # article sentences holding an answer


@dataclass
class Pair:
    """A labelled (question, sentence) pair; `span` is the answer's char span, if labelled."""

    question: str
    sentence: str
    label: float
    span: tuple[int, int] | None = None


def _read_article(path: Path) -> Article:
    text = path.read_text(encoding="utf-8")
    sentences: list[str] = []
    paragraph_of: list[int] = []
    for p, para in enumerate(x for x in text.split("\n\n") if x.strip()):
        for start, end in split_sentences(para):
            sentences.append(para[start:end])
            paragraph_of.append(p)
    return Article(path.stem, sentences, paragraph_of)


def holds_answer(sentence: str, answers: list[str]) -> bool:
    """True when any gold answer string occurs in `sentence` (SQuAD's evidence test)."""
    return any(a and a in sentence for a in answers)


def load_split(folder: Path, name: str, limit: int = 0) -> tuple[list[Question],
                                                                  dict[str, Article]]:
    """The questions of `folder/<name>.jsonl` (an evenly spaced `limit` of them, if given) and
    the articles they are asked over."""
    records = [json.loads(line) for line in
               (folder / f"{name}.jsonl").read_text(encoding="utf-8").splitlines() if line]
    if limit and limit < len(records):
        step = len(records) / limit
        records = [records[int(i * step)] for i in range(limit)]
    articles = {t: _read_article(folder / "corpus" / f"{t}.txt")
                for t in sorted({r["title"] for r in records})}
    paragraphs = {t: [p for p in (folder / "corpus" / f"{t}.txt").read_text(
        encoding="utf-8").split("\n\n") if p.strip()] for t in articles}
    questions = []
    for r in records:
        article = articles[r["title"]]
        para = next((i for i, p in enumerate(paragraphs[r["title"]])
                     if p.strip() == r["context"].strip()), -1)
        q = Question(str(r["id"]), r["question"], list(r.get("answers") or []),
                     not r["is_impossible"], r["title"], para)
        if q.answerable:
            q.positives = [i for i, s in enumerate(article.sentences)
                           if article.paragraph_of[i] == para and holds_answer(s, q.answers)]
        questions.append(q)
    return questions, articles


class ArticleRanker:
    """RRF of MiniLM cosine and BM25 over one split's articles, one article at a time."""

    def __init__(self, articles: dict[str, Article], embedder) -> None:
        import bm25s

        from rag.text import stems

        self._stems = stems
        self.vectors = {t: embedder.encode(a.sentences) for t, a in articles.items()}
        self.bm25 = {}
        for t, a in articles.items():
            index = bm25s.BM25()
            index.index([stems(s) for s in a.sentences], show_progress=False)
            self.bm25[t] = index
        self.embedder = embedder

    def rank(self, questions: list[Question]) -> list[list[int]]:
        """For each question, its article's sentence indices, best RRF first."""
        qvecs = self.embedder.encode([q.text for q in questions])
        ranked = []
        for q, qvec in zip(questions, qvecs):
            dense = self.vectors[q.article] @ qvec
            sparse = self.bm25[q.article].get_scores(self._stems(q.text))
            fused = np.zeros(len(dense))
            for scores in (dense, sparse):
                order = np.argsort(-scores, kind="stable")
                fused[order] += 1.0 / (RRF_K + 1 + np.arange(len(order)))
            ranked.append([int(i) for i in np.argsort(-fused, kind="stable")])
        return ranked


def answer_span(sentence: str, answers: list[str]) -> tuple[int, int] | None:
    """The char span of the first gold answer (in the order given) found in `sentence`."""
    for answer in answers:
        at = sentence.find(answer) if answer else -1
        if at >= 0:
            return at, at + len(answer)
    return None


def training_pairs(questions: list[Question], articles: dict[str, Article],
                   ranked: list[list[int]], seed: int, paragraph_negatives: int = 3,
                   mined_negatives: int = 3) -> list[Pair]:
    """Labelled pairs for training (see the module docstring); shuffled with `seed`."""
    rng = random.Random(seed)
    pairs: list[Pair] = []
    for q, order in zip(questions, ranked):
        article = articles[q.article]
        if q.answerable and not q.positives:
            continue  # the answer spans two sentences: no single sentence to learn from
        for i in q.positives:
            s = article.sentences[i]
            pairs.append(Pair(q.text, s, 1.0, answer_span(s, q.answers)))
        own = [i for i, p in enumerate(article.paragraph_of)
               if p == q.paragraph and i not in q.positives]
        rng.shuffle(own)
        chosen = own[:paragraph_negatives]
        mined = [i for i in order[:20] if i not in chosen and i not in q.positives
                 and not holds_answer(article.sentences[i], q.answers)]
        chosen += mined[:mined_negatives]
        pairs += [Pair(q.text, article.sentences[i], 0.0) for i in chosen]
    rng.shuffle(pairs)
    return pairs
