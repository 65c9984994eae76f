"""The JSON HTTP API: `build_api(engine, settings)` returns a FastAPI app with `/api/*`.

Routes: `POST /api/ask` (question + history → the answer object of the guide), `POST /api/brief`
and `POST /api/brief/export` (a .docx or .md file), `GET /api/documents`,
`GET /api/documents/{id}/text` (the text a document's citation offsets index),
`PATCH /api/documents/{id}/metadata` (an editor sets publisher, date and grade),
`DELETE /api/documents/{id}/metadata` (an editor drops those edits: the file's values again),
`GET /healthz`,
`GET /widget.js`, and the OpenAPI schema at `/openapi.json`. Every error is JSON
`{"error": "..."}`. The guards in `rag.serve.guard` (log, CORS, size, auth, rate) wrap this app and
whatever is mounted in it later (the Gradio UI). Each caller only ever sees the documents its
groups allow (`rag.serve.access`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

import rag
from rag.brief import Brief
from rag.brief import brief as make_brief
from rag.brief.export import FORMATS as EXPORT_TYPES
from rag.brief.export import file_name, render
from rag.config import Settings
from rag.contracts import DocRecord
from rag.engine import Engine, QuestionError
from rag.ingest.doc_metadata import MetadataError, clean_edit
from rag.ingest.documents import add_source_spans
from rag.serve.access import ANONYMOUS, Caller, DocumentAccess
from rag.serve.guard import install_guards, removal_allowed

WIDGET = Path(__file__).parent / "static" / "widget.js"
log = logging.getLogger("sitrep.api")


def _unicode(text: str) -> str:
    """Refuse lone surrogates (valid JSON escapes, but not text the model can encode)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogate code points)") from None
    return text


Text = Annotated[str, AfterValidator(_unicode)]


class Turn(BaseModel):
    """One earlier chat turn."""

    role: Literal["user", "assistant"]
    content: Text


class AskRequest(BaseModel):
    """A question, with the conversation so far for follow-ups."""

    question: Text = Field(..., description="The question; at most SITREP_MAX_QUESTION_CHARS "
                          "characters after whitespace is collapsed", examples=["How many troops?"])
    history: list[Turn] = Field(default_factory=list, description="Earlier chat turns")
    id: str | int | None = Field(None, description="Echoed back in the answer")


class BriefRequest(BaseModel):
    """A briefing on the whole corpus, or on a topic."""

    topic: Text | None = Field(None, description="Optional topic; empty: the whole corpus")
    long: bool = Field(False, description="More than one page: key figures, quotes, "
                       "assessments and the cited sentences in full")


class BriefExportRequest(BriefRequest):
    """A brief as a file to forward."""

    format: Literal["docx", "md"] = Field("docx", description="Word document or Markdown")


class Error(BaseModel):
    """Every refusal and failure."""

    error: str


class CitationOut(BaseModel):
    """A verbatim source sentence with its character offsets into the document."""

    model_config = ConfigDict(extra="allow")
    n: int
    doc_id: str
    source: str
    title: str
    sentence: str
    start: int
    end: int
    score: float
    source_start: int | None = Field(
        None, description="HTML sources only: where the sentence stands verbatim in the raw "
        "file (absent when it does not stand there contiguously)")
    source_end: int | None = None


class StatementOut(BaseModel):
    """One claim of the bottom line (`rag.contracts.Statement`), for clients that write the
    answer out themselves: `lead`, the `value` in bold, `tail`, then (when `quotes`) the
    sentence of citation `cites[0]`, then the markers of `cites`."""

    lead: str = ""
    value: str = ""
    tail: str = ""
    cites: list[int] = Field(default_factory=list)
    quotes: bool = False


