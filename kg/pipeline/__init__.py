"""The ingest pipeline: parse -> resolve -> map -> load -> publish, composed over the stages below it."""
