"""Progress on long loads and reports: a line redrawn on stderr on a terminal, nothing elsewhere.

CliRunner's stderr is not a terminal; the real command runs with its stderr on a
pseudo-terminal (``pty``) to see the line drawn.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"
COG = [SAMPLES / "v_region_2024.csv", SAMPLES / "v_departement_2024.csv", SAMPLES / "v_commune_2024.csv"]
MAILLAGE = Path(sys.executable).with_name("maillage")


def test_nothing_is_drawn_when_stderr_is_not_a_terminal(invoke):
    assert invoke("load", *map(str, COG)).exit_code == 0
    result = invoke("load", str(SAMPLES / "rna_waldec_20241001.zip"))
    assert result.exit_code == 0, result.output
    assert "\r" not in result.stderr and "rows/s" not in result.stderr
    result = invoke("report", "centrality")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def _on_a_terminal(*args: str) -> tuple[int, str, str]:
    """Run ``maillage ARGS`` with stderr on a pseudo-terminal: exit code, stdout, what the terminal got."""
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen(
            [str(MAILLAGE), *args], stdout=subprocess.PIPE, stderr=terminal, stdin=subprocess.DEVNULL
        )
        os.close(terminal)
        received = b""
        while True:
            try:
                data = os.read(controller, 4096)
            except OSError:
                # The terminal's other end closed: the command has ended.
                break
            if not data:
                break
            received += data
        stdout = process.stdout.read().decode("utf-8")
        process.stdout.close()
        return process.wait(), stdout, received.decode("utf-8")
    finally:
        os.close(controller)


@pytest.mark.parametrize("quiet", [False, True], ids=["drawn", "--quiet"])
def test_a_load_and_a_report_draw_their_progress_on_a_terminal(tmp_path, quiet):
    store = str(tmp_path / "store.db")
    flags = ["--store", store, "--contributor", "test", *(["--quiet"] if quiet else [])]
    assert (
        subprocess.run([str(MAILLAGE), "--store", store, "load", *map(str, COG)], capture_output=True).returncode == 0
    )

    code, stdout, terminal = _on_a_terminal(*flags, "load", str(SAMPLES / "rna_waldec_20241001.zip"))
    assert code == 0 and "rna-waldec: 8 nodes" in stdout
    drawn = re.search(r"\rrna-waldec \[#*\.*\] +[0-9]+% [0-9,]+ rows, [0-9,]+ rows/s", terminal)
    assert bool(drawn) is not quiet
    assert ("rows/s" in terminal) is not quiet

    code, stdout, terminal = _on_a_terminal(*flags, "report", "centrality", "--top", "3")
    assert code == 0 and "collectivite:dep-93" in stdout
    assert ("\rreading the store (0 s)" in terminal and "\rcentrality of" in terminal) is not quiet
    assert (terminal != "") is not quiet
