"""One module per CLI subcommand (see assistant.cli)."""
