"""Upload progress the Library shows, one line per file, while the table stays in view.

`stream_upload(work, names)` runs an upload (`work(progress)`, e.g. `rag.serve.library.add_files`)
in a thread and yields the status Markdown each time a file moves on ("waiting", "embedded,
120 of 300 sentences"), then the finished `AddReport`. Ingest reports progress after each
document it commits (`rag.ingest.pipeline.ProgressFn`), with the document's recorded path.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from rag.serve.library import AddReport, safe_name
from rag.serve.ui_markdown import escape

ProgressFn = Callable[[int, int, str], None]
HEARTBEAT_S = 1.0  # how often the elapsed time moves while a large file embeds


class UploadStatus:
    """Per-file states of one upload, as Markdown."""

    def __init__(self, names: list[str]) -> None:
        self.names = list(dict.fromkeys(safe_name(n) for n in names))
        self.embedded: dict[str, bool] = {}
        self.done, self.total = 0, 0
        self.started = time.monotonic()

    def progress(self, done: int, total: int, source: str) -> None:
        """Ingest committed the document recorded as `source`: `done` of `total` sentences."""
        self.embedded[Path(source).name] = True
        self.done, self.total = done, total

    def markdown(self) -> str:
        """"Adding 2 files (4 s): …" and one line per file."""
        seconds = int(time.monotonic() - self.started)
        head = (f"Adding {len(self.names)} file{'s' if len(self.names) != 1 else ''} "
                f"({seconds} s)")
        if self.total:
            head += f": {self.done:,} of {self.total:,} sentences embedded"
        lines = [head + "."]
        for name in self.names:
            state = ("embedded ✓" if self.embedded.get(name)
                     else "reading, checking and embedding…")
            lines.append(f"- **{escape(name)}** — {state}")
        return "\n".join(lines)


def stream_upload(work: Callable[[ProgressFn], AddReport],
                  names: list[str]) -> Iterator[str | AddReport]:
    """Yield status Markdown while `work` runs in a thread, then its `AddReport` (its
    exception, if any, is raised here)."""
    status = UploadStatus(names)
    events: queue.Queue[tuple[int, int, str] | None] = queue.Queue()
    outcome: dict[str, AddReport] = {}
    failure: dict[str, BaseException] = {}

    def run() -> None:
        try:
            outcome["report"] = work(lambda *event: events.put(event))
        except BaseException as exc:  # re-raised in the caller's thread
            failure["error"] = exc
        finally:
            events.put(None)

    threading.Thread(target=run, daemon=True, name="sitrep-upload").start()
    yield status.markdown()
    while True:
        try:
            event = events.get(timeout=HEARTBEAT_S)
        except queue.Empty:
            yield status.markdown()
            continue
        if event is None:
            break
        status.progress(*event)
        yield status.markdown()
    if "error" in failure:
        raise failure["error"]
    yield outcome["report"]
