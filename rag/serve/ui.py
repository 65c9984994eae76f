"""The Gradio UI: chat with clickable sources, the document library and the brief.

`build_ui(engine, settings)` returns the Blocks; `mount_options(settings)` returns the keyword
arguments for `gr.mount_gradio_app` (theme, CSS, upload limit), which in Gradio 6 owns them.
Each browser tab keeps its own conversation (a `gr.State`, saved to the tab's sessionStorage so
it survives a reload). Every view shows only the documents the caller may see
(`rag.serve.access`). All document text is escaped by `rag.serve.ui_render` (documents rendered
by `rag.serve.ui_markdown`); the page's scripts and stylesheet are files in
`rag/serve/static/ui/`, passed to Gradio inline or served by the app: the page loads nothing
from another origin.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rag  # noqa: F401  (offline environment before gradio loads)

# isort: split
import gradio as gr
from gradio import utils as gr_utils
from gradio.exceptions import InvalidPathError
from gradio.themes.utils import fonts

from rag.answer.render import readable
from rag.brief import brief
from rag.brief.export import save_copies
from rag.config import Settings
from rag.contracts import DocRecord
from rag.engine import Engine, QuestionError
from rag.ingest.documents import SUPPORTED_SUFFIXES
from rag.ingest.store import StoreError
from rag.serve.access import Caller, DocumentAccess, caller_from_headers, can_see
from rag.serve.guard import removal_allowed
from rag.serve.library import AddReport, LibraryError, add_files, remove_document, upload_folder
from rag.serve.suggest import EMPTY_LIBRARY, Suggester, placeholder_question
from rag.serve.ui_grades import grades_form
from rag.serve.ui_render import (
    LIBRARY_HEADERS,
    chat_answer,
    copy_text,
    document_choices,
    document_html,
    escape,
    library_rows,
    link_markers,
    shown_source,
    sources_html,
    tidy_quotes,
)
from rag.serve.ui_upload import ProgressFn, stream_upload

log = logging.getLogger("sitrep.ui")
# What a browser sees when a UI event fails for any reason but a message meant for the user
# (gr.Error): exception text may quote paths, document text or internals; the log has it.
NEUTRAL_ERROR = "Something went wrong answering that; the error is logged."
STATIC = Path(__file__).resolve().parent / "static" / "ui"
CHAT_HINT = "Ask about the documents in the library. Every answer cites its source sentences."
DOC_HINT = '<p class="sitrep-empty">Select a source to read it in its document.</p>'
NO_QUESTION = "Type a question first."
NO_REMOVAL = ("Removing documents is not enabled for you: it needs a group named in "
              "SITREP_EDITOR_GROUPS (or, without sign-in, SITREP_ALLOW_REMOVE=1).")
# The Default theme's fonts with a bold face that has every glyph: Gradio ships SemiBold (600)
# files holding only a few letters, so bold text mixed in letters of a fallback font. Without
# a 600 face, weights 600 and 700 both use the full Bold (700) files. All served locally.
FONT: list[fonts.Font | str] = [fonts.LocalFont("Source Sans Pro", weights=(400, 700)),
                                "ui-sans-serif", "system-ui", "sans-serif"]
FONT_MONO: list[fonts.Font | str] = [fonts.LocalFont("IBM Plex Mono", weights=(400, 700)),
                                     "ui-monospace", "Consolas", "monospace"]


def _script(name: str) -> str:
    """A script of `rag/serve/static/ui/` (the comments at its top say where Gradio runs it)."""
    return (STATIC / name).read_text(encoding="utf-8")


# The page's own JavaScript, passed to Gradio inline (nothing is fetched from elsewhere).
SELECT_JS = _script("sources.js")  # sources list: a click selects a source (js_on_load)
SCROLL_JS = _script("document.js")  # document pane: fit, scroll to the sentence (js_on_load)
PAGE_JS = _script("page.js")  # [n] links open their source (the page's `js`)
SAVE_JS = _script("save-conversation.js")  # the conversation to sessionStorage
LOAD_JS = _script("load-conversation.js")  # ... and back on reload
COPY_JS = _script("copy.js")  # answer and sources to the clipboard


@dataclass
class Listing:
    """The citations a sources list shows, under the key that [n] links in its answer use."""

    key: str = ""
    citations: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Conversation:
    """One browser session's chat: messages as shown, the engine's history, the answers."""

    messages: list[dict[str, str]] = field(default_factory=list)  # [n] markers as links
    turns: list[dict[str, str]] = field(default_factory=list)  # answered turns, plain text
    answers: dict[int, dict[str, Any]] = field(default_factory=dict)  # message index → answer
    pending: str = ""

    def to_json(self) -> str:
        return json.dumps({"messages": self.messages, "turns": self.turns,
                           "answers": {str(i): a for i, a in self.answers.items()}})

    @classmethod
    def from_json(cls, text: str) -> Conversation:
        """A conversation saved by `to_json`; an empty one for anything else (the text comes
        from the browser, so it is checked, and shown only to the browser that sent it)."""
        try:
            data = json.loads(text)
            convo = cls([_message(m) for m in data["messages"]],
                        [_message(t) for t in data["turns"]],
                        {int(i): a for i, a in data["answers"].items() if _answer_ok(a)})
        except (ValueError, TypeError, KeyError, AttributeError):
            return cls()
        return convo


def _answer_ok(answer: Any) -> bool:
    """Does a restored answer have the fields the UI reads, with the right types? (One saved
    before answers carried their `bottom_line` has not: its sources are not listed again.)"""
    fields = {"n": int, "doc_id": str, "start": int, "end": int, "sentence": str}
    return (isinstance(answer, dict) and isinstance(answer.get("answer"), str)
            and isinstance(answer.get("citations"), list) and readable(answer)
            and all(isinstance(c, dict) and all(isinstance(c.get(k), t) for k, t in fields.items())
                    for c in answer["citations"]))


def _message(item: Any) -> dict[str, str]:
    """A chat message {role, content} or ValueError."""
    if (not isinstance(item, dict) or item.get("role") not in ("user", "assistant")
            or not isinstance(item.get("content"), str)):
        raise ValueError("not a chat message")
    return {"role": item["role"], "content": item["content"]}


@dataclass
class Workspace:
    """The engine as each caller may see it: documents whose front matter `access` names
    none of the caller's groups never reach the UI (same rule as the HTTP API)."""

    engine: Engine
    settings: Settings
    access: DocumentAccess
    suggester: Suggester

    def caller(self, request: gr.Request) -> Caller:
        return caller_from_headers(request.headers, self.settings)

    def visible(self, request: gr.Request) -> list[DocRecord]:
        return self.access.visible(self.caller(request))

    def allowed(self, request: gr.Request) -> set[str]:
        return self.access.allowed_docs(self.caller(request))

    def examples(self, request: gr.Request) -> list[str]:
        """The chat's example questions for what this caller may see (`rag.serve.suggest`)."""
        return self.suggester.questions(self.visible(request))

    def may_remove(self, request: gr.Request) -> bool:
        """May this caller remove documents (`rag.serve.guard.removal_allowed`)?"""
        return removal_allowed(self.caller(request), self.settings)

    def text(self, doc_id: str, request: gr.Request) -> str | None:
        """A document's text, or None when it is gone or not for this caller."""
        if doc_id not in self.allowed(request):
            return None
        return self.engine.index.document_text(doc_id)


