"""`python -m rag bench`: ingest throughput, ask latency, cold start, memory and HTTP load.

For the shipped corpus (docs/) and for synthetic corpora of about `--sizes` chunks (built from
real text by `rag.tools.bench_corpus`), the benchmark runs each stage in a fresh process so that
memory and start-up figures belong to that stage alone:

- ingest (`python -m rag.tools.bench ingest CORPUS INDEX`): the real `Index.ingest`, timed, then the
  raw model encode of exactly the texts ingest embedded (sentences and chunks; and sentences
  alone), timed in the same process: the floor ingest cannot beat;
- ask (`python -m rag.tools.bench ask INDEX QUESTIONS`): a fresh process; the time from spawn to its
  first answer is the cold start; then every other question once, timed one by one (warm);
  its peak RSS is the serving process's;
- server mode (`--server`): the same ask stage against a `chroma run` serving the same files
  (`SITREP_CHROMA_URL`), after a `table` stage has saved that process's sentence table
  snapshot (timed: what a machine's first start costs); the server's own peak RSS is reported;
- HTTP: `python app.py` on a free loopback port, 16 client threads posting to /api/ask.

`run_bench(...)` returns a `BenchReport`; `format_table(report)` renders it. Timings on a shared
machine are noisy: the report records the load average before and after. Data paths come in as
parameters (`--squad`, default `rag.config.SQUAD_DEV`); the repository's own corpora and
question sets are found beside this code.
"""

from __future__ import annotations

import http.client
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rag.ingest.documents import Splitter

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS_PER_FILE = 20
HTTP_CLIENTS = 16
HTTP_REQUESTS_PER_CLIENT = 8
STAGE_TIMEOUT_S = 4 * 3600
# Above this many chunks the corpus repeats the pool's paragraphs; the ingest stage then segments
# each distinct paragraph once (see ingest_stage), so 100k chunks can be built in minutes.
MEMOISE_ABOVE_CHUNKS = 20_000


# ---- results -------------------------------------------------------------------------------

@dataclass
class IngestResult:
    """One ingest stage: what was indexed, how fast, and the model floor for the same texts."""

    documents: int
    sentences: int
    chunks: int
    encoded: int  # texts the model encoded (the rest came from the vector cache)
    reused: int
    seconds: float
    sentences_per_s: float
    peak_rss_mb: float
    segmentation_memoised: bool = False  # see ingest_stage
    table_seconds: float = 0.0  # building and saving the sentence table snapshot after ingest
    floor_seconds: float | None = None  # raw encode of the same sentences + chunks
    floor_sentences_per_s: float | None = None
    raw_sentences_per_s: float | None = None  # raw encode of the sentences alone

    @property
    def share_of_floor(self) -> float | None:
        """Ingest throughput as a share of the model-only throughput on the same texts."""
        if not self.floor_sentences_per_s:
            return None
        return self.sentences_per_s / self.floor_sentences_per_s


@dataclass
class AskResult:
    """One ask stage in a fresh process."""

    cold_start_s: float
    questions: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    retrieve_p95_ms: float
    peak_rss_mb: float
    model_threads: int
    # CPU time of the ask process: less sensitive than wall time to other load on the machine.
    cold_start_cpu_s: float = 0.0
    cpu_p50_ms: float = 0.0
    cpu_p95_ms: float = 0.0
    model_share: float = 0.0  # share of warm ask wall time spent inside the model's encode
    # Of the RSS at the end: anonymous memory; the rest is clean file pages (Chroma's SQLite,
    # the memory-mapped sentence table) that the kernel takes back when memory is short.
    anon_rss_mb: float = 0.0
    server_peak_rss_mb: float = 0.0  # server mode: the `chroma run` process
    table_build_s: float = 0.0  # server mode: building this machine's table snapshot


@dataclass
class HttpResult:
    """Concurrent POST /api/ask against the real app on loopback."""

    clients: int
    requests: int
    errors: int
    seconds: float
    requests_per_s: float
    p50_ms: float
    p95_ms: float
    first_error: str = ""


