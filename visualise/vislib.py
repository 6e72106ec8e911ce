"""vis-network, as pyvis ships it: the script and stylesheet the offline map inlines.

The files are found through pyvis's package location without importing pyvis
(which imports IPython), so writing a map does not pay for a notebook library.
Their SHA-256 are recorded here: the page's safety (no closing tag, no URL, what
vis-network does with a tooltip string) was checked on these exact files, and a
test fails when a pyvis release ships other ones.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

__all__ = ["VIS_NETWORK_SHA256", "VIS_NETWORK_VERSION", "vis_network_assets", "vis_network_folder"]

VIS_NETWORK_VERSION = "9.1.2"
#: SHA-256 of each file of vis-network as pyvis 0.3.2 ships it
VIS_NETWORK_SHA256 = {
    "vis-network.min.js": "1f20f0736f32cb9bedf8f6383b25cfea2f839e1abe80d6e8040b4d5bea378c69",
    "vis-network.css": "2e82d445ad5878ea881652470ce632601f8f55f1b99e6ebecdff8614600e6d0e",
}


def vis_network_folder() -> Path:
    """The folder of pyvis's copy of vis-network :data:`VIS_NETWORK_VERSION`.

    Raises ``RuntimeError`` naming what pyvis holds instead when the folder is not there.
    """
    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pyvis is not installed: the map page inlines the vis-network it ships")
    library = Path(next(iter(spec.submodule_search_locations))) / "lib"
    folder = library / f"vis-{VIS_NETWORK_VERSION}"
    if not folder.is_dir():
        found = sorted(path.name for path in library.glob("vis-*")) if library.is_dir() else []
        raise RuntimeError(
            f"pyvis holds no vis-network {VIS_NETWORK_VERSION} (found: {', '.join(found) or 'none'}): "
            "install the pyvis range pyproject.toml names"
        )
    return folder


@lru_cache(maxsize=1)
def vis_network_assets() -> tuple[str, str]:
    """vis-network's script and stylesheet, made safe to inline in a page.

    Its few ``://`` (licence links, the SVG namespace, an error message) are written
    ``:\\/\\/``, which JavaScript reads the same in strings and comments, so the page
    holds no URL at all.
    """
    folder = vis_network_folder()
    script = (folder / "vis-network.min.js").read_text(encoding="utf-8").replace("://", ":\\/\\/")
    style = (folder / "vis-network.css").read_text(encoding="utf-8")
    for name, content in (("vis-network.min.js", script), ("vis-network.css", style)):
        if any(marker in content.lower() for marker in ("</script", "</style", "<!--")):
            raise RuntimeError(f"pyvis's {name} cannot be inlined: it contains a closing tag")
    return script, style