@dataclass
class ChipUpdate:
    """The event handler that sets the chat's example chips and question hint, and the two
    components it updates (for the Library tab's changes to chain)."""

    fn: Any
    outputs: list[Any]


@dataclass
class CitationViewer:
    """A sources list and a document pane; `shown` holds the citations listed."""

    shown: gr.State
    sources: gr.HTML
    document: gr.HTML


def mount_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `gr.mount_gradio_app`: the theme (local fonts), our CSS, limits."""
    return {"theme": gr.themes.Default(primary_hue="blue", neutral_hue="slate", font=FONT,
                                       font_mono=FONT_MONO),
            "css_paths": [STATIC / "sitrep.css"],
            "max_file_size": int(settings.max_file_mb * 1_000_000),
            # No footer: its "Use via API" and "Settings" links are Gradio's developer tools.
            "footer_links": [], "ssr_mode": False, "js": PAGE_JS,
            # Errors that escape `_Blocks.process_api` (Gradio's own routes) show no text
            # either; the default (True) sends every exception's message to the browser.
            "show_error": False}


class _Blocks(gr.Blocks):
    """Blocks whose events never send an internal error's text to the browser.

    Everything an event does (Gradio's preprocessing of the request's data, our handler, the
    postprocessing) runs in `process_api`; any exception but a `gr.Error` (a message written
    for the user) is logged with its traceback on `sitrep.ui` and becomes `NEUTRAL_ERROR`.
    """

    async def process_api(self, block_fn, *args, **kwargs):
        try:
            return await super().process_api(block_fn, *args, **kwargs)
        except gr.Error:
            raise
        except InvalidPathError as exc:  # Gradio refused a file this request did not upload
            log.warning("UI event %s refused a file: %s", _event_name(self, block_fn), exc)
            raise gr.Error("Refused: that file was not uploaded through this page.",
                           print_exception=False) from None
        except Exception:
            log.exception("UI event %s failed", _event_name(self, block_fn))
            raise gr.Error(NEUTRAL_ERROR, print_exception=False) from None


def _event_name(blocks: gr.Blocks, block_fn: Any) -> str:
    block_fn = blocks.fns.get(block_fn, block_fn) if isinstance(block_fn, int) else block_fn
    return str(getattr(block_fn, "api_name", None) or getattr(block_fn, "name", "?"))


def _citation_viewer(space: Workspace, empty: str) -> CitationViewer:
    """Render a sources list and a document pane; a selected source opens its document."""
    shown = gr.State(Listing())
    sources = gr.HTML(sources_html([], empty=empty), js_on_load=SELECT_JS, label="Sources",
                      show_label=True, container=True, padding=True,
                      elem_classes=["sitrep-panel"])
    document = gr.HTML(DOC_HINT, js_on_load=SCROLL_JS, label="Document", show_label=True,
                       container=True, padding=True, elem_classes=["sitrep-panel"])

    def show(listing: Listing, evt: gr.SelectData, request: gr.Request) -> tuple[str, str]:
        chosen = next((c for c in listing.citations if c.get("n") == evt.index), None)
        if chosen is None:
            return gr.skip(), DOC_HINT
        text = space.text(chosen["doc_id"], request)
        label = shown_source(chosen.get("source", ""), space.settings.docs_dir)
        return (sources_html(listing.citations, evt.index, empty, listing.key),
                document_html(chosen, text, listing.citations, label))

    sources.select(show, [shown], [sources, document], queue=False)
    return CitationViewer(shown, sources, document)


def _answer_view(key: str, result: dict[str, Any] | None) -> tuple[str, Listing, str, str]:
    """Sources list, listing, clipboard text and document hint for one answer (or none)."""
    if result is None:
        return sources_html([]), Listing(), "", DOC_HINT
    citations = result["citations"]
    return (sources_html(citations, key=key), Listing(key, citations),
            copy_text(result), DOC_HINT)


def _chat_tab(space: Workspace, blocks: gr.Blocks) -> ChipUpdate:
    """Chat with example chips, the sources of the shown answer, copy and clear. Returns how
    to set the chips for the library as it is, for the Library tab's changes to chain."""
    conversation = gr.State(Conversation())
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=360):
            # No per-message copy button: it would copy the [n] links' markup; the copy
            # button below copies the answer with its sources instead.
            # Its own clear (trash) button is hidden by CSS: "New conversation" is the one.
            # The example chips come from the library the caller sees, set on page load.
            chatbot = gr.Chatbot(label="Conversation", height=520, placeholder=CHAT_HINT,
                                 buttons=[], elem_id="sitrep-chat")
            with gr.Row():
                question = gr.Textbox(label="Question", placeholder=placeholder_question([]),
                                      scale=5, autofocus=True, max_length=4000,
                                      elem_id="sitrep-question")
                send = gr.Button("Ask", variant="primary", scale=1, min_width=80)
            with gr.Row():
                copy = gr.Button("Copy answer with sources", size="sm")
                clear = gr.Button("New conversation", size="sm")
            copy_box = gr.Textbox(visible="hidden", label="Answer with sources (for copying)")
            saved = gr.Textbox(visible="hidden", label="Saved conversation")
        with gr.Column(scale=2, min_width=320, elem_classes=["sitrep-side"]):
            viewer = _citation_viewer(space, "Ask a question; its sources appear here.")
    view_outputs = [viewer.sources, viewer.shown, copy_box, viewer.document]

    # An empty question is not an error (an error would leave Gradio's red "Error" badges
    # over the chat): nothing is posted, and `answer` (queued, so its toast reaches the
    # browser) says what to do.
    def post(text: str, convo: Conversation) -> tuple[Any, Any, Conversation]:
        text = (text or "").strip()
        convo.pending = text
        if not text:
            return gr.skip(), gr.skip(), convo
        convo.messages.append({"role": "user", "content": text})
        return "", convo.messages, convo

    def answer(convo: Conversation, request: gr.Request) -> tuple[Any, ...]:
        question, convo.pending = convo.pending, ""
        if not question:
            gr.Warning(NO_QUESTION, duration=6, title="No question")
            return tuple(gr.skip() for _ in answer_outputs)
        key = str(len(convo.messages))  # the reply's message index
        try:
            result = space.engine.ask(question, convo.turns,
                                      allowed_docs=space.allowed(request)).to_dict()
        except QuestionError as exc:
            convo.messages.append({"role": "assistant", "content": f"⚠️ {exc}"})
            return convo.messages, convo, convo.to_json(), *_answer_view(key, None)
        # Answer first, evidence once: the quotes live on the source cards.
        convo.messages.append({"role": "assistant", "content": chat_answer(result, key)})
        convo.turns += [{"role": "user", "content": question},
                        {"role": "assistant", "content": result["answer"]}]
        convo.answers[int(key)] = result
        return convo.messages, convo, convo.to_json(), *_answer_view(key, result)

    def pick(convo: Conversation, listing: Listing, evt: gr.SelectData) -> tuple[Any, ...]:
        """Clicking an earlier reply brings back its sources."""
        result = convo.answers.get(evt.index) if isinstance(evt.index, int) else None
        if result is None or listing.key == str(evt.index):
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return _answer_view(str(evt.index), result)

    def use_example(evt: gr.SelectData) -> str:
        return evt.value["text"]

    def examples(request: gr.Request) -> tuple[Any, Any]:
        """Example chips about the caller's library (made once per index generation); an
        empty library gets none and says how to fill it."""
        shown = space.examples(request)
        return (gr.update(examples=[{"text": q} for q in shown] or None,
                          placeholder=CHAT_HINT if space.visible(request) else EMPTY_LIBRARY),
                gr.update(placeholder=placeholder_question(shown)))

    def reset() -> tuple[Any, ...]:
        return [], Conversation(), "", *_answer_view("", None)

    def restore(text: str, current: Conversation) -> tuple[Any, ...]:
        """The conversation this tab saved, unless a question was asked before the page
        finished loading (restoring then would drop it: `answer` would find no question)."""
        if current.messages or current.pending:
            return tuple(gr.skip() for _ in answer_outputs)
        convo = Conversation.from_json(text)
        last = max(convo.answers, default=None)
        return (convo.messages, convo, gr.skip(),
                *_answer_view(str(last), None if last is None else convo.answers.get(last)))

    answer_outputs = [chatbot, conversation, saved, *view_outputs]
    for trigger in (question.submit, send.click):
        trigger(post, [question, conversation], [question, chatbot, conversation],
                queue=False).success(answer, [conversation], answer_outputs)
    chatbot.example_select(use_example, None, question, queue=False).then(
        post, [question, conversation], [question, chatbot, conversation],
        queue=False).success(answer, [conversation], answer_outputs)
    chatbot.select(pick, [conversation, viewer.shown], view_outputs, queue=False)
    copy.click(lambda text: gr.Info("Answer and sources copied.") if text
               else gr.Warning("Ask a question first; there is no answer to copy."),
               [copy_box], None, js=COPY_JS)  # queued: toasts travel on the queue
    for trigger in (clear.click, chatbot.clear):
        trigger(reset, None, answer_outputs, queue=False)
    saved.change(None, [saved], None, js=SAVE_JS)
    blocks.load(restore, [saved, conversation], answer_outputs, js=LOAD_JS, queue=False)
    blocks.load(examples, None, [chatbot, question], queue=False)
    return ChipUpdate(examples, [chatbot, question])


