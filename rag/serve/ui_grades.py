"""The Library's "Source and grade" form: an editor sets a document's publisher, date,
reliability (A–F) and credibility (1–6), which HTML, text, Word and e-mail files cannot carry
in front matter. Saved through `rag.ingest.doc_metadata` beside the index and applied to the
document's citations at once; the same rule as removal decides who may edit
(`rag.serve.guard.removal_allowed`). *Restore original* drops a document's edits, so its citations
carry what its file says again (`DELETE /api/documents/{id}/metadata` over the API).

`grades_form(space, table)` builds the form inside the Library tab and wires it to the
library `table` (its rows are refreshed after a save; its changes refresh the form's list).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from rag.ingest.doc_metadata import MetadataError, clean_edit
from rag.serve.guard import removal_allowed
from rag.serve.ui_render import document_choices, escape, library_rows
from rag.tradecraft import CREDIBILITY, RELIABILITY

if TYPE_CHECKING:
    from rag.serve.ui import Workspace

NOT_GRADED = "—"
RELIABILITY_CHOICES = [(f"{NOT_GRADED} not graded", "")] + [
    (f"{letter} — {words}", letter) for letter, words in RELIABILITY.items()]
CREDIBILITY_CHOICES = [(f"{NOT_GRADED} not graded", "")] + [
    (f"{number} — {words}", str(number)) for number, words in CREDIBILITY.items()]
NO_EDITING = ("Editing documents is not enabled for you: it needs a group named in "
              "SITREP_EDITOR_GROUPS (or, without sign-in, SITREP_ALLOW_REMOVE=1).")
PICK_FIRST = "Choose a document to edit first."


def _current(space: Workspace, doc_id: str | None,
             request: gr.Request) -> dict[str, Any] | None:
    """The metadata the caller's chosen document has now (edits applied); None if hidden."""
    record = next((r for r in space.visible(request) if r.doc_id == doc_id), None)
    return None if record is None else record.metadata


def grades_form(space: Workspace, table: gr.Dataframe) -> None:
    """Build the form (collapsed until opened) and wire it to the library `table`."""
    with gr.Accordion("Source and grade of a document", open=False,
                      elem_id="sitrep-grades"):
        picker = gr.Dropdown(label="Document to grade", choices=[], value=None,
                             elem_id="sitrep-grade-choice")
        with gr.Row():
            source = gr.Textbox(label="Source (publisher)", max_length=200,
                                placeholder="e.g. Gulf Shipping Daily")
            date = gr.Textbox(label="Date", max_length=40, placeholder="YYYY-MM-DD")
        with gr.Row():
            reliability = gr.Dropdown(label="Reliability of the source",
                                      choices=RELIABILITY_CHOICES, value="")
            credibility = gr.Dropdown(label="Credibility of the information",
                                      choices=CREDIBILITY_CHOICES, value="")
        with gr.Row():
            save = gr.Button("Save source and grade", variant="primary", size="sm")
            restore = gr.Button("Restore original", variant="secondary", size="sm",
                                elem_id="sitrep-grade-restore")
        status = gr.Markdown(elem_id="sitrep-grades-status")
    fields = [source, date, reliability, credibility]

    def fill_choices(request: gr.Request) -> Any:
        return gr.update(choices=document_choices(space.visible(request),
                                                  space.settings.docs_dir))

    def values(metadata: dict[str, Any]) -> tuple[str, str, str, str]:
        return (str(metadata.get("source") or ""), str(metadata.get("date") or ""),
                str(metadata.get("reliability") or "").upper(),
                str(metadata.get("credibility") or ""))

    def load(doc_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        """The chosen document's current values into the form."""
        record = next((r for r in space.visible(request) if r.doc_id == doc_id), None)
        if record is None:
            return "", "", "", "", ""
        edited = " (edited here; *Restore original* goes back to what its file says)" \
            if space.engine.index.edits.get(record.doc_id) else ""
        return (*values(record.metadata),
                f"Editing **{escape(record.title)}**{edited}: change the values and save.")

    def store(doc_id: str | None, publisher: str, when: str, letter: str, number: str,
              request: gr.Request) -> tuple[Any, str]:
        """Validate and save; the table shows the new values. A refused edit keeps the form
        as typed (nothing is lost) and says what to fix."""
        if not removal_allowed(space.caller(request), space.settings):
            return gr.skip(), f"⚠️ {NO_EDITING}"
        if doc_id is None or _current(space, doc_id, request) is None:
            return gr.skip(), f"⚠️ {PICK_FIRST}"
        try:
            space.engine.index.edits.set(doc_id, clean_edit({
                "source": publisher, "date": when, "reliability": letter,
                "credibility": number}))
        except MetadataError as exc:
            return gr.skip(), f"⚠️ Not saved: {escape(str(exc))}"
        record = next(r for r in space.visible(request) if r.doc_id == doc_id)
        return (library_rows(space.visible(request), space.settings.docs_dir),
                f"Saved for **{escape(record.title)}**; its citations carry it from now on.")

    def restore_original(doc_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        """Drop the document's edits (`MetadataEdits.clear`, as DELETE
        /api/documents/{id}/metadata): the form and table show what its file says again."""
        unchanged = (gr.skip(),) * 5
        if not removal_allowed(space.caller(request), space.settings):
            return *unchanged, f"⚠️ {NO_EDITING}"
        if doc_id is None or _current(space, doc_id, request) is None:
            return *unchanged, f"⚠️ {PICK_FIRST}"
        try:
            had = space.engine.index.edits.clear(doc_id)
        except MetadataError as exc:
            return *unchanged, f"⚠️ Not restored: {escape(str(exc))}"
        visible = space.visible(request)
        record = next(r for r in visible if r.doc_id == doc_id)
        said = ("Restored what its file says for" if had
                else "Nothing to restore: no edits were saved for")
        return (library_rows(visible, space.settings.docs_dir), *values(record.metadata),
                f"{said} **{escape(record.title)}**; its citations carry it from now on.")

    table.change(fill_choices, None, picker, queue=False)
    picker.change(load, picker, [*fields, status], queue=False)
    save.click(store, [picker, *fields], [table, status], queue=False)
    restore.click(restore_original, picker, [table, *fields, status], queue=False)
