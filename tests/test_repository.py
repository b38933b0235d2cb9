"""The repository stands alone: the facts its tests use are its own data files, nothing reads
outside it, and what the code cites in docs/behaviour.md exists there.

CI also runs the suite in a copy of the clone placed in an empty folder (.ci/run), which is
what proves the first two points for files this scan cannot read."""

import os
import re
from pathlib import Path

from tests.contract import CONTRACT_DIR

REPOSITORY = Path(__file__).resolve().parents[1]
BEHAVIOUR = REPOSITORY / "docs" / "behaviour.md"
SKIPPED_DIRS = {".git", ".venv", "var", "node_modules", "staticfiles", "__pycache__"}
SOURCE_SUFFIXES = {".py", ".sh", ".toml", ".cfg", ".yml", ".yaml", ".conf", ".txt", ""}
# ../shared (the project's steering folder) exists beside a developer's checkout only.
OUTSIDE = re.compile(r"""\.\./shared|["']shared["']\s*[/,)]""")
CITATION = re.compile(r"docs/behaviour\.md[:,]?\s+((?:§[0-9.]+(?:-[0-9.]+)?(?:,\s*)?)+)")
DECISION = re.compile(r"Decisions? (\d+)")


def source_files():
    for folder, dirs, files in os.walk(REPOSITORY):
        dirs[:] = [name for name in dirs if name not in SKIPPED_DIRS]
        for name in files:
            path = Path(folder, name)
            if path.suffix not in SOURCE_SUFFIXES:
                continue
            if path.suffix == "" and path.parent.name not in {".ci", "scripts"}:
                continue
            yield path


def test_the_contract_files_are_data_of_the_repository():
    assert CONTRACT_DIR.is_relative_to(REPOSITORY)
    for name in (
        "retrieve-issue.example.json",
        "retrieve-issue.example.headers.txt",
        "sentry-issue-openapi.json",
        "sentry-openapi-current-routes.json",
    ):
        assert (CONTRACT_DIR / name).stat().st_size > 0, name


def test_no_file_reads_the_steering_folder_beside_the_clone():
    offenders = [
        str(path.relative_to(REPOSITORY))
        for path in source_files()
        if path != Path(__file__).resolve() and OUTSIDE.search(path.read_text(errors="replace"))
    ]
    assert offenders == []


def test_every_section_the_code_cites_exists_in_docs_behaviour():
    text = BEHAVIOUR.read_text()
    sections = set(re.findall(r"^#{2,3} ([0-9]+(?:\.[0-9]+)?)[. ]", text, flags=re.MULTILINE))
    decisions = set(re.findall(r"^(\d+)\. \*\*", text.split("## 0. Sources")[0], re.MULTILINE))
    cited_sections, cited_decisions = set(), set()
    for path in source_files():
        if path.suffix != ".py":
            continue
        source = path.read_text()
        for group in CITATION.findall(source):
            for start in re.findall(r"§([0-9]+(?:\.[0-9]+)?)", group):
                cited_sections.add(start)
        if "behaviour.md" in source:
            cited_decisions.update(DECISION.findall(source))
    assert cited_sections, "no citation found: the pattern is out of date"
    assert cited_sections <= sections, cited_sections - sections
    assert cited_decisions <= decisions, cited_decisions - decisions


# `producer | head` (or grep -q, which also stops reading early) fails a script run under
# `set -o pipefail` at random: the producer dies of SIGPIPE (exit 141) when the reader closes
# the pipe before it has written everything.
EARLY_CLOSING_READER = re.compile(r"\|\s*(?:head\b|grep\s+(?:-\w*[qm]|--quiet|--max-count))")


def test_no_ci_script_pipes_into_a_reader_that_stops_early():
    scripts = [path for path in source_files() if path.parent.name in {".ci", "scripts"}]
    assert any(path.name == "run" for path in scripts)
    offenders = [
        f"{path.relative_to(REPOSITORY)}:{number}"
        for path in scripts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if EARLY_CLOSING_READER.search(line) and not line.lstrip().startswith("#")
    ]
    assert offenders == []
