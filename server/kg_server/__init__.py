"""The Flask application: SPARQL endpoint, reports, linked data and pages."""

from kg_server.app import create_app

__all__ = ["create_app"]
