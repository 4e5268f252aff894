"""A plugin whose import fails."""

import eegzoo_module_that_does_not_exist  # noqa: F401


def register():  # pragma: no cover
    return []
