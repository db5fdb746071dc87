"""notifications/ sits below the modules: they import it, it imports only crm."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODULES = {"customers", "followups", "opportunities", "reports", "administration"}


def test_notifications_imports_no_module():
    offending = []
    for path in sorted((ROOT / "notifications").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            offending += [
                f"{path.relative_to(ROOT)}: {name}"
                for name in names
                if name.split(".")[0] in MODULES
            ]
    assert offending == []
