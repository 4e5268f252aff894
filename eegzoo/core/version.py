"""The package version, importable without importing the package facade."""

__version__ = "0.1.0"
