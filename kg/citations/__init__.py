"""Papers as citations and feeds: BibTeX, RIS, CSL-JSON, formatted references, Atom.

The pipeline's last read-only stage beside the reports: :mod:`kg.citations.works`
reads the papers a request names from any query backend into :class:`Work`
records (one query, parameters bound by substitution); the writers turn
records into text and know nothing of the store:

* :mod:`kg.citations.bibtex` -- BibTeX entries with stable readable keys;
* :mod:`kg.citations.ris` -- RIS records;
* :mod:`kg.citations.csl` -- CSL-JSON items and references formatted by
  citeproc-py in real CSL styles (APA, IEEE, Chicago author-date);
* :mod:`kg.citations.feeds` -- Atom feeds of the latest papers (feedgen).
"""
