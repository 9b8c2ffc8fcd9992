__version__ = "0.9.0"  # build.py stamps it into the zip (edge/baked.py VERSION) and prints it
