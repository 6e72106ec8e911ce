"""The documentation: every command it names exists, and every example in it runs.

Pages are found by glob (``README.md`` and ``docs/*.md``), so a new page is
checked as soon as it is added. In each page:

* every ``maillage ...`` line of a ```sh block runs, in order, through click's
  CliRunner, in a fresh folder holding ``maillage.db`` (the demo's store) and
  ``data/`` (the repository's demo and register samples), and must exit 0;
  ``export NAME=VALUE`` and ``cd DIR`` lines apply to the lines after them;
  other programs (``make``, ``pip``, ...) are not run, but must be known ones;
* every ```python block runs, in the same folder, one namespace per page;
* every ``maillage ...`` line of any other block (a usage synopsis, a session
  shown with its output) names commands and options that exist.

Neo4j examples run against the test server when ``MAILLAGE_NEO4J_URI`` is set
(``make test`` sets it; under CI it must be set): ``neo4j://localhost:7687`` and
``bolt://localhost:7687`` in an example stand for it. Likewise examples that draw a
PNG need chromium, and under CI fail without it. :data:`NOT_RUN` lists the
few examples that need what only the reader has.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from maillage.cli import main
from maillage.graph.store import open_store
from maillage.visualise import ChromiumNotFound, find_chromium

ROOT = Path(__file__).resolve().parent.parent

# Examples that need what only the reader has, by a text they contain, with the reason.
NOT_RUN = {
    "databases.neo4j.io": "a Neo4j Aura database of the reader's own",
    "graph.example.org": "a team's Neo4j server, named for the example",
}

# Programs a ```sh block may show without the test running them: setting up, the test
# suite itself, the Neo4j server script, benchmarks, Neo4j's own shell.
NOT_MAILLAGE = {
    "make",
    "pip",
    "python",
    "scripts/neo4j",
    "scripts/chromium",
    ".venv/bin/pytest",
    ".venv/bin/python",
    "cypher-shell",
    "chromium",
}

LOCAL_NEO4J = re.compile(r"\b(neo4j|bolt)://localhost:7687\b")


def doc_pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@dataclass
class Block:
    language: str
    line: int
    text: str


def fenced_blocks(text: str) -> list[Block]:
    """The fenced code blocks of a Markdown text, with their language and first line."""
    blocks: list[Block] = []
    current: Block | None = None
    lines: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.lstrip().startswith("```"):
            if current is None:
                current, lines = Block(line.strip()[3:].strip(), number + 1, ""), []
            else:
                current.text = textwrap.dedent("\n".join(lines))
                blocks.append(current)
                current = None
            continue
        if current is not None:
            lines.append(line)
    return blocks


def shell_commands(block: Block):
    """``(line number, words)`` for each command of a shell block (``&&``, ``;`` and ``|`` end one)."""
    number = block.line
    pending, first = "", number
    for offset, line in enumerate(block.text.splitlines()):
        if not pending:
            first = number + offset
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        line, pending = pending + line, ""
        if line.startswith("$ "):
            line = line[2:]
        lexer = shlex.shlex(line, posix=True, punctuation_chars="|&;")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            tokens = [*lexer, ";"]
        except ValueError as error:
            raise AssertionError(f"line {first}: {error}: {line}") from None
        words: list[str] = []
        for word in tokens:
            if word.strip("|&;"):
                words.append(word)
            elif words:
                yield first, words
                words = []


# ---- commands and options exist ----


def option_named(command, name):
    for param in command.params:
        if name in (*param.opts, *param.secondary_opts):
            return param
    return None


def check_command_line(words: list[str]) -> None:
    """Walk ``maillage WORDS`` down the click groups; every option must belong to its command."""
    command, rest = main, list(words)
    while rest:
        word = rest.pop(0)
        if word in ("-h", "--help"):
            continue
        if word.startswith("-"):
            name, _, value = word.partition("=")
            option = option_named(command, name)
            assert option is not None, f"maillage {' '.join(words)}: no option {name}"
            if not (option.is_flag or option.count or value):
                del rest[: option.nargs]
        elif isinstance(command, click.Group):
            assert word in command.commands, f"maillage {' '.join(words)}: no command {word!r}"
            command = command.commands[word]


def synopsis_commands(block: Block):
    """``maillage ...`` lines of a non-shell block: the commands named and every ``--option``."""
    for line in block.text.splitlines():
        line = line.split(" #", 1)[0].strip().removeprefix("$ ")
        if not line.startswith("maillage "):
            continue
        yield [
            re.sub(r"[\[\]{}()|,]", " ", word).split()[0]
            for word in line.split()[1:]
            if re.sub(r"[\[\]{}()|,]", "", word)
        ]


def check_synopsis(words: list[str]) -> None:
    command = main
    for word in words:
        if word.startswith("-"):
            name = word.partition("=")[0]
            if re.fullmatch(r"--?[A-Za-z][\w-]*", name):
                assert option_named(command, name) or option_named(main, name), (
                    f"maillage {' '.join(words)}: no option {name}"
                )
        elif isinstance(command, click.Group) and word in command.commands:
            command = command.commands[word]


def documented_command_lines():
    for page in doc_pages():
        for block in fenced_blocks(page.read_text(encoding="utf-8")):
            if block.language in ("sh", "bash", "console", ""):
                for number, words in shell_commands(block):
                    if words[0] == "maillage":
                        yield page, number, words[1:], True
            else:
                for words in synopsis_commands(block):
                    yield page, block.line, words, False


def test_every_command_in_the_docs_exists_with_its_options():
    lines = list(documented_command_lines())
    assert len(lines) > 100
    for page, number, words, exact in lines:
        try:
            (check_command_line if exact else check_synopsis)(words)
        except AssertionError as error:
            raise AssertionError(f"{page.relative_to(ROOT)}:{number}: {error}") from None


def test_the_docs_pages_are_found_by_glob():
    names = {page.name for page in doc_pages()}
    assert {"README.md", "index.md", "python-api.md", "collaboration.md"} <= names


def test_every_docs_page_is_linked_from_the_index():
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    for page in doc_pages()[1:]:
        if page.name != "index.md":
            assert f"({page.name})" in index, f"docs/index.md does not link {page.name}"


def test_links_between_pages_resolve():
    for page in doc_pages():
        for target in re.findall(r"\]\(([^)#:\s]+\.(?:md|png))(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if Path(target).name in PAGES_WRITTEN_ELSEWHERE:
                continue
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links {target}, which does not exist"


# Pages of the guide written beside this one; the README and the index link them already.
PAGES_WRITTEN_ELSEWHERE = {"documents.md", "registers-at-scale.md", "neo4j-large-loads.md", "large-graphs.md"}


# ---- every example runs ----


@dataclass
class Session:
    """The folder, environment and Python namespace one page's examples share."""

    folder: Path
    env: dict[str, str | None] = field(default_factory=dict)
    namespace: dict = field(default_factory=dict)
    neo4j_uri: str | None = None
    neo4j_cleared: bool = False
    ran: list[str] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)


