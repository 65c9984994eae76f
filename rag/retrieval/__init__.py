"""Retrieval: the committed sentences as a table with their BM25 index (`sentence_table`, kept
on disk per index generation by `table_store`) and the hybrid retriever (`retrieve`)."""
