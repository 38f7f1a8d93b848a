"""Which folders the wheel installs, and under which import names.

The repository's top level is part of the design (kg/, server/, queries/,
ontology/); installed, they become:

* ``kg`` and its sub-packages, from kg/;
* ``kg_server``, the web application, from server/kg_server/ (never a generic
  top-level ``server`` package that could clash with another project's);
* ``kg/_data/queries`` and ``kg/_data/ontology``, the canned queries and the
  ontology, which :func:`kg.resources.data_dir` finds in either layout.

Everything else about the project is in pyproject.toml.
"""

from setuptools import find_packages, setup

DATA_FOLDERS = {"kg._data.queries": "queries", "kg._data.ontology": "ontology"}

setup(
    packages=[
        *find_packages(include=["kg", "kg.*"]),
        *find_packages("server", include=["kg_server", "kg_server.*"]),
        *DATA_FOLDERS,
    ],
    package_dir={"kg_server": "server/kg_server", **DATA_FOLDERS},
    package_data={
        "kg_server": [
            "templates/*.html",
            "static/*.js",
            "static/*.css",
            "static/vendor/*",
            "static/vendor/*/*",
        ],
        # A report's variants are in a sub-folder (its own *.rq files are the reports).
        "kg._data.queries": ["*.rq", "*/*.rq"],
        "kg._data.ontology": ["*.ttl", "*.md"],
    },
    include_package_data=False,
)
