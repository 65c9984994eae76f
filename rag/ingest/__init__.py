"""Ingest: files → documents → sentences and chunks → vectors → the store.

`documents` (and `formats`) read a file into text and sentences with exact offsets; `chunking`
groups them; `pipeline` runs an ingest; `store` is the index in Chroma that every later stage
reads; `doc_metadata` holds analysts' edits laid over each document's metadata; `vector_cache`
keeps vectors by text so a re-ingest embeds only what changed.
"""
