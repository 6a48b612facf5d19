"""Whatever goes wrong inside a command reaches the user as one line and exit code 2 (issue 15)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from routing import cli

REPO = Path(__file__).resolve().parents[2]


def test_an_unwritable_out_folder_is_one_line_naming_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = subprocess.run(
        [sys.executable, "-m", "routing.cli", "plan", str(REPO / "data" / "rutland"),
         "--time-limit", "1", "--quiet", "--out", str(blocker / "out")],
        capture_output=True, text=True, check=False, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.stderr
    assert "a-file" in lines[0]


def test_an_unforeseen_error_is_one_line_and_its_traceback_holds_no_pupil_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(args: object) -> int:
        raise KeyError("Gwendolyn Harrowby, RM8 6XY")

    monkeypatch.setattr(cli, "_cmd_plan", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    code = cli.main(["plan", str(REPO / "data" / "rutland"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "KeyError" in err and "Harrowby" not in err and "Traceback" not in err
    (log,) = tmp_path.glob("schoolrun-error-*.log")
    text = log.read_text()
    assert "broken" in text and "KeyError" in text  # the frames and the type are kept
    assert "Harrowby" not in text and "RM8" not in text
