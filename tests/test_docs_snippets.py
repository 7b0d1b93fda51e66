"""Every code block of the README and the user docs runs, with the example files it names.

Python blocks run in order per page, sharing one namespace (as in a notebook); blocks written
as ``>>>`` sessions run as doctests, so their shown results are checked. Shell blocks run
each ``diplolex analyze`` command through the CLI's ``main`` (install, test and training
commands are left out: the suite itself is the proof that they work). A block whose first
line is ``# not run by the docs test: <why>`` is skipped (it needs a cluster, say).
"""

from __future__ import annotations

import doctest
import importlib.util
import io
import re
import shlex
import shutil
from pathlib import Path

import pytest

from diplolex.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
PAGES = ["README.md", "docs/quickstart.md", "docs/api.md", "docs/output-schema.md",
         "docs/cli.md", "docs/integrations.md", "docs/data-format.md",
         "docs/models/stance.md"]  # fmt: skip
OPTIONAL = {"pandas": "pandas", "spacy": "spacy", "ray": "ray", "to_frame": "pandas"}
NOT_RUN = "# not run by the docs test:"
SKIPPED_COMMANDS = ("pip ", "python -m pytest", "diplolex train")

FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks(page: str) -> list[tuple[str, int, str]]:
    """(language, line number, code) of every fenced block of ``page``."""
    text = (ROOT / page).read_text(encoding="utf-8")
    return [(m.group(1), text.count("\n", 0, m.start()) + 2, m.group(2))
            for m in FENCE.finditer(text)]  # fmt: skip


def _missing_optional(code: str) -> str | None:
    for word, module in OPTIONAL.items():
        if re.search(rf"\b{word}\b", code) and importlib.util.find_spec(module) is None:
            return module
    return None


@pytest.fixture
def workdir(tmp_path, monkeypatch, nlp):
    """A scratch folder holding a copy of examples/; every diplolex.load gives the shared nlp."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("diplolex.load", lambda **_: nlp)
    return tmp_path


def _run_python(page: str, line: int, code: str, namespace: dict) -> None:
    if code.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(code, namespace, f"{page}:{line}", page, line)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        report = io.StringIO()
        runner.run(test, out=report.write, clear_globs=False)
        assert runner.failures == 0, f"{page}:{line}: doctest failed\n{report.getvalue()}"
    else:
        exec(compile(code, f"{page}:{line}", "exec"), namespace)


def _run_shell_line(page: str, line: int, command: str, monkeypatch, capsys) -> None:
    stdin = None
    if "|" in command:
        producer, command = (part.strip() for part in command.split("|", 1))
        cat = shlex.split(producer)
        assert cat[0] == "cat" and len(cat) == 2, f"{page}:{line}: unsupported pipe {producer}"
        stdin = Path(cat[1]).read_bytes()
    argv = shlex.split(command, comments=True)
    out_path = None
    if ">" in argv:
        out_path = argv[argv.index(">") + 1]
        argv = argv[: argv.index(">")]
    assert argv[0] == "diplolex", f"{page}:{line}: not a diplolex command: {command}"
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
    capsys.readouterr()
    status = main(argv[1:])
    captured = capsys.readouterr()
    assert status == 0, f"{page}:{line}: `{command}` exited {status}: {captured.err}"
    assert captured.out.strip(), f"{page}:{line}: `{command}` printed nothing"
    if out_path:
        Path(out_path).write_text(captured.out, encoding="utf-8")


def _commands(code: str) -> list[str]:
    out = []
    for raw in code.splitlines():
        for part in raw.split("&&"):
            part = part.strip()
            if part and not part.startswith("#") and not part.startswith(SKIPPED_COMMANDS):
                out.append(part)
    return out


@pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")
@pytest.mark.filterwarnings("ignore::FutureWarning:ray.*")
@pytest.mark.filterwarnings("ignore::UserWarning:ray.*")
@pytest.mark.parametrize("page", PAGES)
def test_every_block_of_the_page_runs(page, workdir, monkeypatch, capsys):
    namespace: dict = {"__name__": "__docs__"}
    ran = []
    for language, line, code in blocks(page):
        if code.lstrip().startswith(NOT_RUN):
            continue
        if language == "python":
            missing = _missing_optional(code)
            if missing:
                print(f"{page}:{line}: not run, {missing} is not installed")
                continue
            _run_python(page, line, code, namespace)
            ran.append(line)
        elif language in ("bash", "sh", "shell"):
            for command in _commands(code):
                _run_shell_line(page, line, command, monkeypatch, capsys)
                ran.append(line)
    runnable = [b for b in blocks(page) if b[0] in ("python", "bash", "sh", "shell")]
    assert ran or not runnable, f"{page}: no block ran"


def test_the_runner_catches_an_undefined_name(workdir):
    with pytest.raises(NameError, match="articles"):
        _run_python("x.md", 1, "for line in articles:\n    pass\n", {})


def test_readme_stays_two_commands_for_install_and_tests():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for heading in ("## Install and run", "## Run the tests"):
        section = readme.split(heading, 1)[1].split("\n## ", 1)[0]
        [code] = [m.group(2) for m in FENCE.finditer(section)]
        assert len(code.strip().splitlines()) == 1, heading
