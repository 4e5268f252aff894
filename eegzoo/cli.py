"""Deprecated: the command line lives in :mod:`eegzoo.apps.cli` (since 0.1.0)."""

from eegzoo.core.moved import moved_module

__getattr__ = moved_module("eegzoo.cli", "eegzoo.apps.cli", "0.1.0")
