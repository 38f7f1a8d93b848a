"""The OpenAPI 3.1 document of the reports API and the search (``/openapi.json``).

Every report gets a JSON and a CSV operation, generated from the .rq headers; ``/search.json``
gets one from :data:`kg_server.search.SEARCH_PARAMETERS`. Each parameter's schema is the one
the validator (:meth:`kg.reports.params.Parameter.read`) enforces, so the document and the
answers cannot drift (tests/server/test_openapi_contract.py runs schemathesis against it).
"""

from __future__ import annotations

import re
from typing import Any

from kg import formats
from kg.reports.catalog import lists_papers
from kg.reports.params import Parameter, paging_parameters
from kg.reports.runner import ReportRunner
from kg.search.documents import KINDS
from kg.search.index import FACETS
from kg_server.search import SEARCH_PARAMETERS

_PROBLEM = {"$ref": "#/components/responses/Problem"}


def _openapi_parameter(param: Parameter) -> dict[str, Any]:
    """A query parameter of the OpenAPI document: its schema is the one the validator
    (:meth:`kg.reports.params.Parameter.read`) enforces."""
    entry: dict[str, Any] = {
        "name": param.name,
        "in": "query",
        "required": param.required,
        "description": param.description,
        "schema": param.json_schema(),
    }
    if param.example is not None:
        entry["example"] = param.to_json()["example"]
    return entry


def _search_operation() -> dict[str, Any]:
    return {
        "get": {
            "tags": ["search"],
            # Not search_json: that is the search report's JSON operation (NAME_json).
            "operationId": "fullTextSearch",
            "summary": "Full-text search",
            "description": "Papers, authors, organizations, repositories and subjects whose "
            "text has every word (typos forgiven by word length; where no entity has them "
            "all, those with some of them and `relaxed` true), best first, with facet counts "
            "of everything found. A `from` after `to` finds nothing.",
            "parameters": [_openapi_parameter(param) for param in SEARCH_PARAMETERS],
            "responses": {
                "200": {
                    "description": "One page of hits and the facets of all of them",
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/SearchResult"}
                        }
                    },
                },
                "400": _PROBLEM,
                "414": _PROBLEM,
                "503": {
                    "description": "The server has no search index (RFC 9457 problem)",
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    },
                },
            },
        }
    }


