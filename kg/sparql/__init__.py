"""SPARQL text: the tokeniser, result formats, and the rules every backend applies to untrusted queries."""
