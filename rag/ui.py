"""The Gradio UI: chat with clickable sources, the document library and the brief.

`build_ui(engine, settings)` returns the Blocks; `mount_options(settings)` returns the keyword
arguments for `gr.mount_gradio_app` (theme, CSS, upload limit), which in Gradio 6 owns them.
Each browser session keeps its own conversation in a `gr.State`. All document text is escaped
by `rag.ui_render`; the page loads nothing from outside the app's origin.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import rag  # noqa: F401  (offline environment before gradio loads)
import gradio as gr

from rag.config import Settings
from rag.documents import SUPPORTED_SUFFIXES
from rag.engine import Engine, QuestionError
from rag.index import IndexError_
from rag.library import LibraryError, add_files, remove_document
from rag.ui_render import (LIBRARY_HEADERS, copy_text, document_html, escape, library_rows,
                           sources_html)

STATIC = Path(__file__).resolve().parent / "static" / "ui"
EXAMPLES = ["How many troops?", "Who visited North Korea?", "What is China concerned about?",
            "What did North Korea get in return?"]
DOC_HINT = '<p class="sitrep-empty">Select a source to read it in its document.</p>'

# Sources are plain <button>s inside gr.HTML; a click becomes a `select` event carrying [n].
SELECT_JS = """
element.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-n]');
  if (button) trigger('select', {index: Number(button.dataset.n), value: button.dataset.n});
});
"""
# After the document re-renders, bring the chosen sentence into view and give it focus, so
# keyboard and screen-reader users land on it too.
SCROLL_JS = """
const reveal = () => {
  const mark = element.querySelector('#sitrep-selected');
  if (mark) { mark.scrollIntoView({block: 'center'}); mark.focus({preventScroll: true}); }
};
watch('value', reveal);
reveal();
"""
# The clipboard API needs a secure context; plain-http intranet hosts fall back to execCommand.
COPY_JS = """
async (text) => {
  if (text) {
    try { await navigator.clipboard.writeText(text); }
    catch (error) {
      const area = document.createElement('textarea');
      area.value = text; document.body.appendChild(area); area.select();
      document.execCommand('copy'); area.remove();
    }
  }
  return [text];
}
"""


@dataclass
class Conversation:
    """One browser session's chat: the messages shown and the answer behind each reply."""

    messages: list[dict[str, str]] = field(default_factory=list)
    answers: dict[int, dict[str, Any]] = field(default_factory=dict)  # message index → answer
    pending: str = ""

    def history(self) -> list[dict[str, str]]:
        """Answered turns only, as the engine's chat history."""
        turns = []
        for i, message in enumerate(self.messages):
            if i in self.answers:
                turns += [self.messages[i - 1], message]
        return turns


@dataclass
class CitationViewer:
    """A sources list and a document pane; `shown` holds the citations listed."""

    shown: gr.State
    sources: gr.HTML
    document: gr.HTML


