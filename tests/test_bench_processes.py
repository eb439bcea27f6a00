"""The several-processes benchmark, small: two `faqbot serve` processes behind its round-robin
proxy on PostgreSQL, retries landing on the other process; each message answered and recorded once."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from faqbot.store.sql import make_url_safe
from tests.conftest import POSTGRES_URL, postgres_problem

ROOT = Path(__file__).resolve().parent.parent


def test_retries_on_other_processes_are_answered_and_recorded_once() -> None:
    problem = postgres_problem()
    if problem:
        pytest.skip(f"no PostgreSQL server reachable at {make_url_safe(POSTGRES_URL)} ({problem});"
                    " .ci/run starts one, or set FAQBOT_TEST_POSTGRES_URL")
    bench = subprocess.Popen([sys.executable, "-m", "bench.processes", "--processes", "2", "--events", "40",
                              "--retry-share", "0.5", "--settle", "1", "--timeout", "30", "--postgres", POSTGRES_URL],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = bench.communicate(timeout=120)
    finally:
        bench.terminate()  # SIGTERM: the benchmark stops its processes before exiting
        bench.wait()
    assert bench.returncode == 0, err[-3000:]
    result = json.loads(out)
    assert result["retries"]["at_once"] > 0 and result["retries"]["later"] > 0
    assert result["retried_messages_on_several_processes"] > 0  # the round robin did spread them
    assert all(n > 0 for n in result["requests_per_process"]) and all(n > 0 for n in result["replies"]["per_process"])
    assert result["non_200"] == 0
    replies, records = result["replies"], result["records"]
    assert replies["posted"] > 0 and records["expected"] > 0
    assert (replies["duplicates"], replies["missing"], replies["unexpected"]) == (0, 0, 0)
    assert (records["lost"], records["duplicates"], records["unexpected"]) == (0, 0, 0)
    assert records["written"] == records["expected"]
    assert result["errors_logged"] == 0
