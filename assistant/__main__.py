"""`python -m assistant`: the same entry point as the `assistant` console script."""

from assistant.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
