"""Integration tests against real external SPARQL stores (Oxigraph server, Virtuoso)."""
