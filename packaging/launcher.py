"""The frozen app's entry point: the same as `python -m assistant` (the GUI, or a subcommand)."""

from assistant.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
