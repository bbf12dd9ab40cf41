"""The README gives a newcomer exactly two commands, and CI runs the second verbatim; the
first serves even without npm; the three walk-throughs run as written."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Try it", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL)]


def test_readme_has_exactly_two_commands():
    commands = readme_commands()
    assert len(commands) == 2
    assert all("\n" not in c for c in commands)
    assert "sanctiongraph" in commands[0] and "pytest" in commands[1]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_commands()[1] in ci.splitlines()


def test_ci_runs_the_slow_tests_that_the_quick_run_skips():
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert lines.index("export SANCTIONGRAPH_SLOW_TESTS=1") < lines.index(readme_commands()[1])
    engines = (ROOT / "tests" / "test_engines.py").read_text(encoding="utf-8")
    assert "@pytest.mark.slow\ndef test_fast_engine_matches_pyshacl_on_demo_world" in engines


# --- the main job starts without npm (issue 19 item 14) ----------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, process: subprocess.Popen, seconds: float = 180) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        try:
            answer = httpx.get(url, timeout=10)
            if answer.status_code == 200:
                return answer
        except httpx.HTTPError:
            pass
        assert process.poll() is None, "the server stopped"
        assert time.monotonic() < deadline, "the server did not answer"
        time.sleep(0.3)


def stop(process: subprocess.Popen) -> None:
    """Stop the process group this test started (the shell and the server under it)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)


