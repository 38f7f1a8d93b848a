"""Full-text search over the graph: papers, authors, organizations, repositories, subjects.

* :mod:`kg.search.documents` reads what is searchable from any query backend
  (the embedded store or an external SPARQL store) as :class:`SearchDocument`
  records, one per entity, each with a digest of its content;
* :mod:`kg.search.index` keeps a tantivy index beside the store, updated for
  each published store version (only documents whose digest changed are
  rewritten), and answers searches with facets, snippets and paging, and
  prefix completions for autocomplete;
* :mod:`kg.search.query` turns what a user types into a tantivy query:
  quoted phrases, words forgiven one or two typos by their length, accents,
  case and hyphens folded; bad input is a :class:`~kg.errors.KGError` (400).
"""
