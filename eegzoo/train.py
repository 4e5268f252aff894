"""Deprecated: the training functions live in :mod:`eegzoo.training` (since 0.1.0)."""

from eegzoo.core.moved import moved_module

__getattr__ = moved_module("eegzoo.train", "eegzoo.training", "0.1.0")