def _library_tab(space: Workspace, blocks: gr.Blocks, chips: ChipUpdate) -> None:
    """The documents in the index (refreshed on page load); upload to add, pick to remove.
    Each change also sets the chat's example chips for the library as it now is."""
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
                remove = gr.Button("Remove from library")
                # Removing asks first, naming the document; the answer applies to that one.
                with gr.Column(visible=False, elem_id="sitrep-remove-confirm") as confirm_box:
                    question = gr.Markdown()
                    with gr.Row():
                        confirm = gr.Button("Yes, remove it", variant="stop", size="sm")
                        cancel = gr.Button("Cancel", size="sm")
        status = gr.Markdown(elem_id="sitrep-library-status")
        grades_form(space, table)

    def refresh(request: gr.Request) -> tuple[list, Any]:
        records = space.visible(request)
        folder = space.settings.docs_dir
        return (library_rows(records, folder),
                gr.update(choices=document_choices(records, folder), value=None))

    add = _adder(space, blocks, refresh)
    ask_first, drop = _remover(space, refresh)
    for trigger in (blocks.load, tab.select):
        trigger(refresh, None, [table, doomed], queue=False)
    # No progress overlay: it covered the table; the status line reports per file instead.
    upload.upload(add, [upload], [table, doomed, status, upload], show_progress="hidden").then(
        chips.fn, None, chips.outputs, queue=False)
    remove.click(ask_first, [doomed], [confirm_box, question, status], queue=False)
    confirm.click(drop, [doomed], [table, doomed, status, confirm_box]).then(
        chips.fn, None, chips.outputs, queue=False)
    cancel.click(lambda: (gr.update(visible=False), "Nothing was removed."), None,
                 [confirm_box, status], queue=False)
    # A different choice (or none) withdraws the question: "Yes" always means the one named.
    doomed.change(lambda: gr.update(visible=False), None, confirm_box, queue=False)


