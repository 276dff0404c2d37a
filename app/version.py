"""The one place the version lives: packaging, `backdesk --version` and About read it."""

__version__ = "0.1.0"