_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
_SEARCH_SCHEMAS: dict[str, Any] = {
    "SearchHit": {
        "type": "object",
        "properties": {
            "iri": {"type": "string"},
            "type": {"type": "string", "enum": list(KINDS)},
            "label": {"type": "string"},
            "score": {"type": "number"},
            "snippet": {
                "type": "string",
                "description": "HTML: the text escaped, the matched words in <b>",
            },
            "year": {"type": "integer"},
        },
        "required": ["iri", "type", "label", "score", "snippet"],
    },
    "SearchResult": {
        "type": "object",
        "properties": {
            "query": {"type": "string"},
            "total": {"type": "integer", "minimum": 0},
            "offset": {"type": "integer", "minimum": 0},
            "limit": {"type": "integer", "minimum": 1},
            "relaxed": {"type": "boolean"},
            "hits": {"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}},
            "facets": {
                "type": "object",
                "description": "Counts by facet value (empty with prefix=true)",
                "properties": {name: _COUNTS for name in FACETS},
                "additionalProperties": False,
            },
        },
        "required": ["query", "total", "hits", "facets"],
    },
}


def openapi_document(reports: ReportRunner, *, server_url: str = "/") -> dict[str, Any]:
    """An OpenAPI 3.1 document for every report, generated from the .rq headers."""
    paths: dict[str, Any] = {
        "/reports.json": {
            "get": {
                "operationId": "listReports",
                "summary": "The reports, with their parameters and examples",
                "responses": {
                    "200": {
                        "description": "The list of reports",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ReportList"}
                            }
                        },
                    }
                },
            }
        }
    }
    paths["/search.json"] = _search_operation()
    paging_params = paging_parameters(reports.max_rows)
    for report in reports.reports.values():
        parameters = [_openapi_parameter(param) for param in report.parameters]
        paging = [{"$ref": f"#/components/parameters/{param.name}"} for param in paging_params]
        operation_id = re.sub(r"[^A-Za-z0-9]+", "_", report.name)
        common = {
            "tags": ["computed" if report.engine else "sparql"],
            "summary": report.title,
            "description": report.description,
        }
        paths[f"/reports/{report.name}.json"] = {
            "get": {
                **common,
                "operationId": f"{operation_id}_json",
                "parameters": parameters + paging,
                "responses": {
                    "200": {
                        "description": 'One page of rows; `next` and a `Link: rel="next"` header point to the next',
                        "headers": {
                            "ETag": {"$ref": "#/components/headers/ETag"},
                            "Link": {
                                "description": 'rel="next" when more rows follow',
                                "schema": {"type": "string"},
                            },
                        },
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ReportResult"}
                            }
                        },
                    },
                    "304": {"description": "Not modified (If-None-Match matched the ETag)"},
                    "400": _PROBLEM,
                    "404": _PROBLEM,
                    "414": _PROBLEM,
                    "503": _PROBLEM,
                },
            }
        }
        paths[f"/reports/{report.name}.csv"] = {
            "get": {
                **common,
                "operationId": f"{operation_id}_csv",
                "parameters": parameters,
                "responses": {
                    "200": {
                        "description": "The whole result as CSV (up to the server's row cap)",
                        "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
                        "content": {"text/csv": {"schema": {"type": "string"}}},
                    },
                    "304": {"description": "Not modified"},
                    "400": _PROBLEM,
                    "404": _PROBLEM,
                    "414": _PROBLEM,
                    "503": _PROBLEM,
                },
            }
        }
        if lists_papers(report):
            # Its rows are papers: their bibliography (kg.formats.PAPER_REPORT).
            for fmt in formats.offers(formats.PAPER_REPORT):
                paths[f"/reports/{report.name}.{fmt.extension}"] = {
                    "get": {
                        **common,
                        "operationId": f"{operation_id}_{fmt.key}",
                        "parameters": parameters,
                        "responses": {
                            "200": {
                                "description": f"The papers of the rows as {fmt.label}, in row "
                                "order (up to the server's row cap)",
                                "headers": {"ETag": {"$ref": "#/components/headers/ETag"}},
                                "content": {fmt.media_type: {"schema": {"type": "string"}}},
                            },
                            "304": {"description": "Not modified"},
                            "400": _PROBLEM,
                            "404": _PROBLEM,
                            "414": _PROBLEM,
                            "503": _PROBLEM,
                        },
                    }
                }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Scholarly knowledge graph: canned reports and search",
            "version": "1",
            "description": "Named, parameterised reports over the graph. Each report is a SPARQL query "
            "(queries/*.rq) whose header declares its parameters; author parameters take "
            "an IRI or a name, paper parameters an IRI or a title. `/search.json` searches "
            "the full-text index of papers, authors, organizations, repositories and subjects.",
        },
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "parameters": {param.name: _openapi_parameter(param) for param in paging_params},
            "headers": {
                "ETag": {
                    "description": "Changes with the store version, the report and its parameters",
                    "schema": {"type": "string"},
                }
            },
            "responses": {
                "Problem": {
                    "description": "An RFC 9457 problem",
                    "content": {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/Problem"}
                        }
                    },
                },
            },
            "schemas": {
                "Problem": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                        "instance": {"type": "string"},
                    },
                    "required": ["title", "status", "detail"],
                },
                **_SEARCH_SCHEMAS,
                "ReportList": {
                    "type": "object",
                    "properties": {"reports": {"type": "array", "items": {"type": "object"}}},
                    "required": ["reports"],
                },
                "ReportResult": {
                    "type": "object",
                    "properties": {
                        "report": {"type": "string"},
                        "title": {"type": "string"},
                        "parameters": {
                            "type": "object",
                            "additionalProperties": {"type": "string"},
                        },
                        "columns": {"type": "array", "items": {"type": "string"}},
                        "rows": {"type": "array", "items": {"type": "object"}},
                        "offset": {"type": "integer"},
                        "limit": {"type": ["integer", "null"]},
                        "total": {"type": "integer"},
                        "truncated": {"type": "boolean"},
                        "next": {"type": ["string", "null"]},
                        "store_version": {"type": "string"},
                        "notes": {"type": "array", "items": {"type": "string"}},
                        "elements": {
                            "type": "object",
                            "description": "Cytoscape.js elements (graph reports)",
                        },
                    },
                    "required": ["report", "columns", "rows", "offset", "total", "next"],
                },
            },
        },
    }