# The Library table and removal choices for the caller, as `_library_tab`'s refresh gives them.
Refresh = Callable[[gr.Request], tuple[list, Any]]


def _adder(space: Workspace, blocks: gr.Blocks, refresh: Refresh) -> Callable[..., Any]:
    """The Library's upload handler."""

    def add(paths: list[str] | None, request: gr.Request) -> Iterator[tuple[Any, ...]]:
        """Ingest the uploads; the status says per file how far it got (`rag.serve.ui_upload`)
        while the table stays in view, then what was added."""
        if not paths:
            yield *refresh(request), gr.skip(), None
            return
        refused = [Path(p).name for p in paths if not _uploaded(p, blocks)]
        if refused:  # a crafted request naming a file on the server's disk
            raise gr.Error(f"Refused {', '.join(refused)}: not uploaded through this page.")
        caller, docs_dir = space.caller(request), space.settings.docs_dir

        def work(progress: ProgressFn) -> AddReport:
            # Each caller's own folder: no name of a document it may not see can collide.
            return add_files(space.engine.index, docs_dir, [Path(p) for p in paths],
                             progress, folder=upload_folder(docs_dir, caller),
                             visible=lambda record: can_see(caller, record))
        try:
            for step in stream_upload(work, [Path(p).name for p in paths]):
                if isinstance(step, str):
                    yield gr.skip(), gr.skip(), step, gr.skip()
                else:
                    yield (*refresh(request),
                           _status(step.added, step.unchanged, step.errors), None)
        except StoreError as exc:
            yield *refresh(request), _status(errors=[str(exc)]), None

    return add


