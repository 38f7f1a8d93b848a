"""scholarly-kg: researcher profile pages to a queryable scholarly knowledge graph."""

import logging

__version__ = "0.1.0"

# A library logs and the application decides where it goes (the logging HOWTO, "Configuring
# Logging for a Library"). The kg commands print what their users need themselves: without a
# handler here, Python's last-resort handler printed identity resolution's warnings a second
# time on every `kg ingest`.
logging.getLogger(__name__).addHandler(logging.NullHandler())