class AnswerOut(BaseModel):
    """The answer object of the guide (more fields may be present)."""

    model_config = ConfigDict(extra="allow")
    id: str | int | None
    question: str
    answer: str = Field(description="the whole answer in Markdown, written from its fields")
    abstained: bool
    citations: list[CitationOut]
    timings_ms: dict[str, float]
    bluf: str = Field("", description="the bottom line in Markdown")
    bottom_line: list[StatementOut] = Field(
        default_factory=list, description="the bottom line as fields (what `bluf` is written "
        "from): no client needs to parse the Markdown")


class DocumentOut(BaseModel):
    """One document the caller may see."""

    doc_id: str
    source: str
    title: str
    sentences: int
    chunks: int
    ingested_at: float
    metadata: dict[str, Any]


class DocumentsOut(BaseModel):
    documents: list[DocumentOut]


class DocumentTextOut(BaseModel):
    """The text a document's citation offsets index: `text[start:end] == sentence`. For `.txt`
    and `.md` it is the file itself; for HTML, PDF, Word and e-mail the extracted text."""

    doc_id: str
    source: str
    title: str
    text: str


class MetadataEdit(BaseModel):
    """New values for a document's publisher, date and Admiralty grade. Give only the fields
    to change; null or "" clears a value (the file's own value no longer counts)."""

    model_config = ConfigDict(extra="forbid")
    source: Text | None = Field(None, description="The publisher, e.g. Gulf Shipping Daily",
                                max_length=1000)
    date: Text | None = Field(None, description="YYYY-MM-DD (or YYYY-MM, or YYYY)",
                              max_length=100)
    reliability: Text | None = Field(None, description="Source reliability A–F",
                                     max_length=100)
    credibility: int | Text | None = Field(None, description="Information credibility 1–6")


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": Error, "description": text} for code, text in {
        400: "malformed request", 401: "authentication required", 403: "origin not allowed",
        413: "request body too large", 422: "invalid question or history",
        429: "rate limit exceeded"}.items()}


def _caller(request: Request) -> Caller:
    return getattr(request.state, "caller", ANONYMOUS)


def _document_out(record: DocRecord) -> DocumentOut:
    return DocumentOut(doc_id=record.doc_id, source=record.source, title=record.title,
                       sentences=record.sentences, chunks=record.chunks,
                       ingested_at=record.ingested_at, metadata=record.metadata)


def _validation_message(exc: RequestValidationError) -> tuple[int, str]:
    """A one-line message naming each bad field; 400 when the body is not JSON at all."""
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return 400, "request body is not valid JSON"
    parts = []
    for e in errors[:5]:
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        parts.append(f"{where}: {e.get('msg', 'invalid')}")
    return 422, "; ".join(parts)


def attachment(name: str) -> str:
    """The Content-Disposition of a download called `name`. Header values are Latin-1, so a
    name beyond ASCII (a topic in another script) goes in `filename*` as UTF-8 (RFC 6266) with
    an ASCII `filename` beside it, instead of failing the response with a 500."""
    plain = name.encode("ascii", "replace").decode("ascii").replace("?", "-")
    if plain == name:
        return f'attachment; filename="{name}"'
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


def build_api(engine: Engine, settings: Settings) -> FastAPI:
    """FastAPI app with the routes above and all guards installed."""
    # No /docs or /redoc pages: they load Swagger/ReDoc from a CDN, and Sitrep stays offline.
    app = FastAPI(title="Sitrep", version=rag.__version__, docs_url=None, redoc_url=None,
                  description="Answers with exact citations from the indexed documents.")
    access = DocumentAccess(engine.index)
    install_guards(app, settings)
    _error_handlers(app)
    # Registration order is the OpenAPI order, and the catch-all `/api/{rest}` comes last.
    _answer_routes(app, engine, access)
    _document_routes(app, engine, access, settings)
    _fallback_routes(app)
    return app


