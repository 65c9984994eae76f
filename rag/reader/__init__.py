"""The learned reader: a MiniLM cross-encoder that scores (question, sentence) pairs and points
at the answer span inside the sentence.

Runtime: `rag.reader.model.Reader` (onnxruntime + tokenizers; never imports torch).
Tooling, never imported by the serving process: `rag.reader.pairs` (training and validation
pairs mined from SQuAD) and `rag.reader.train` (`python -m rag train-reader`).
"""
