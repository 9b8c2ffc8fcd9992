#!/usr/bin/env python3
"""Deploy the sign-in gate to AWS. `python deploy.py --help`; docs/deploy.md explains it all.

    python deploy.py stack --stack-name my-site --cognito-domain-prefix my-site-login
    python deploy.py publish --config gate.toml
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from gatebuild.deploy.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
