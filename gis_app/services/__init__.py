"""Use cases that combine storage, analysis, io and the generator: what the CLI and UI call."""
