"""The JSON HTTP API: `build_api(engine, settings)` returns a FastAPI app with `/api/*`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

import rag
from rag.config import Settings
from rag.engine import Engine, QuestionError


class AskRequest(BaseModel):
    question: str = Field(..., description="The question to answer")
    history: list[dict[str, Any]] | None = Field(None, description="Earlier chat turns")
    id: str | int | None = None


def build_api(engine: Engine, settings: Settings) -> FastAPI:
    """FastAPI app with `/api/ask` and `/healthz`."""
    app = FastAPI(title="Sitrep", version=rag.__version__)

    @app.get("/healthz")
    def healthz() -> dict[str, Any]:
        return {"status": "ok", "documents": len(engine.index.documents())}

    @app.post("/api/ask")
    def ask(request: AskRequest):
        try:
            return engine.ask(request.question, request.history, request.id).to_dict()
        except QuestionError as exc:
            return JSONResponse(status_code=422, content={"error": str(exc)})

    return app
