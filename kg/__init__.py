"""kg: a knowledge graph for people who think in Markdown."""

__version__ = "0.1.0"