def test_the_main_job_command_serves_where_npm_is_missing(tmp_path):
    """The README's first command, run by the shell as written, on a PATH without npm:
    python3 and the virtualenv's pip are stand-ins (installing is not what is tested), and
    the virtualenv's sanctiongraph is this one, on a free port, with its npm folder
    empty. The server must start and the dashboard name what is off."""
    port = free_port()
    bin_dir, venv_bin = tmp_path / "bin", tmp_path / ".venv" / "bin"
    bin_dir.mkdir()
    venv_bin.mkdir(parents=True)
    (tmp_path / "no-npm").mkdir()
    stand_ins = {
        bin_dir / "python3": "#!/bin/sh\nexit 0\n",  # python3 -m venv .venv
        venv_bin / "pip": "#!/bin/sh\nexit 0\n",
        venv_bin / "sanctiongraph": (
            f'#!/bin/sh\nexec {sys.executable} -c "import sys, pathlib; '
            "import sanctiongraph.api.assets as a; a.STATIC_DIR = pathlib.Path('no-npm').resolve(); "
            "from sanctiongraph.cli import main; sys.argv[0] = 'sanctiongraph'; main()\" "
            f'"$@" --port {port} --store store\n'
        ),
    }
    for path, script in stand_ins.items():
        path.write_text(script)
        path.chmod(0o755)
    process = subprocess.Popen(
        ["/bin/sh", "-c", readme_commands()[0]],
        cwd=tmp_path,
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        assert wait_for(base + "/healthz", process).json()["status"] == "ok"
        assets = httpx.get(base + "/dashboard-assets", timeout=10).json()
        assert assets["installed"] == [] and "cytoscape/dist/cytoscape.min.js" in assets["missing"]
        assert 'id="assets-note"' in httpx.get(base + "/dashboard/", timeout=10).text
        for page in ("/sparql", "/docs", "/redoc"):
            text = httpx.get(base + page, headers={"accept": "text/html"}, timeout=10).text
            assert "not installed" in text and "npm ci" in text, page
    finally:
        stop(process)
    said = process.stdout.read().decode()
    assert "npm ci failed: the dashboard will say which parts are off" in said


# --- the three walk-throughs --------------------------------------------------------------


def walkthrough(title: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"### {title}\n", 1)[1].split("\n#", 1)[0]
    return [
        line
        for block in re.findall(r"```sh\n(.*?)```", section, re.DOTALL)
        for line in block.strip().splitlines()
    ]


@pytest.fixture
def workdir(tmp_path):
    """A working folder with the repository's data and queries, and this virtualenv's
    sanctiongraph first on the PATH."""
    for name in ("data", "queries"):
        (tmp_path / name).symlink_to(ROOT / name)
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    return tmp_path, env


def run_line(line: str, workdir) -> subprocess.CompletedProcess:
    folder, env = workdir
    return subprocess.run(
        line, shell=True, cwd=folder, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_analysts_walk_through(workdir):
    lines = walkthrough("An analyst checks institution data")
    assert [line.split()[1] for line in lines] == [
        "validate",
        "validate",
        "load",
        "owners",
        "access",
    ]
    outputs = []
    for line in lines:
        result = run_line(line, workdir)
        expected = 1 if " validate " in f" {line} " else 0  # the demo world has violations
        assert result.returncode == expected, (line, result.stderr)
        outputs.append(result.stdout)
    assert "OFAC 50 Percent Rule" in outputs[0] and "31 CFR 1010.659" in outputs[0]
    rows = (workdir[0] / "findings.csv").read_text(encoding="utf-8").splitlines()
    assert rows[0] == "severity,citation,id,message,evidence,focus,shape" and len(rows) > 100
    assert "blocked" in outputs[3] and "kp-pine" in outputs[3]
    assert "sg-orchid-ny" in outputs[4]


def test_the_researchers_walk_through(workdir):
    lines = walkthrough("A researcher asks the graph")
    outputs = []
    for line in lines:
        result = run_line(line, workdir)
        assert result.returncode == 0, (line, result.stderr)
        outputs.append(result.stdout)
    assert "CaptaMaintainingShape" in outputs[1]
    assert outputs[2].startswith("entity,name,share,reason,via") and "my-silver-sail" in outputs[2]
    assert len(outputs[3].strip().splitlines()) == 1 + 5
    assert 'id="Person"' in (workdir[0] / "ontology.html").read_text(encoding="utf-8")


def test_the_dashboard_builders_walk_through(workdir):
    lines = walkthrough("A dashboard builder calls the API")
    serve_line, rest = lines[0], lines[1:]
    assert serve_line.startswith("sanctiongraph serve ") and serve_line.endswith(" &")
    port = free_port()
    folder, env = workdir
    server = subprocess.Popen(
        f"exec {serve_line.removesuffix('&').strip()} --port {port}",
        shell=True,
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", server)
        outputs = []
        for line in rest:
            result = run_line(line.replace(":8000", f":{port}"), workdir)
            assert result.returncode == 0, (line, result.stderr)
            outputs.append(result.stdout)
    finally:
        stop(server)
    assert json.loads(outputs[0])["derived_as_of"] == "2026-11-23"
    assert json.loads(outputs[1])["status"] == "blocked"
    assert any(p["reaches_us"] for p in json.loads(outputs[2])["paths"])
    assert outputs[3].splitlines()[0].strip() == "entity,share" and "my-silver-sail" in outputs[3]
    assert "blocked" in outputs[4]  # the command line, beside the server that holds the store


def test_the_compliance_teams_walk_through(workdir):
    """Real list slices imported, a bank's package validated against them, and the same
    account fine, possibly affected, then affected across four SDN publications."""
    (workdir[0] / "tests").symlink_to(ROOT / "tests")
    lines = walkthrough("A compliance team checks its counterparties against the real lists")
    assert [line.split()[1] for line in lines] == [
        "import",
        "import",
        "validate",
        "import",
        "validate",
        "validate",
        "validate",
    ]
    outputs = []
    for line in lines:
        result = run_line(line, workdir)
        expected = 1 if "bank-demo" in line else 0  # the CAPTA finding is a violation
        assert result.returncode == expected, (line, result.stderr)
        outputs.append(result.stdout)
    demo = outputs[2]
    assert "31 CFR 561.201(c)" in demo and "matched by BIC CKLBCNBJ" in demo
    assert "OFAC 50 Percent Rule" in demo and "matched by BIC FTBDKPPY" in demo
    assert "BANK MELLI IRAN" in demo
    fine, possibly, affected = outputs[4:]
    assert "conforms; 0 violations, 0 warnings" in fine and "a-bm-leasing" not in fine
    assert "a-bm-leasing" in possibly and "possibly blocked" in possibly
    assert (
        "between the publication of 2022-03-01 without it and the publication of "
        "2022-12-02 with it" in possibly
    )
    assert "a-bm-leasing" in affected and "which is blocked" in affected
    assert "matched by BIC MOSWRUMM" in affected


CHECKS = (".venv/bin/ruff check", ".venv/bin/ruff format --check", ".venv/bin/mypy")


def test_ci_and_pre_commit_run_the_same_lint_format_and_type_checks():
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert all(check in lines for check in CHECKS)
    assert all(lines.index(check) > lines.index(readme_commands()[1]) for check in CHECKS)
    hooks = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    entries = [
        line.split("entry:", 1)[1].strip()
        for line in hooks.splitlines()
        if line.strip().startswith("entry:")
    ]
    assert entries == list(CHECKS)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "[tool.mypy]\nstrict = true" in pyproject
    assert "[tool.ruff.lint]" in pyproject and "[tool.ruff.format]" in pyproject
