"""Settings read from the environment: checked in a fresh interpreter each, since Django
reads them once per process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432/funnelbook"


def _options(**env: str) -> subprocess.CompletedProcess:
    return _database("options.get('options', '')", **env)


def _database(expression: str, **env: str) -> subprocess.CompletedProcess:
    """Print ``expression`` of the default database's ``options`` (its OPTIONS)."""
    code = (
        "import config.settings as s; "
        "options = s.DATABASES['default'].get('OPTIONS', {}); "
        f"print({expression})"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_postgresql_connections_get_the_server_options():
    answer = _options(DATABASE_URL=PG, PG_RANDOM_PAGE_COST="", PG_WORK_MEM="")
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.split() == [
        "-c",
        "jit=off",
        "-c",
        "random_page_cost=1.1",
        "-c",
        "work_mem=16MB",
    ]


def test_postgresql_parameters_are_bound_on_the_server_and_nothing_is_prepared():
    answer = _database(
        "options.get('server_side_binding'), options.get('prepare_threshold')", DATABASE_URL=PG
    )
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.split() == ["True", "None"]


def test_the_server_options_can_be_changed():
    answer = _options(DATABASE_URL=PG, PG_RANDOM_PAGE_COST="4", PG_WORK_MEM="64MB")
    assert answer.returncode == 0, answer.stderr
    assert "random_page_cost=4" in answer.stdout
    assert "work_mem=64MB" in answer.stdout


@pytest.mark.parametrize("value", ["lots", "16", "16 MB", "16MB -c jit=on"])
def test_a_work_mem_that_is_not_a_size_is_refused(value):
    answer = _options(DATABASE_URL=PG, PG_WORK_MEM=value)
    assert answer.returncode != 0
    assert "PG_WORK_MEM must be a size such as 16MB" in answer.stderr


def test_sqlite_gets_no_server_options():
    answer = _options(DATABASE_URL="", PG_WORK_MEM="lots")
    assert answer.returncode == 0, answer.stderr
    assert answer.stdout.strip() == ""
    binding = _database("options.get('server_side_binding')", DATABASE_URL="")
    assert binding.stdout.strip() == "None"
