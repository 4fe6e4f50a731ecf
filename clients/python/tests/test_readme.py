"""The README's Python example is examples/quickstart.py verbatim, and it runs."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO, Gateway

EXAMPLE = REPO / "clients" / "python" / "examples" / "quickstart.py"
README = REPO / "README.md"


def test_readme_shows_the_example_verbatim() -> None:
    assert "```python\n" + EXAMPLE.read_text() + "```\n" in README.read_text()


def test_example_runs_against_the_gateway(gateway: Gateway) -> None:
    out = subprocess.run(
        [sys.executable, str(EXAMPLE), gateway.target], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert out.splitlines() == [
        "github connected: True",
        "google_drive connected: True",
        "acme/web is public",
        "74 open pull requests",
        "q3.csv text/csv True",
        "INVALID_ARGUMENT INVALID_PARAMETERS {'input.repo': 'is required'}",
    ]