class ExampleFailed(AssertionError):
    pass


def run_page(text: str, name: str, session: Session) -> Session:
    """Run every example of a page's text in ``session``; raise :class:`ExampleFailed` on the first that fails."""
    for block in fenced_blocks(text):
        if block.language in ("sh", "bash"):
            for number, words in shell_commands(block):
                run_command(words, f"{name}:{number}", session)
        elif block.language == "python":
            run_python(block, f"{name}:{block.line}", session)
    return session


def run_command(words: list[str], where: str, session: Session) -> None:
    line = " ".join(words)
    reason = next((why for text, why in NOT_RUN.items() if text in line), None)
    if reason:
        session.not_run.append(f"{where}: {line} ({reason})")
        return
    assignments = []
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):
        assignments.append(words.pop(0))
    program = words[0] if words else ""
    if program == "export":
        for assignment in words[1:]:
            variable, _, value = assignment.partition("=")
            session.env[variable] = value
        return
    if program == "cd":
        session.folder = session.folder / words[1]
        return
    if program != "maillage":
        if program not in NOT_MAILLAGE:
            raise ExampleFailed(f"{where}: {line}: unknown program {program!r} in a shell example")
        session.not_run.append(f"{where}: {line} (not a maillage command)")
        return
    env = dict(session.env)
    for assignment in assignments:
        variable, _, value = assignment.partition("=")
        env[variable] = value
    args = words[1:]
    uses_neo4j = any(LOCAL_NEO4J.search(arg) for arg in args) or LOCAL_NEO4J.search(env.get("MAILLAGE_STORE") or "")
    if uses_neo4j:
        if not session.neo4j_uri:
            if os.environ.get("CI"):
                raise ExampleFailed(f"{where}: {line}: MAILLAGE_NEO4J_URI is not set, and CI must run every example")
            session.not_run.append(f"{where}: {line} (MAILLAGE_NEO4J_URI is not set)")
            return
        clear_neo4j_once(session)
        args = [LOCAL_NEO4J.sub(session.neo4j_uri, arg) for arg in args]
        env = {key: LOCAL_NEO4J.sub(session.neo4j_uri, value) if value else value for key, value in env.items()}
    if "--png" in args and not chromium_available():
        if os.environ.get("CI"):
            raise ExampleFailed(f"{where}: {line}: chromium is missing, and CI must run every example")
        session.not_run.append(f"{where}: {line} (chromium is not installed)")
        return
    previous = Path.cwd()
    os.chdir(session.folder)
    try:
        result = CliRunner().invoke(main, args, env=env, prog_name="maillage")
    finally:
        os.chdir(previous)
    if result.exit_code != 0:
        failure = "" if isinstance(result.exception, SystemExit) else repr(result.exception)
        raise ExampleFailed(f"{where}: {line}\nexit code {result.exit_code}\n{result.output}{failure}")
    session.ran.append(f"{where}: {line}")