def _error_handlers(app: FastAPI) -> None:
    """Every error as `{"error": message}`; an unhandled one is a 500 with no details."""

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        status, message = _validation_message(exc)
        return JSONResponse(status_code=status, content={"error": message})

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse(status_code=exc.status_code, content={"error": str(exc.detail)},
                            headers=exc.headers)

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        # The traceback goes to the server log only: it may quote document text.
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse(status_code=500, content={"error": "internal error; the server "
                                                      "log has the details"})


def _answer_routes(app: FastAPI, engine: Engine, access: DocumentAccess) -> None:
    """`/healthz`, `/api/ask`, `/api/brief` and `/api/brief/export`."""

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, str]:
        """Liveness: the server is up (public, no document information)."""
        return {"status": "ok", "version": rag.__version__}

    @app.post("/api/ask", response_model=AnswerOut, responses=ERRORS, tags=["api"])
    def ask(body: AskRequest, request: Request) -> JSONResponse:
        """Answer a question from the documents the caller may see."""
        turns = [t.model_dump() for t in body.history]
        request.state.log = {"question_chars": len(body.question), "history_turns": len(turns),
                             "question": body.question}
        allowed = access.allowed_docs(_caller(request))
        try:
            answer = engine.ask(body.question, turns, body.id, allowed_docs=allowed).to_dict()
        except QuestionError as exc:
            return JSONResponse(status_code=422, content={"error": str(exc)})
        add_source_spans(answer["citations"], engine.index.document_text)
        request.state.log.update(citations=len(answer["citations"]),
                                 abstained=answer["abstained"], documents=len(allowed))
        return JSONResponse(answer)

    @app.post("/api/brief", tags=["api"], responses=ERRORS)
    def brief(body: BriefRequest, request: Request) -> JSONResponse:
        """A one-page brief on the corpus (or a topic) from the documents the caller may see."""
        return JSONResponse(_caller_brief(body, request).to_dict())

    @app.post("/api/brief/export", tags=["api"], response_class=Response, responses={
        **ERRORS, 200: {"description": "the brief as a file",
                        "content": {media: {} for media in EXPORT_TYPES.values()}}})
    def brief_export(body: BriefExportRequest, request: Request) -> Response:
        """The brief as a Word document (`docx`) or Markdown (`md`) file to download."""
        result = _caller_brief(body, request)
        return Response(render(result, body.format), media_type=EXPORT_TYPES[body.format],
                        headers={"Content-Disposition": attachment(file_name(result, body.format))})

    def _caller_brief(body: BriefRequest, request: Request) -> Brief:
        """The brief from the documents this caller may see (and nothing else)."""
        request.state.log = {"question_chars": len(body.topic or ""), "question": body.topic}
        allowed = access.allowed_docs(_caller(request))
        return make_brief(engine, body.topic or None, allowed_docs=allowed, long=body.long)


