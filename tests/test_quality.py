"""House rules the code must keep: typed core, no lint errors, no vendor import in the core."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "core" / "src" / "runwire"
VENDORS = {"litellm", "openai", "anthropic", "llama_cpp", "psycopg", "psycopg_pool", "redis", "httpx", "aiohttp", "rich"}


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
    result = subprocess.run([sys.executable, "-m", "mypy", str(CORE), "--ignore-missing-imports"],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:]


def test_no_lint_errors():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "core", "plugins", "tests", "benchmarks", "examples",
                             "--select", "F,E9,B006,B008", "--output-format", "concise"],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stdout[-3000:]
