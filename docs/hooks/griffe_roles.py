"""A griffe extension: the docstrings' Sphinx roles as mkdocstrings cross-references.

The package's docstrings name objects the Sphinx way (``:class:`~abm.market.MarketConfig```,
``:func:`parameter_error```). This turns each into a Markdown cross-reference
(``[`MarketConfig`][abm.market.MarketConfig]``) that the strict build must resolve, when the name
resolves to an object of ``abm`` or ``analysis``; any other name (numpy's, pandas') is shown as
code.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:class|func|meth|mod|attr|data|exc|obj|const):`(~?)([\w.]+)`")
PACKAGES = ("abm", "analysis")


def _documented(obj: griffe.Object, path: str) -> bool:
    """Whether the site renders ``path``: a module, or an object with a docstring.

    A name that resolves to nothing is kept as a link, so that the strict build reports it.
    """
    try:
        target = obj.modules_collection[path]
    except Exception:
        return True
    return target.is_module or target.docstring is not None


class SphinxRoles(griffe.Extension):
    """Rewrite ``:role:`target``` in every docstring before it is parsed."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite the roles of one object's docstring."""
        if obj.docstring is None or ":`" not in obj.docstring.value:
            return

        def replace(match: re.Match[str]) -> str:
            short, target = match.group(1) == "~", match.group(2)
            shown = target.rsplit(".", 1)[-1] if short else target
            path = target
            if not target.startswith(PACKAGES):
                try:
                    path = obj.resolve(target)
                except Exception:  # not a name in this object's scope
                    try:
                        path = obj.module.resolve(target)
                    except Exception:
                        path = None
                    if path is None and obj.parent is not None:
                        try:
                            path = obj.parent.resolve(target)
                        except Exception:
                            path = None
            private = path and any(
                part.startswith("_") and not part.startswith("__") for part in path.split(".")
            )
            if path and path.startswith(PACKAGES) and not private and _documented(obj, path):
                return f"[`{shown}`][{path}]"
            return f"`{shown}`"

        obj.docstring.value = ROLE.sub(replace, obj.docstring.value)
