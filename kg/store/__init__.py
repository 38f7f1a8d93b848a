"""Stores: the embedded Oxigraph store, external SPARQL 1.1 stores, query execution and dumps."""