def _document_routes(app: FastAPI, engine: Engine, access: DocumentAccess,
                     settings: Settings) -> None:
    """`/api/documents`, a document's text, and the edits of its metadata."""

    @app.get("/api/documents", response_model=DocumentsOut, responses=ERRORS, tags=["api"])
    def documents(request: Request) -> DocumentsOut:
        """The documents the caller may see."""
        visible = access.visible(_caller(request))
        request.state.log = {"documents": len(visible)}
        return DocumentsOut(documents=[_document_out(r) for r in visible])

    @app.get("/api/documents/{doc_id}/text", response_model=DocumentTextOut, tags=["api"],
             responses={**ERRORS, 404: {"model": Error, "description": "no such document "
                                        "for this caller"}})
    def document_text(doc_id: str, request: Request) -> JSONResponse:
        """The text a document's citation offsets index, if the caller may see the document."""
        record = next((r for r in access.visible(_caller(request)) if r.doc_id == doc_id), None)
        text = engine.index.document_text(doc_id) if record is not None else None
        request.state.log = {"document_text": record is not None and text is not None}
        if record is None or text is None:  # the same answer whether hidden or missing
            return JSONResponse(status_code=404, content={"error": f"no document {doc_id[:64]!r}"})
        return JSONResponse({"doc_id": record.doc_id, "source": record.source,
                             "title": record.title, "text": text})

    @app.patch("/api/documents/{doc_id}/metadata", response_model=DocumentOut, tags=["api"],
               responses={**ERRORS, 403: {"model": Error, "description": "not an editor"},
                          404: {"model": Error, "description": "no such document for this "
                                "caller"}})
    def edit_metadata(doc_id: str, body: MetadataEdit, request: Request) -> JSONResponse:
        """Set a document's publisher (`source`), `date`, `reliability` and `credibility`,
        kept beside the index across re-ingests and applied to its citations at once. Editors
        only: the rule that governs removal (SITREP_EDITOR_GROUPS with credentials,
        SITREP_ALLOW_REMOVE=1 without). A null or empty value clears the file's value."""
        request.state.log = {"metadata_edit": sorted(body.model_fields_set)}
        return _change_metadata(doc_id, request, lambda: engine.index.edits.set(
            doc_id, clean_edit(body.model_dump(include=body.model_fields_set))))

    @app.delete("/api/documents/{doc_id}/metadata", response_model=DocumentOut, tags=["api"],
                responses={**ERRORS, 403: {"model": Error, "description": "not an editor"},
                           404: {"model": Error, "description": "no such document for this "
                                 "caller"}})
    def restore_metadata(doc_id: str, request: Request) -> JSONResponse:
        """Drop the edits of a document's publisher, date and grade: its metadata is what its
        file says again (the Library's "Restore original"), in its citations at once. Same
        editors as PATCH; a document without edits is returned as it is."""
        request.state.log = {"metadata_restore": True}
        return _change_metadata(doc_id, request, lambda: engine.index.edits.clear(doc_id))

    def _change_metadata(doc_id: str, request: Request, change) -> JSONResponse:
        """Check the caller may see (404) and edit (403) the document, make the change (a
        MetadataError is a 422) and answer with the document as it is now."""
        caller = _caller(request)
        record = next((r for r in access.visible(caller) if r.doc_id == doc_id), None)
        if record is None:
            return JSONResponse(status_code=404, content={"error": f"no document {doc_id[:64]!r}"})
        if not removal_allowed(caller, settings):
            return JSONResponse(status_code=403, content={
                "error": "editing documents needs a group named in SITREP_EDITOR_GROUPS (or, "
                         "without credentials, SITREP_ALLOW_REMOVE=1)"})
        try:
            change()
        except MetadataError as exc:
            return JSONResponse(status_code=422, content={"error": str(exc)})
        updated = next(r for r in access.visible(caller) if r.doc_id == doc_id)
        return JSONResponse(_document_out(updated).model_dump())


def _fallback_routes(app: FastAPI) -> None:
    """The catch-all for unknown `/api/*` paths (registered after every API route) and the
    widget's script."""

    # Without this, unknown /api/* paths would fall through to the Gradio app mounted at `/`.
    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                   include_in_schema=False)
    def unknown(rest: str, request: Request) -> JSONResponse:
        """404 for an unknown path; 405 (with Allow) for a known one asked with another method."""
        allowed = sorted({method for route in app.routes if isinstance(route, APIRoute)
                          and route.path == f"/api/{rest}" for method in route.methods or ()})
        if allowed:
            return JSONResponse(status_code=405, headers={"Allow": ", ".join(allowed)}, content={
                "error": f"/api/{rest} takes {', '.join(allowed)}, not {request.method}"})
        return JSONResponse(status_code=404, content={
            "error": f"no API route {request.method} /api/{rest}; see /openapi.json"})

    @app.get("/widget.js", include_in_schema=False)
    def widget() -> FileResponse:
        """The embeddable chat widget (one self-contained script)."""
        return FileResponse(WIDGET, media_type="text/javascript; charset=utf-8",
                            headers={"Cache-Control": "public, max-age=300",
                                     "X-Content-Type-Options": "nosniff"})
