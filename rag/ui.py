"""The Gradio chat UI: `build_ui(engine)` returns the Blocks that app.py mounts at `/`."""

from __future__ import annotations

from typing import Any

import rag  # noqa: F401  (offline environment before gradio loads)
import gradio as gr

from rag.engine import Engine, QuestionError


def build_ui(engine: Engine) -> gr.Blocks:
    """A chat over the index: answers in markdown with [n] markers and their sources."""

    def respond(message: str, history: list[dict[str, Any]]) -> str:
        turns = [{"role": t["role"], "content": t["content"]} for t in history
                 if isinstance(t.get("content"), str)]
        try:
            answer = engine.ask(message, turns).to_dict()
        except QuestionError as exc:
            return f"⚠️ {exc}"
        sources = "\n".join(
            f"{c['n']}. “{c['sentence']}” — *{c['title']}*"
            f"{' · ' + c['section'] if c['section'] else ''}" for c in answer["citations"])
        return answer["answer"] + (f"\n\n**Sources**\n\n{sources}" if sources else "")

    with gr.Blocks(title="Sitrep") as blocks:
        gr.Markdown("# Sitrep\nAsk about the documents in the index; every answer cites "
                    "its source sentences.")
        gr.ChatInterface(respond, examples=["How many troops?", "Who visited North Korea?",
                                            "What is China concerned about?"])
    return blocks
