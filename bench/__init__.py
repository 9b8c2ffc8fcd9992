"""Issue 7's benchmark of the built zip: `.venv/bin/python -m bench [--quick] [--json FILE]`."""