@dataclass
class SizeResult:
    label: str
    target_chunks: int | None
    ingest: IngestResult
    ask: AskResult
    http: HttpResult | None = None
    server: AskResult | None = None  # the ask stage against a Chroma server


@dataclass
class BenchReport:
    cpus: int
    load_before: tuple[float, float, float]
    backend: str = "torch"  # SITREP_BACKEND of every stage
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    sizes: list[SizeResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for size, result in zip(data["sizes"], self.sizes):
            size["ingest"]["share_of_floor"] = result.ingest.share_of_floor
        return data


# ---- helpers --------------------------------------------------------------------------------

def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _status_mb(field_name: str, pid: int | str = "self") -> float:
    """A memory field of /proc/PID/status (VmHWM, RssAnon, ...) in MB; 0.0 if unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, timeout_s: float) -> None:
    """Poll `url` until it answers 200; raise if `proc` dies or `timeout_s` passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up (exit code {proc.poll()})")
        time.sleep(0.3)


def sources(squad: Path) -> list[Path]:
    """The folders whose text builds the synthetic corpora: the repository's own corpora, then
    the SQuAD 2.0 dev sample's in `squad` (skipped when absent)."""
    return [ROOT / "docs", ROOT / "evals/fixture/corpus", squad / "corpus"]


def question_files(squad: Path) -> list[Path]:
    """The question files: the shipped corpus's (asked alone of it), the fixture's and the SQuAD
    2.0 dev sample's in `squad` (all three asked of the synthetic corpora; a missing one is
    skipped)."""
    return [ROOT / "evals/data/docs_questions.jsonl", ROOT / "evals/data/fixture_questions.jsonl",
            squad / "questions.jsonl"]


def load_questions(files: list[Path], per_file: int = QUESTIONS_PER_FILE) -> list[str]:
    """Up to `per_file` distinct questions from each JSONL file that exists."""
    questions: list[str] = []
    for path in files:
        if path.exists():
            lines = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            questions += list(dict.fromkeys(item["question"] for item in lines))[:per_file]
    return questions


def _env(index_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SITREP_") or k in ("SITREP_MODEL", "SITREP_BACKEND",
                                                   "SITREP_CACHE", "SITREP_READER")}
    return {**env, "SITREP_INDEX": str(index_dir), "PYTHONPATH": str(ROOT), **extra}


