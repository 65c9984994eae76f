"""The sentence embedding model, shared by ingest (which stores vectors) and retrieval and the
answer (which embed the question): `model` loads it once as a LangChain `Embeddings`,
`onnx_export` makes its ONNX export once per machine."""