def mount_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `gr.mount_gradio_app`: the theme (local fonts), our CSS, limits."""
    return {"theme": gr.themes.Default(primary_hue="blue", neutral_hue="slate"),
            "css_paths": [STATIC / "sitrep.css"],
            "max_file_size": int(settings.max_file_mb * 1_000_000),
            "footer_links": ["settings"], "ssr_mode": False}


def _citation_viewer(engine: Engine, empty: str) -> CitationViewer:
    """Render a sources list and a document pane; a selected source opens its document."""
    shown = gr.State([])
    sources = gr.HTML(sources_html([], empty=empty), js_on_load=SELECT_JS, label="Sources",
                      show_label=True, container=True, padding=True)
    document = gr.HTML(DOC_HINT, js_on_load=SCROLL_JS, label="Document", show_label=True,
                       container=True, padding=True)

    def show(citations: list[dict[str, Any]], evt: gr.SelectData) -> tuple[str, str]:
        chosen = next((c for c in citations if c.get("n") == evt.index), None)
        if chosen is None:
            return sources_html(citations, empty=empty), DOC_HINT
        text = engine.index.document_text(chosen["doc_id"])
        return (sources_html(citations, selected=evt.index, empty=empty),
                document_html(chosen, text, citations))

    sources.select(show, [shown], [sources, document], queue=False)
    return CitationViewer(shown, sources, document)


def _chat_tab(engine: Engine) -> None:
    """Chat with example chips, the sources of the shown answer, copy and clear."""
    conversation = gr.State(Conversation())
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=360):
            chatbot = gr.Chatbot(label="Conversation", height=520, examples=[
                {"text": q} for q in EXAMPLES], placeholder="Ask about the documents in the "
                "library. Every answer cites its source sentences.", buttons=["copy"])
            with gr.Row():
                question = gr.Textbox(label="Question", placeholder="e.g. How many troops?",
                                      scale=5, autofocus=True, max_length=4000,
                                      elem_id="sitrep-question")
                send = gr.Button("Ask", variant="primary", scale=1, min_width=80)
            with gr.Row():
                copy = gr.Button("Copy answer with sources", size="sm")
                clear = gr.Button("New conversation", size="sm")
            copy_box = gr.Textbox(visible="hidden", label="Answer with sources (for copying)")
        with gr.Column(scale=2, min_width=320):
            viewer = _citation_viewer(engine, "Ask a question; its sources appear here.")

    def post(text: str, convo: Conversation) -> tuple[str, list, Conversation]:
        text = (text or "").strip()
        if not text:
            raise gr.Error("Type a question first.")
        convo.messages.append({"role": "user", "content": text})
        convo.pending = text
        return "", convo.messages, convo

    def answer(convo: Conversation) -> tuple[list, Conversation, str, list, str, str]:
        try:
            result = engine.ask(convo.pending, convo.history()).to_dict()
        except QuestionError as exc:
            convo.messages.append({"role": "assistant", "content": f"⚠️ {exc}"})
            return convo.messages, convo, sources_html([]), [], "", DOC_HINT
        convo.messages.append({"role": "assistant", "content": result["answer"]})
        convo.answers[len(convo.messages) - 1] = result
        citations = result["citations"]
        return (convo.messages, convo, sources_html(citations), citations,
                copy_text(result["answer"], citations), DOC_HINT)

    def pick(convo: Conversation, evt: gr.SelectData) -> tuple[str, list, str, str]:
        """Clicking an earlier reply brings back its sources."""
        result = convo.answers.get(evt.index if isinstance(evt.index, int) else -1)
        if result is None:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        citations = result["citations"]
        return (sources_html(citations), citations, copy_text(result["answer"], citations),
                DOC_HINT)

    answer_outputs = [chatbot, conversation, viewer.sources, viewer.shown, copy_box,
                      viewer.document]
    for trigger in (question.submit, send.click):
        trigger(post, [question, conversation], [question, chatbot, conversation],
                queue=False).success(answer, [conversation], answer_outputs)
    def use_example(evt: gr.SelectData) -> str:
        return evt.value["text"]

    chatbot.example_select(use_example, None, question, queue=False).then(
        post, [question, conversation], [question, chatbot, conversation],
        queue=False).success(answer, [conversation], answer_outputs)
    chatbot.select(pick, [conversation], [viewer.sources, viewer.shown, copy_box,
                                          viewer.document], queue=False)
    copy.click(lambda text: gr.Info("Answer and sources copied.") if text
               else gr.Warning("Ask a question first; there is no answer to copy."),
               [copy_box], None, js=COPY_JS)  # queued: toasts travel on the queue
    clear.click(lambda: ([], Conversation(), sources_html([]), [], "", DOC_HINT), None,
                answer_outputs, queue=False)


def _choices(engine: Engine) -> list[tuple[str, str]]:
    return [(f"{r.title} ({r.source})", r.doc_id) for r in engine.index.documents()]


def _library_tab(engine: Engine, settings: Settings, blocks: gr.Blocks) -> None:
    """The documents in the index (refreshed on page load); upload to add, pick to remove."""
    with gr.Tab("Library", id="library") as tab:
        table = gr.Dataframe(headers=LIBRARY_HEADERS, label="Documents in the index",
                             interactive=False, wrap=True, elem_id="sitrep-library")
        with gr.Row(equal_height=False):
            with gr.Column():
                upload = gr.File(label=f"Add documents ({', '.join(SUPPORTED_SUFFIXES)})",
                                 file_count="multiple", file_types=list(SUPPORTED_SUFFIXES),
                                 elem_id="sitrep-upload")
            with gr.Column():
                doomed = gr.Dropdown(label="Document to remove", choices=[], value=None,
                                     elem_id="sitrep-remove-choice")
                remove = gr.Button("Remove from library", variant="stop")
        status = gr.Markdown(elem_id="sitrep-library-status")

    def refresh() -> tuple[list, Any]:
        return library_rows(engine.index.documents()), gr.update(choices=_choices(engine),
                                                                 value=None)

    def add(paths: list[str] | None, progress=gr.Progress()) -> tuple[list, Any, str, None]:
        if not paths:
            return *refresh(), gr.skip(), None
        progress(0, desc="Reading and checking the files…")
        def report_progress(done: int, total: int, source: str) -> None:
            progress((done, total), desc=f"Embedded {Path(source).name}", unit="sentences")
        try:
            report = add_files(engine.index, settings.docs_dir, [Path(p) for p in paths],
                               report_progress)
        except IndexError_ as exc:
            return *refresh(), _status(errors=[str(exc)]), None
        return *refresh(), _status(report.added, report.unchanged, report.errors), None

    def drop(doc_id: str | None) -> tuple[list, Any, str]:
        if not doc_id:
            return *refresh(), _status(errors=["Choose a document to remove first."])
        try:
            record = remove_document(engine.index, settings.docs_dir, doc_id)
        except (LibraryError, IndexError_) as exc:
            return *refresh(), _status(errors=[str(exc)])
        return *refresh(), f"Removed **{escape(record.title)}** ({escape(record.source)})."

    for trigger in (blocks.load, tab.select):
        trigger(refresh, None, [table, doomed], queue=False)
    upload.upload(add, [upload], [table, doomed, status, upload])
    remove.click(drop, [doomed], [table, doomed, status])


def _status(added: list[str] = (), unchanged: list[str] = (), errors: list[str] = ()) -> str:
    """Markdown for the library's status line (escaped: file names are user input)."""
    lines = []
    if added:
        lines.append(f"Added {', '.join(f'**{escape(a)}**' for a in added)}. "
                     "Ask about it in the Chat tab.")
    if unchanged:
        lines.append(f"Already in the library: {', '.join(escape(u) for u in unchanged)}.")
    lines += [f"⚠️ Not added: {escape(e)}" for e in errors]
    return "\n\n".join(lines)