def _stage(args: list[str], index_dir: Path) -> dict[str, Any]:
    """Run `python -m rag.tools.bench ARGS` and return its last stdout line as JSON."""
    done = subprocess.run([sys.executable, "-m", "rag.tools.bench", *args], cwd=ROOT,
                          env=_env(index_dir), capture_output=True, text=True,
                          timeout=STAGE_TIMEOUT_S)
    if done.returncode != 0:
        raise RuntimeError(f"bench stage {args[0]} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---- stages (each runs in its own process) --------------------------------------------------

def memoised_splitter() -> Splitter:
    """`split_sentences` segmenting each distinct paragraph once (bench only, large sizes),
    passed to `Index.ingest` as its `split`.

    Synthetic corpora beyond the pool repeat its paragraphs, and pysbd (~185k chars/s) would
    spend most of a 100k-chunk build re-splitting them. The spans are the same either way;
    everything else (layout, hashing, chunking, vectors, Chroma writes) is the real ingest.
    """
    from rag.ingest.documents import split_sentences

    @cache
    def spans(text: str) -> tuple[tuple[int, int], ...]:
        return tuple(split_sentences(text))

    def split(text: str, base: int = 0) -> list[tuple[int, int]]:
        return [(base + start, base + end) for start, end in spans(text)]

    return split


def ingest_stage(corpus: Path, index_dir: Path, floor: bool, memoise: bool) -> IngestResult:
    """Ingest `corpus` into a new embedded index; with `floor`, time the raw encode too."""
    from rag.config import load_settings
    from rag.ingest.documents import split_sentences
    from rag.ingest.store import Index
    from rag.retrieval.sentence_table import SentenceTable

    index = Index(load_settings().with_index(index_dir))
    index.embedder.encode(["warm up the model"])
    report = index.ingest([corpus], split=memoised_splitter() if memoise else split_sentences)
    if report.errors:
        raise RuntimeError(f"ingest errors: {report.errors[:3]}")
    started = time.perf_counter()
    SentenceTable.load(index)  # what `rag ingest` does last: save the sentence table snapshot
    table_seconds = time.perf_counter() - started
    result = IngestResult(documents=len(report.added), sentences=report.sentences,
                          chunks=report.chunks, encoded=report.encoded, reused=report.reused,
                          seconds=report.seconds,
                          sentences_per_s=report.sentences / report.seconds,
                          peak_rss_mb=peak_rss_mb(), segmentation_memoised=memoise,
                          table_seconds=table_seconds)
    if floor:
        # (`or []`: Chroma types every field Optional, even one asked for)
        sentences = index.sentences.get(include=["documents"])["documents"] or []
        chunks = index.chunks.get(include=["documents"])["documents"] or []
        started = time.perf_counter()
        index.embedder.encode(sentences + chunks)
        result.floor_seconds = time.perf_counter() - started
        result.floor_sentences_per_s = len(sentences) / result.floor_seconds
        started = time.perf_counter()
        index.embedder.encode(sentences)
        result.raw_sentences_per_s = len(sentences) / (time.perf_counter() - started)
    return result


def _time_model(embedder) -> list[float]:
    """Wrap `embedder.encode` (this process only) to add its wall ms into the returned cell."""
    spent = [0.0]
    encode = embedder.encode

    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return encode(*args, **kwargs)
        finally:
            spent[0] += (time.perf_counter() - started) * 1000

    embedder.encode = timed
    return spent


def ask_stage(index_dir: Path, questions: list[str]) -> None:
    """Answer the first question (the parent times this as cold start), then time the rest.

    Prints one JSON line after the first answer and one with the results at the end.
    """
    from rag.config import load_settings
    from rag.engine import Engine

    engine = Engine(load_settings().with_index(index_dir))
    model_ms = _time_model(engine.index.embedder)
    engine.ask(questions[0])
    print(json.dumps({"first_answer_cpu_s": time.process_time()}), flush=True)
    engine.warm_up()  # what the app does at start: the NER model too, not only the embedder
    totals, retrieves, cpu = [], [], []
    model_ms[0] = 0.0
    for question in questions[1:]:
        started, started_cpu = time.perf_counter(), time.process_time()
        answer = engine.ask(question)
        totals.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        retrieves.append(answer.timings_ms.get("retrieve", 0.0))
    if "torch" in sys.modules:  # the torch backend
        threads = sys.modules["torch"].get_num_threads()
    else:  # onnxruntime follows OMP_NUM_THREADS (rag/embed/model.py), else one per core
        threads = int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1)
    print(json.dumps({"latencies_ms": totals, "retrieve_ms": retrieves, "cpu_ms": cpu,
                      "model_share": model_ms[0] / (sum(totals) or 1.0),
                      "peak_rss_mb": peak_rss_mb(), "anon_rss_mb": _status_mb("RssAnon"),
                      "model_threads": threads}), flush=True)


def table_stage(index_dir: Path) -> None:
    """Load (build and save, if need be) the sentence table; print the seconds it took."""
    from rag.config import load_settings
    from rag.ingest.store import Index
    from rag.retrieval.sentence_table import SentenceTable

    index = Index(load_settings().with_index(index_dir))
    started = time.perf_counter()
    SentenceTable.load(index)
    print(json.dumps({"seconds": time.perf_counter() - started}), flush=True)


