"""The release's metadata tells the truth: version, changelog, citation, package."""

import re
import tomllib
from pathlib import Path

import pytest

import skhyperdys

ROOT = Path(__file__).parents[1]


def _citation():
    cffconvert = pytest.importorskip("cffconvert")
    text = (ROOT / "CITATION.cff").read_text()
    citation = cffconvert.Citation(text)
    return citation


def test_citation_file_is_valid_cff_1_2():
    citation = _citation()
    citation.validate()  # raises on a schema violation
    assert citation.cffobj["cff-version"] == "1.2.0"


def test_citation_cites_this_version_and_the_paper():
    cff = _citation().cffobj
    assert str(cff["version"]) == skhyperdys.__version__
    (paper,) = cff["references"]
    assert "Hypernetworks" in paper["title"] and paper["year"] == 2025
    assert [a["family-names"] for a in paper["authors"]] == ["Ilias", "Askounis"]


def test_changelog_has_this_version_dated_like_the_citation():
    text = (ROOT / "CHANGELOG.md").read_text()
    assert "## [Unreleased]" in text
    released = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", text, re.M)
    assert released, "no released version in CHANGELOG.md"
    version, date = released[0]  # the newest first
    if ".dev" not in skhyperdys.__version__:
        assert version == skhyperdys.__version__
        assert str(_citation().cffobj["date-released"]) == date


def test_package_metadata_names_no_place_that_does_not_exist():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "urls" not in project  # no repository or site has been published yet
    assert project["dynamic"] == ["version"]
    assert (ROOT / project["license-files"][0]).is_file()
    pythons = [
        c.rsplit(" ", 1)[1]
        for c in project["classifiers"]
        if re.search(r"Python :: 3\.\d+$", c)
    ]
    # Only the versions CI runs the test suite on: python3 (3.11, the oldest
    # the dependency minimums allow, as requires-python says) and the newest.
    assert pythons == ["3.11", "3.13"]
    assert project["requires-python"] == ">=3.11"
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'versions/3.13.*/bin/python3' in ci
    assert ".venv-3.13/bin/python -m pytest\n" in ci
