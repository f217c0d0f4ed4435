"""One module per model recipe; see base.py for the contract."""
