"""The README's, the user guide's and the examples' code split by subject.

A snippet that cross-validates or searches without the subjects' groups and a
group-aware splitter puts a speaker's recordings in both the training and the
test part of a fold; copied as written, it reports an optimistic score. Every
such call in a code block must pass a group-aware ``cv`` (a splitter of
:data:`GROUP_SPLITTERS`, or a name assigned one on the same page) and the
groups (``groups=`` or ``params={"groups": ...}``, in the call or, for a
search, at its ``fit``). A call that leaks on purpose, to show what leaking
does, says so on its line: ``# record-wise on purpose``.
"""

import ast
import pathlib
import re
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
CROSS_VALIDATION = {
    "cross_validate",
    "cross_val_score",
    "cross_val_predict",
    "permutation_test_score",
    "learning_curve",
    "validation_curve",
}
SEARCHES = {
    "GridSearchCV",
    "RandomizedSearchCV",
    "HalvingGridSearchCV",
    "HalvingRandomSearchCV",
}
GROUP_SPLITTERS = {
    "GroupKFold",
    "StratifiedGroupKFold",
    "GroupShuffleSplit",
    "LeaveOneGroupOut",
    "LeavePGroupsOut",
}
PAGES = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").rglob("*.rst")),
    *sorted((ROOT / "examples").glob("*.py")),  # the gallery's pages
]


def code_blocks(path):
    """The Python code blocks of a Markdown or reStructuredText page."""
    text = path.read_text()
    if path.suffix == ".py":
        return [text]
    if path.suffix == ".md":  # fenced blocks, some indented under a list item
        return [
            textwrap.dedent(block)
            for block in re.findall(r"```python\n(.*?)[ \t]*```", text, re.S)
        ]
    blocks = []
    for match in re.finditer(r"\.\. code-block:: python\n((?:\n|[ \t]+.*\n)+)", text):
        lines = match.group(1).splitlines()
        body = "\n".join(line for line in lines if not line.lstrip().startswith(":"))
        blocks.append(textwrap.dedent(body))
    return blocks


def _name(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _calls(tree):
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def _keyword(call, name):
    return next((k.value for k in call.keywords if k.arg == name), None)


def _passes_groups(call):
    if _keyword(call, "groups") is not None:
        return True
    params = _keyword(call, "params")
    return isinstance(params, ast.Dict) and any(
        isinstance(key, ast.Constant) and key.value == "groups" for key in params.keys
    )


def _group_aware_names(trees):
    """Names assigned a group-aware splitter anywhere on the page."""
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.value, ast.Call)
                and _name(node.value.func) in GROUP_SPLITTERS
            ):
                names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def _group_aware(cv, names):
    if isinstance(cv, ast.Call):
        return _name(cv.func) in GROUP_SPLITTERS
    return isinstance(cv, ast.Name) and cv.id in names


def problems(path):
    """Each cross-validation or search call of the page that may leak speakers."""
    trees = []
    for block in code_blocks(path):
        try:
            trees.append(ast.parse(block))
        except SyntaxError as err:
            return [f"a code block does not parse ({err}):\n{block}"]
    names = _group_aware_names(trees)
    found = []
    for block, tree in zip(code_blocks(path), trees, strict=True):
        lines = block.splitlines()
        calls = _calls(tree)
        groups_given = any(_passes_groups(call) for call in calls)
        for call in calls:
            kind = _name(call.func)
            if kind not in CROSS_VALIDATION | SEARCHES:
                continue
            source = "\n".join(lines[call.lineno - 1 : call.end_lineno])
            if "# record-wise on purpose" in source:
                continue
            where = f"{path.name}: {ast.unparse(call)[:70]}"
            if not _group_aware(_keyword(call, "cv"), names):
                found.append(f"{where}: no group-aware cv")
            grouped = _passes_groups(call) if kind in CROSS_VALIDATION else groups_given
            if not grouped:
                found.append(f"{where}: no groups")
    return found


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_code_that_cross_validates_splits_by_subject(path):
    assert problems(path) == []


def test_the_check_finds_leaking_snippets(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "```python\n"
        "cv = StratifiedGroupKFold(5)\n"
        "cross_validate(pipe, X, y, groups=g, cv=cv)\n"  # fine
        "cross_validate(pipe, X, y, cv=cv)\n"  # no groups
        "cross_validate(pipe, X, y, groups=g, cv=5)\n"  # an int: plain KFold
        "cross_validate(pipe, X, y, params={'groups': g}, cv=GroupKFold(3))\n"
        "```\n"
        "```python\n"
        "GridSearchCV(pipe, {'clf__lr': [1e-3]}).fit(X, y)\n"  # neither
        "cross_validate(pipe, X, y, cv=5)  # record-wise on purpose\n"
        "```\n"
    )
    found = [line.split(": ", 1)[1] for line in problems(page)]
    assert found == [
        "cross_validate(pipe, X, y, cv=cv): no groups",
        "cross_validate(pipe, X, y, groups=g, cv=5): no group-aware cv",
        "GridSearchCV(pipe, {'clf__lr': [0.001]}): no group-aware cv",
        "GridSearchCV(pipe, {'clf__lr': [0.001]}): no groups",
    ]
