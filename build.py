#!/usr/bin/env python3
"""Build the Lambda@Edge zip: python build.py --config gate.toml [--jwks-file F] [--out F]

The work is in gatebuild/builder.py (import it as `from gatebuild import builder`); `--help`
lists the options. Exit status 2 for a mistake the user can fix (one line naming the fix),
1 for any other build failure.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

if __name__ == "__main__":
    from gatebuild.builder import main

    sys.exit(main())