def run_ask(index_dir: Path, questions: list[str], **env: str) -> AskResult:
    """Spawn the ask stage; time spawn → first answer; collect its warm latencies."""
    from rag.tools.evaluate.metrics import percentile

    qfile = index_dir.parent / f"{index_dir.name}-questions.json"
    qfile.write_text(json.dumps(questions))
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "rag.tools.bench", "ask", str(index_dir),
                             str(qfile)], cwd=ROOT, env=_env(index_dir, **env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None  # stdout=PIPE
    first = proc.stdout.readline()
    cold = time.perf_counter() - started
    rest, err = proc.communicate(timeout=STAGE_TIMEOUT_S)
    if proc.returncode != 0 or not first:
        raise RuntimeError(f"bench ask stage failed: {err[-2000:]}")
    data = json.loads(rest.strip().splitlines()[-1])
    lat = data["latencies_ms"]
    return AskResult(cold_start_s=cold, questions=len(lat), p50_ms=percentile(lat, 50),
                     p95_ms=percentile(lat, 95), p99_ms=percentile(lat, 99),
                     retrieve_p95_ms=percentile(data["retrieve_ms"], 95),
                     peak_rss_mb=data["peak_rss_mb"], model_threads=data["model_threads"],
                     anon_rss_mb=data["anon_rss_mb"],
                     cold_start_cpu_s=json.loads(first)["first_answer_cpu_s"],
                     cpu_p50_ms=percentile(data["cpu_ms"], 50),
                     cpu_p95_ms=percentile(data["cpu_ms"], 95), model_share=data["model_share"])


def run_server_ask(index_dir: Path, questions: list[str], cache: Path) -> AskResult:
    """The ask stage against `chroma run` serving `index_dir`'s files, with the machine-local
    table snapshot in `cache` saved first by a `table` stage."""
    port = free_port()
    log = open(index_dir.parent / f"{index_dir.name}-chroma-server.log", "w")
    server = subprocess.Popen([str(Path(sys.executable).parent / "chroma"), "run", "--path",
                               str(index_dir / "chroma"), "--host", "127.0.0.1", "--port",
                               str(port)], stdout=log, stderr=subprocess.STDOUT)
    env = {"SITREP_CHROMA_URL": f"http://127.0.0.1:{port}", "SITREP_CACHE": str(cache)}
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", server, timeout_s=120)
        table = subprocess.run([sys.executable, "-m", "rag.tools.bench", "table", str(index_dir)],
                               cwd=ROOT, env=_env(index_dir, **env), capture_output=True,
                               text=True, timeout=STAGE_TIMEOUT_S)
        if table.returncode != 0:
            raise RuntimeError(f"bench table stage failed: {table.stderr[-2000:]}")
        result = run_ask(index_dir, questions, **env)
        result.table_build_s = json.loads(table.stdout.strip().splitlines()[-1])["seconds"]
        result.server_peak_rss_mb = _status_mb("VmHWM", server.pid)
        return result
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()


def run_http(index_dir: Path, questions: list[str], clients: int = HTTP_CLIENTS,
             per_client: int = HTTP_REQUESTS_PER_CLIENT) -> HttpResult:
    """Serve `python app.py` on a free port and post questions from `clients` threads."""
    from rag.tools.evaluate.metrics import percentile

    port = free_port()
    # The per-client rate limit would throttle a load test that comes from one address.
    env = _env(index_dir, SITREP_PORT=str(port), SITREP_RATE_LIMIT="0")
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for i in range(per_client):
            question = questions[(number * per_client + i) % len(questions)]
            started = time.perf_counter()
            try:
                conn.request("POST", "/api/ask", json.dumps({"question": question}),
                             {"Content-Type": "application/json"})
                response = conn.getresponse()
                body = response.read()
                failure = "" if response.status == 200 else f"{response.status} {body[:200]!r}"
            except (OSError, http.client.HTTPException) as exc:
                failure = repr(exc)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            with lock:
                (errors.append(failure) if failure
                 else latencies.append((time.perf_counter() - started) * 1000))
        conn.close()

    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", proc, timeout_s=600)
        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds = time.perf_counter() - started
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    total = clients * per_client
    return HttpResult(clients=clients, requests=total, errors=len(errors), seconds=seconds,
                      requests_per_s=total / seconds, p50_ms=percentile(latencies, 50),
                      p95_ms=percentile(latencies, 95), first_error=errors[0] if errors else "")


# ---- orchestration --------------------------------------------------------------------------

def bench_size(label: str, corpus: Path, work: Path, questions: list[str], floor: bool,
               http: bool, target: int | None = None, server: bool = False) -> SizeResult:
    """Ingest `corpus` (or reuse an earlier run's index in `work`), then ask, then HTTP."""
    from rag.config import load_settings
    from rag.embed.model import vector_space

    backend = load_settings().backend
    # An index serves the backends of one vector space (onnx and torch share theirs).
    tag = label if vector_space(backend) == vector_space("onnx") else f"{label}-{backend}"
    index_dir = work / f"index-{tag}"
    saved = work / f"ingest-{tag}.json"
    if saved.exists() and (index_dir / "chroma").exists():
        ingest = IngestResult(**json.loads(saved.read_text()))
    else:
        shutil.rmtree(index_dir, ignore_errors=True)
        args = (["ingest", str(corpus), str(index_dir)] + (["--floor"] if floor else [])
                + (["--memoise"] if (target or 0) > MEMOISE_ABOVE_CHUNKS else []))
        ingest = IngestResult(**_stage(args, index_dir))
        saved.write_text(json.dumps(asdict(ingest)))
    result = SizeResult(label, target, ingest, run_ask(index_dir, questions))
    if http:
        result.http = run_http(index_dir, questions)
    if server:
        result.server = run_server_ask(index_dir, questions, work / "cache")
    return result


def run_bench(sizes: list[int], work: Path, http_sizes: set[str], *, squad: Path,
              log=lambda message: None, server_sizes: frozenset[str] = frozenset()
              ) -> BenchReport:
    """Benchmark the shipped corpus, then each synthetic size, in `work` (kept for reuse);
    `squad`: the SQuAD 2.0 dev sample that adds text and questions (see `sources`)."""
    from rag.config import load_settings
    from rag.tools.bench_corpus import text_pool, write_corpus

    report = BenchReport(cpus=os.cpu_count() or 0, load_before=os.getloadavg(),
                         backend=load_settings().backend)
    questions_from = question_files(squad)
    shipped_questions = load_questions(questions_from[:1], per_file=1000)
    log("shipped corpus")
    report.sizes.append(bench_size("shipped", ROOT / "docs", work, shipped_questions,
                                   floor=False, http="shipped" in http_sizes,
                                   server="shipped" in server_sizes))
    pool = text_pool([folder for folder in sources(squad) if folder.exists()])
    questions = load_questions(questions_from)
    for number, size in enumerate(sizes):
        label = f"{size // 1000}k" if size >= 1000 else str(size)
        corpus = work / f"corpus-{label}"
        if not corpus.exists():
            write_corpus(pool, size, corpus)
        log(f"{label} chunks")
        # The model floor is timed once, on the first size whose text is all distinct.
        floor = number == 0 and size <= sum(u.chunk_estimate(200) for u in pool)
        report.sizes.append(bench_size(label, corpus, work, questions, floor=floor,
                                       http=label in http_sizes, target=size,
                                       server=label in server_sizes))
    report.load_after = os.getloadavg()
    return report


def format_table(report: BenchReport) -> str:
    """Plain-text tables of the report: ingest, then asking, one row per corpus."""
    lines = [f"{'corpus':>8} {'docs':>6} {'sentences':>9} {'chunks':>7} {'encoded':>8} "
             f"{'reused':>7} {'ingest s':>8} {'sent/s':>7} {'floor/s':>7} {'share':>6} "
             f"{'RSS MB':>7}"]
    for s in report.sizes:
        i = s.ingest
        floor = f"{i.floor_sentences_per_s:.0f}" if i.floor_sentences_per_s else "-"
        share = f"{i.share_of_floor:.0%}" if i.share_of_floor else "-"
        lines.append(f"{s.label:>8} {i.documents:>6} {i.sentences:>9} {i.chunks:>7} "
                     f"{i.encoded:>8} {i.reused:>7} {i.seconds:>8.1f} {i.sentences_per_s:>7.0f} "
                     f"{floor:>7} {share:>6} {i.peak_rss_mb:>7.0f}")
    lines += ["", f"{'corpus':>8} {'cold s':>7} {'cold cpu':>8} {'p50 ms':>7} {'p95 ms':>7} "
                  f"{'p99 ms':>7} {'retr p95':>8} {'cpu p50':>7} {'cpu p95':>7} {'model':>6} "
                  f"{'RSS MB':>7} {'anon MB':>7}"]
    asks = [(s.label, s.ask) for s in report.sizes]
    asks += [(f"{s.label} srv", s.server) for s in report.sizes if s.server]
    for label, a in asks:
        lines.append(f"{label:>8} {a.cold_start_s:>7.1f} {a.cold_start_cpu_s:>8.1f} "
                     f"{a.p50_ms:>7.1f} {a.p95_ms:>7.1f} {a.p99_ms:>7.1f} "
                     f"{a.retrieve_p95_ms:>8.1f} {a.cpu_p50_ms:>7.1f} {a.cpu_p95_ms:>7.1f} "
                     f"{a.model_share:>6.0%} {a.peak_rss_mb:>7.0f} {a.anon_rss_mb:>7.0f}")
    for label, a in asks:
        if a.server_peak_rss_mb:
            lines.append(f"{label}: the Chroma server peaked at {a.server_peak_rss_mb:.0f} MB; "
                         f"this machine's sentence table snapshot took {a.table_build_s:.1f} s")
    for i in (s.ingest for s in report.sizes if s.ingest.raw_sentences_per_s):
        lines.append(f"\nraw model encode: {i.raw_sentences_per_s:.0f} sentences/s (sentences "
                     f"alone); {i.floor_sentences_per_s:.0f} sentences/s counting the chunk "
                     f"texts ingest also embeds ({i.floor_seconds:.1f} s)")
    for s in report.sizes:
        if s.http:
            h = s.http
            lines.append(f"HTTP {s.label}: {h.clients} clients, {h.requests} requests, "
                         f"{h.errors} errors, {h.requests_per_s:.1f} req/s, p50 {h.p50_ms:.0f} ms,"
                         f" p95 {h.p95_ms:.0f} ms {h.first_error}".rstrip())
    lines.append(f"{report.cpus} CPUs; {report.backend} backend; load average before "
                 f"{report.load_before[0]:.1f}, "
                 f"after {report.load_after[0]:.1f}; model threads "
                 f"{report.sizes[0].ask.model_threads if report.sizes else '?'}")
    return "\n".join(lines)


def command(sizes: list[int], as_json: bool, workdir: str | None, http_sizes: set[str],
            server_sizes: frozenset[str] = frozenset(), *, squad: Path) -> int:
    """The `python -m rag bench` entry point; returns the exit code."""
    work = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="sitrep-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        report = run_bench(sizes, work, http_sizes, squad=squad,
                           log=lambda m: print(f"bench: {m}", file=sys.stderr, flush=True),
                           server_sizes=server_sizes)
    finally:
        if not workdir:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report.to_dict(), indent=1) if as_json else format_table(report))
    return 0


def _stage_main(argv: list[str]) -> int:
    """Entry point of the per-stage processes (`python -m rag.tools.bench ingest|ask ...`)."""
    if argv[0] == "ingest":
        result = ingest_stage(Path(argv[1]), Path(argv[2]), floor="--floor" in argv,
                              memoise="--memoise" in argv)
        print(json.dumps(asdict(result)))
    elif argv[0] == "ask":
        ask_stage(Path(argv[1]), json.loads(Path(argv[2]).read_text()))
    elif argv[0] == "table":
        table_stage(Path(argv[1]))
    else:
        print(f"unknown bench stage {argv[0]!r}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(_stage_main(sys.argv[1:]))