def run_python(block: Block, where: str, session: Session) -> None:
    if "write_png" in block.text and not chromium_available():
        if os.environ.get("CI"):
            raise ExampleFailed(f"{where}: chromium is missing, and CI must run every example")
        session.not_run.append(f"{where}: python (chromium is not installed)")
        return
    previous = Path.cwd()
    os.chdir(session.folder)
    try:
        exec(compile(block.text, where, "exec"), session.namespace)
    except Exception as error:
        raise ExampleFailed(f"{where}: the Python example fails: {type(error).__name__}: {error}") from error
    finally:
        os.chdir(previous)
    session.ran.append(f"{where}: python")


def chromium_available() -> bool:
    try:
        find_chromium()
    except ChromiumNotFound:
        return False
    return True


def clear_neo4j_once(session: Session) -> None:
    if session.neo4j_cleared:
        return
    from maillage.graph.store.neo4j import Neo4jStore

    store = Neo4jStore(session.neo4j_uri)
    try:
        store.clear()
    finally:
        store.close()
    session.neo4j_cleared = True


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    result = CliRunner().invoke(main, ["demo", "-o", str(folder)])
    assert result.exit_code == 0, result.output
    return folder / "maillage.db"


@pytest.fixture
def session(tmp_path, demo_store, monkeypatch) -> Session:
    """A folder like a reader's after ``make demo``: the demo store as ./maillage.db, and ``data/``."""
    folder = tmp_path / "work"
    folder.mkdir()
    shutil.copy(demo_store, folder / "maillage.db")
    (folder / "data").symlink_to(ROOT / "data", target_is_directory=True)
    for variable in ("MAILLAGE_STORE", "MAILLAGE_CONTRIBUTOR", "NEO4J_DATABASE", "MAILLAGE_DEBUG"):
        monkeypatch.delenv(variable, raising=False)
    uri = os.environ.get("MAILLAGE_NEO4J_URI")
    return Session(folder, env={"MAILLAGE_CONTRIBUTOR": "alice"}, neo4j_uri=uri)


@pytest.mark.parametrize("page", doc_pages(), ids=lambda page: page.name)
def test_every_example_of_the_page_runs(page, session):
    text = page.read_text(encoding="utf-8")
    run_page(text, str(page.relative_to(ROOT)), session)
    if any(block.language in ("sh", "python") for block in fenced_blocks(text)):
        assert session.ran or session.not_run


def test_a_broken_command_example_fails(session):
    page = "```sh\nmaillage actors --kind Association\nmaillage actors --no-such-option\n```\n"
    with pytest.raises(ExampleFailed, match=r"page.md:3: maillage actors --no-such-option\nexit code 2"):
        run_page(page, "page.md", session)
    assert session.ran == ["page.md:2: maillage actors --kind Association"]


def test_a_command_example_that_fails_on_the_data_fails(session):
    with pytest.raises(ExampleFailed, match="exit code 1"):
        run_page('```sh\nmaillage show "Nobody at all"\n```\n', "page.md", session)


def test_a_broken_python_example_fails(session):
    page = "```python\nfrom maillage.graph.store import open_store\nstore = open_store('maillage.db')\n```\n\n```python\nstore.no_such_method()\n```\n"
    with pytest.raises(ExampleFailed, match=r"page.md:7: the Python example fails: AttributeError"):
        run_page(page, "page.md", session)


def test_an_unknown_program_in_an_example_fails(session):
    with pytest.raises(ExampleFailed, match="unknown program 'maillge'"):
        run_page("```sh\nmaillge actors\n```\n", "page.md", session)


def test_examples_share_their_folder_and_environment(session):
    start = session.folder
    page = (
        "```sh\nmaillage demo -o equipe\ncd equipe\nmaillage push --to ../copie.db\n"
        "export MAILLAGE_STORE=../copie.db\nmaillage sources && maillage unload demo\n```\n"
    )
    run_page(page, "page.md", session)
    assert session.folder == start / "equipe"
    for name, sources in (("copie.db", []), ("maillage.db", ["demo"])):
        store = open_store(str(start / name))
        assert [source.name for source in store.sources()] == sources
        store.close()


def test_a_misnamed_option_in_a_synopsis_is_caught():
    [words] = synopsis_commands(Block("text", 1, "maillage report centrality [--metrik M] [--top N]"))
    with pytest.raises(AssertionError, match="no option --metrik"):
        check_synopsis(words)
    [words] = synopsis_commands(
        Block("text", 1, "maillage report all [--format html|json] [-o rapport.html] [--sample K | --exact]")
    )
    check_synopsis(words)
