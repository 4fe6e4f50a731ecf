"""The Python examples of docs/clients.md are the files in examples/ verbatim, and they run."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO, Gateway

EXAMPLES = REPO / "clients" / "python" / "examples"
DOC = REPO / "docs" / "clients.md"

OUTPUT = {
    "quickstart.py": [
        "github connected: True",
        "google_drive connected: True",
        "acme/web is public",
        "74 open pull requests",
        "q3.csv text/csv True",
        "INVALID_ARGUMENT INVALID_PARAMETERS {'input.repo': 'is required'}",
    ],
    "files.py": [
        "sample-20MiB.bin 20971520 b317f080b7b97f77",
        "copy.bin 20971520",
        "hello.txt b'Hello from the BOSA sandbox!\\n'",
        "NOT_FOUND NOT_FOUND",
    ],
}

# Examples with their own section in docs/clients.md.
DOCS_OUTPUT = {
    "async_quickstart.py": [
        "github linked",
        "page 0 20 pull requests",
        "page 1 20 pull requests",
        "INVALID_ARGUMENT INVALID_PARAMETERS {'input.repo': 'is required'}",
    ],
}


@pytest.mark.parametrize("name", OUTPUT)
def test_doc_shows_the_example_verbatim(name: str) -> None:
    assert "```python\n" + (EXAMPLES / name).read_text() + "```\n" in DOC.read_text()


@pytest.mark.parametrize("name", [*OUTPUT, *DOCS_OUTPUT])
def test_example_runs_against_the_gateway(gateway: Gateway, name: str) -> None:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / name), gateway.target], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert out.splitlines() == {**OUTPUT, **DOCS_OUTPUT}[name]


@pytest.mark.parametrize("name", DOCS_OUTPUT)
def test_docs_show_the_example_and_its_output(name: str) -> None:
    docs = DOC.read_text()
    assert "```python\n" + (EXAMPLES / name).read_text() + "```\n" in docs
    assert "```text\n" + "\n".join(DOCS_OUTPUT[name]) + "\n```\n" in docs


@pytest.mark.parametrize("name", OUTPUT)
def test_doc_shows_the_output(name: str) -> None:
    assert "```text\n" + "\n".join(OUTPUT[name]) + "\n```\n" in DOC.read_text()
