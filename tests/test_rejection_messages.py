"""Every rejection a person reads is marked for the translation catalogue where it is written.

A rejection built from an f-string or an unmarked literal reaches an English browser in
Spanish: the catalogue never learns its template. This walks the code and names each one.
"""

import ast
from pathlib import Path

import mejora

REJECTIONS = {
    "AnnexRejected",
    "ImportRefused",
    "OverLimit",
    "RecordBusy",
    "ReviewOutdated",
    "beyond",
    "damaged",
    "over_limit",
}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def unmarked_rejections() -> list[str]:
    root = Path(mejora.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and _name(node.func) in REJECTIONS and node.args):
                continue
            first = node.args[0]
            # Marked (gettext_noop), built elsewhere (a Message, a helper returning one), or a
            # name: a constant marked where it is defined, or a message passed along. An
            # f-string, a bare literal or a concatenation never reaches the catalogue.
            if not isinstance(first, ast.Call | ast.Name | ast.Attribute):
                found.append(f"{path.relative_to(root.parent)}:{node.lineno}")
    return found


def test_every_rejection_is_a_marked_template():
    assert unmarked_rejections() == []
