"""A cited brief on the whole library or a topic, without an LLM.

`brief(engine, topic=None, allowed_docs=None, long=False)` returns a `Brief`: a bottom line,
then per topic (documents grouped by their embeddings) key judgments and actors by role, then
disagreements between documents and gaps, and a numbered source list (publication, title,
date, grade). Every line carries citation numbers; each citation is a `rag.contracts.Citation`,
a verbatim source sentence with exact offsets. The default brief fits one page (about
400–600 words); `long=True` adds key figures, quotes, the sources' own assessments and the
cited sentences in full. `Brief.to_markdown()` and `rag.brief.export.to_docx(brief)` write it.

Modules: `scope` (the sentences in scope, bounded), `topics` (grouping), `actors`, `figures`
(and disagreements), `gaps`, `compose` (choosing, fitting, numbering), `render` (the page),
`export` (Markdown and DOCX files).
"""

from rag.brief.compose import ONE_PAGE_WORDS, brief
from rag.brief.model import Brief, BriefLine, Side, SourceEntry, Topic

__all__ = ["ONE_PAGE_WORDS", "Brief", "BriefLine", "Side", "SourceEntry", "Topic", "brief"]
