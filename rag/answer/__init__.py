"""The answer: the question typed and resolved against the history (`question`), the value a
sentence gives (`spans`), the evidence, refusals and bottom line chosen (`compose`), and the
answer written out from its fields (`render`)."""
