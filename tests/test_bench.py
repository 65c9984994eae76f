"""`python -m rag bench` end to end on a small size: every stage runs for real (ingest with the
model floor, fresh ask processes, the app under 16 HTTP clients, a `chroma run` server) and the
report holds figures that make sense. Speed itself is the benchmark's to measure, not a test's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.proc import TIMEOUT_S, cli_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # `python -m rag bench`

ROOT = Path(__file__).resolve().parent.parent


def test_bench_reports_every_stage(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "rag", "bench", "--sizes", "60", "--json", "--workdir",
         str(tmp_path), "--http", "shipped", "--server", "shipped"],
        cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S,
        env=cli_env(OMP_NUM_THREADS="1"))
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    shipped, small = report["sizes"]
    assert (shipped["label"], small["label"]) == ("shipped", "60")
    assert report["backend"] == "onnx" and report["cpus"] >= 1
    for size in (shipped, small):
        ingest, ask = size["ingest"], size["ask"]
        assert ingest["documents"] >= 1 and ingest["sentences"] > ingest["chunks"] > 0
        assert ask["questions"] >= 10
        assert 0 < ask["p50_ms"] <= ask["p95_ms"] <= ask["p99_ms"]
        assert 0 < ask["cold_start_s"] < 120
        assert 0 < ask["anon_rss_mb"] <= ask["peak_rss_mb"]
        assert 0 < ask["model_share"] < 1
    floor = small["ingest"]["share_of_floor"]  # the first synthetic size times the model alone
    assert floor is not None and 0.2 < floor < 1.5, floor
    http = shipped["http"]
    assert http["clients"] == 16 and http["requests"] == 128 and http["errors"] == 0, http
    server = shipped["server"]
    assert server["questions"] == shipped["ask"]["questions"]
    assert server["server_peak_rss_mb"] > 0 and server["table_build_s"] > 0
    assert small["http"] is None and small["server"] is None
