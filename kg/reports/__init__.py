"""Canned reports: one SPARQL query per ``queries/*.rq`` file, typed parameters, a cached runner.

The package reads in the order of its layers (each module imports only those above it
in this list):

* :mod:`kg.reports.params` - parameter types: parsing a value, its JSON Schema;
* :mod:`kg.reports.definitions` - the ``.rq`` header grammar and the loaded set;
* :mod:`kg.reports.results` - a run's validated parameters and its rows;
* :mod:`kg.reports.engines` - Python steps for what SPARQL cannot say (network,
  communities, ambiguity, collaboration path with its in-memory co-author graph, search);
* :mod:`kg.reports.catalog` - every report checked against its query and engine;
* :mod:`kg.reports.stored` - precomputed whole-graph results, read back;
* :mod:`kg.reports.runner` - binds, runs through any query backend, caches per version;
* :mod:`kg.reports.render` - CSV, the plain-text table, the JSON answer;
* :mod:`kg.reports.precompute` - writes the precomputed results at ingest.
"""
