"""The lowest layer: errors, band math, signal-parameter rules, atomic files, JSON helpers.
Imports neither torch nor mne nor scipy, so every layer (and the fast CLI) can use it."""