def _remover(space: Workspace,
             refresh: Refresh) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The Library's removal handlers: ask first (naming the document), then remove."""

    def ask_first(doc_id: str | None, request: gr.Request) -> tuple[Any, str, str]:
        if not space.may_remove(request):
            return gr.update(visible=False), gr.skip(), _status(errors=[NO_REMOVAL])
        record = next((r for r in space.visible(request) if r.doc_id == doc_id), None)
        if record is None:
            return (gr.update(visible=False), gr.skip(),
                    _status(errors=["Choose a document to remove first."]))
        where = shown_source(record.source, space.settings.docs_dir)
        return (gr.update(visible=True),
                f"Remove **{escape(record.title)}** ({escape(where)}) from the library? Its "
                "file moves to `.removed/` in the library folder; move it back to restore it.",
                "")

    def drop(doc_id: str | None, request: gr.Request) -> tuple[list, Any, str, Any]:
        hide = gr.update(visible=False)
        if not space.may_remove(request):
            return *refresh(request), _status(errors=[NO_REMOVAL]), hide
        if not doc_id or doc_id not in space.allowed(request):
            return (*refresh(request), _status(errors=["Choose a document to remove first."]),
                    hide)
        try:
            record = remove_document(space.engine.index, space.settings.docs_dir, doc_id)
        except (LibraryError, StoreError) as exc:
            return *refresh(request), _status(errors=[str(exc)]), hide
        return (*refresh(request),
                f"Removed **{escape(record.title)}** ({escape(record.source)}).", hide)

    return ask_first, drop


