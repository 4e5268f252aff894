"""A plugin that ships an invalid spec (heads does not divide n_filters_spat)."""

from pathlib import Path


def register():
    return [Path(__file__).parent / "specs"]
