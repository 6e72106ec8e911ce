"""Every docstring example in the library runs and gives what it shows."""

import doctest
import importlib
import pkgutil

import maillage
import pytest

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(maillage.__path__, "maillage.")
    if not info.name.startswith("maillage.tests") and info.name != "maillage.cli"
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest failures in {name}"
    if name.startswith("maillage.graph.analysis."):
        assert result.attempted > 0, f"{name} has no example in its docstrings"
