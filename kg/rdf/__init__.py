"""Records to RDF: the ontology namespace, IRIs, the mapping and the ontology files."""
