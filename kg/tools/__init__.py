"""Tools around the pipeline that users run but the pipeline does not need (the synthetic corpus generator)."""