def _load_brief() -> Callable[..., Any] | None:
    """`rag.brief.brief(engine, topic)` when that module exists, else None. It returns an
    object with `to_markdown()` and `to_dict()` (whose `citations` follow the answer's shape)."""
    try:
        module = importlib.import_module("rag.brief")
    except ModuleNotFoundError as exc:
        if exc.name == "rag.brief":
            return None
        raise
    return getattr(module, "brief", None)


def _brief_tab(engine: Engine) -> None:
    """A one-page brief on the corpus or a topic, with its sources, when `rag.brief` exists."""
    make_brief = _load_brief()
    with gr.Tab("Brief", id="brief"):
        if make_brief is None:
            gr.Markdown("The brief is not available in this version of Sitrep.",
                        elem_id="sitrep-brief-missing")
            return
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                with gr.Row():
                    topic = gr.Textbox(label="Topic (empty: the whole library)", scale=5)
                    write = gr.Button("Write brief", variant="primary", scale=1)
                text = gr.Markdown(elem_id="sitrep-brief")
            with gr.Column(scale=2):
                viewer = _citation_viewer(engine, "The brief's sources appear here.")

    def run(subject: str) -> tuple[str, str, list, str]:
        result = make_brief(engine, subject.strip() or None)
        citations = result.to_dict().get("citations", [])
        return result.to_markdown(), sources_html(citations), citations, DOC_HINT

    for trigger in (write.click, topic.submit):
        trigger(run, [topic], [text, viewer.sources, viewer.shown, viewer.document])


def build_ui(engine: Engine, settings: Settings) -> gr.Blocks:
    """The whole UI: Chat, Library and Brief tabs over one engine."""
    with gr.Blocks(title="Sitrep") as blocks:
        gr.Markdown("# Sitrep\nOffline briefings from your documents: every answer cites the "
                    "exact source sentences.", elem_id="sitrep-header")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                _chat_tab(engine)
            _library_tab(engine, settings, blocks)
            _brief_tab(engine)
    return blocks
