"""scholarly-kg: researcher profile pages to a queryable scholarly knowledge graph."""

__version__ = "0.1.0"
