"""The benchmark (issues 7, 15): `.venv/bin/python -m bench [--quick] [--json FILE]`; see bench/README.md."""
