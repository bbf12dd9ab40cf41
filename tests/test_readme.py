"""The README gives a newcomer exactly two commands, and CI runs the second verbatim."""

from __future__ import annotations

import re
from pathlib import Path

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


CHECKS = (".venv/bin/ruff check", ".venv/bin/ruff format --check", ".venv/bin/mypy")


def test_ci_and_pre_commit_run_the_same_lint_format_and_type_checks():
    lines = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert all(check in lines for check in CHECKS)
    assert all(lines.index(check) > lines.index(readme_commands()[1]) for check in CHECKS)
    hooks = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    entries = [line.split("entry:", 1)[1].strip() for line in hooks.splitlines()
               if line.strip().startswith("entry:")]
    assert entries == list(CHECKS)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "[tool.mypy]\nstrict = true" in pyproject
    assert "[tool.ruff.lint]" in pyproject and "[tool.ruff.format]" in pyproject
