#!/usr/bin/env python3
"""Deploy the sign-in gate to AWS. `scripts/deploy --help`; docs/deploy.md explains it all.

    scripts/deploy stack --stack-name my-site --cognito-domain-prefix my-site-login
    scripts/deploy publish --config gate.toml
    scripts/deploy status --stack-name my-site

scripts/deploy installs what this needs (.venv, via scripts/setup) and runs it with that venv.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def _missing() -> str | None:
    for module in ("boto3", "botocore", "cfnlint"):
        try:
            __import__(module)
        except ImportError:
            return module
    return None


if __name__ == "__main__":
    missing = _missing()
    if missing:
        print(
            f"error: {sys.executable} has no {missing}; run scripts/deploy instead (it installs what the deploy "
            "needs into .venv), or pip install -r requirements-dev.txt",
            file=sys.stderr,
        )
        sys.exit(2)
    from gatebuild.deploy.cli import main

    sys.exit(main())
