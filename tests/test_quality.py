"""House rules the code must keep: typed core, no lint errors, no vendor import in the core."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "core" / "src" / "runwire"
VENDORS = {"litellm", "openai", "anthropic", "llama_cpp", "psycopg", "psycopg_pool", "redis", "httpx", "aiohttp", "httptools", "rich"}


def test_core_has_no_module_level_vendor_import():
    offenders = []
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in tree.body:  # module level only: lazy imports inside functions are the rule
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0] in VENDORS]
    assert offenders == []


def test_core_type_checks():
    result = subprocess.run([sys.executable, "-m", "mypy", "--strict", str(CORE), "--ignore-missing-imports"],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:]


def test_no_lint_errors():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "core", "plugins", "tests", "benchmarks", "examples",
                             "--select", "F,E9,B006,B008", "--output-format", "concise"],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:]


def _mypy_strict(*paths: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--ignore-missing-imports",
                           *paths], capture_output=True, text=True, timeout=600, cwd=ROOT)


def test_plugins_type_check_strictly():  # the plugins here and the walkthroughs' example plugins
    result = _mypy_strict(*sorted(str(p) for p in [*(ROOT / "plugins").glob("*/src"),
                                                   *(ROOT / "examples" / "plugin_walkthrough").glob("*/src")]))
    assert result.returncode == 0, result.stdout[-3000:]


def test_user_code_type_checks_strictly_against_the_public_api(tmp_path):
    # the README's first snippet, as a new user pastes it, and the narrowing, tools and events they write next
    readme = (ROOT / "README.md").read_text()
    snippet = readme.split("```python\n", 1)[1].split("```", 1)[0]
    (tmp_path / "readme_snippet.py").write_text(snippet)
    samples = sorted(str(p) for p in (ROOT / "tests" / "typing_samples").glob("*.py"))
    assert len(samples) >= 2
    result = _mypy_strict(str(tmp_path / "readme_snippet.py"), *samples)
    assert result.returncode == 0, result.stdout[-3000:]


def test_type_checker_catches_the_mistakes_the_types_are_for(tmp_path):
    (tmp_path / "mistakes.py").write_text(
        "from runwire import Agent, tool\n\n\n"
        "@tool\ndef get_weather(city: str) -> str:\n    \"\"\"Weather.\"\"\"\n    return city\n\n\n"
        "get_weather(3)\n"
        "for event in Agent().run('hi', stream=True):\n"
        "    print(event.tool)\n"  # not every event has a tool: narrow first
        "    if event.event == 'RunContent':\n"
        "        print(event.tool)\n"  # RunContent has none
        "from pydantic import BaseModel\n\n\n"
        "class Movie(BaseModel):\n    title: str\n\n\n"
        "movie = Agent(output_schema=Movie).run('x')\n"
        "print(movie.content.year)\n"  # 23: a Movie has no year
        "year: int = movie.content.title\n"  # 24: title is a str
        "Agent(output_schema=int)\n"  # 25: a schema is a pydantic model (or a JSON-schema dict)
    )
    result = _mypy_strict(str(tmp_path / "mistakes.py"))
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert any("mistakes.py:10:" in e and "incompatible type \"int\"; expected \"str\"" in e for e in errors), errors
    assert any("mistakes.py:12:" in e and "has no attribute \"tool\"" in e for e in errors), errors
    assert any("mistakes.py:14:" in e and "\"RunContentEvent\" has no attribute \"tool\"" in e for e in errors), errors
    assert any("mistakes.py:23:" in e and "\"Movie\" has no attribute \"year\"" in e for e in errors), errors
    assert any("mistakes.py:24:" in e and "expression has type \"str\", variable has type \"int\"" in e
               for e in errors), errors
    assert any("mistakes.py:25:" in e and "type variable \"SchemaT\" of \"Agent\" cannot be \"int\"" in e
               for e in errors), errors