def _uploaded(path: str, blocks: gr.Blocks) -> bool:
    """Did `path` arrive through Gradio's upload route (not merely name a server file)?"""
    folder = Path(gr_utils.get_upload_folder()).resolve()
    resolved = Path(path).resolve()
    return (resolved.is_relative_to(folder)
            and resolved in {Path(p).resolve() for p in blocks.upload_file_set})


def _status(added: Sequence[str] = (), unchanged: Sequence[str] = (),
            errors: Sequence[str] = ()) -> str:
    """Markdown for the library's status line (escaped: file names are user input)."""
    lines = []
    if added:
        lines.append(f"Added {', '.join(f'**{escape(a)}**' for a in added)}. "
                     "Ask about it in the Chat tab.")
    if unchanged:
        lines.append(f"Already in the library: {', '.join(escape(u) for u in unchanged)}.")
    lines += [f"⚠️ Not added: {escape(e)}" for e in errors]
    return "\n\n".join(lines)


def _brief_tab(space: Workspace) -> None:
    """A one-page brief (`rag.brief`) on the library or a topic, with its sources."""
    with gr.Tab("Brief", id="brief"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=3):
                with gr.Row():
                    topic = gr.Textbox(label="Topic (empty: the whole library)", scale=5,
                                       placeholder="e.g. troops")
                    write = gr.Button("Write brief", variant="primary", scale=1)
                with gr.Row():
                    long = gr.Checkbox(label="Long version", scale=1)
                    word = gr.DownloadButton("Download Word (.docx)", visible=False, scale=1)
                    markdown = gr.DownloadButton("Download Markdown", visible=False, scale=1)
                text = gr.Markdown(elem_id="sitrep-brief", container=True)
            with gr.Column(scale=2, elem_classes=["sitrep-side"]):
                viewer = _citation_viewer(space, "The brief's sources appear here.")

    def run(subject: str, more: bool,
            request: gr.Request) -> tuple[str, str, Listing, str, Any, Any]:
        result = brief(space.engine, subject.strip() or None,
                       allowed_docs=space.allowed(request), long=bool(more))
        citations = result.to_dict().get("citations", [])
        body = link_markers(tidy_quotes(result.to_markdown()), "brief",
                            [c["n"] for c in citations])
        files = save_copies(result)
        return (body, sources_html(citations, key="brief"), Listing("brief", citations),
                DOC_HINT, gr.update(value=str(files["docx"]), visible=True),
                gr.update(value=str(files["md"]), visible=True))

    for trigger in (write.click, topic.submit):
        trigger(run, [topic, long], [text, viewer.sources, viewer.shown, viewer.document,
                                     word, markdown])


def build_ui(engine: Engine, settings: Settings) -> gr.Blocks:
    """The whole UI: Chat, Library and Brief tabs over one engine."""
    space = Workspace(engine, settings, DocumentAccess(engine.index), Suggester(engine))
    with _Blocks(title="Sitrep") as blocks:
        # Gradio checks that a file sent to an event was uploaded (and copies nothing else
        # into its cache) only once `has_launched` is set, which `launch()` does and
        # `gr.mount_gradio_app` does not: without it, an event could name any server file.
        blocks.has_launched = True
        gr.Markdown("# Sitrep\nOffline briefings from your documents: every answer cites the "
                    "exact source sentences.", elem_id="sitrep-header")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                chips = _chat_tab(space, blocks)
            _library_tab(space, blocks, chips)
            _brief_tab(space)
    return blocks
