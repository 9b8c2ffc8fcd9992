"""python -m local.idp.dot --port N --redirect-uri URL [--post-logout-uri URL]: run the provider
and print what a gate config needs (issuer, client id and secret) and the person's sign-in."""

from __future__ import annotations

import argparse
import json
import signal
import sys

from local.idp.dot import DotProvider


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.idp.dot", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--redirect-uri", action="append", default=[], help="the gate's callback URL (repeatable)")
    parser.add_argument("--post-logout-uri", action="append", default=[], help="the gate's signed-out URL")
    parser.add_argument("--username", default="ada")
    parser.add_argument("--json", action="store_true", help="print one JSON line instead of key = value lines")
    args = parser.parse_args(argv)
    if not args.redirect_uri:
        parser.error("--redirect-uri is required (the gate's https://.../_gate/callback)")
    provider = DotProvider(args.redirect_uri, args.post_logout_uri, port=args.port or None, username=args.username)
    provider.start()
    try:
        info = provider.describe()
        if args.json:
            print(json.dumps(info), flush=True)
        else:
            for key, value in info.items():
                print(f"{key} = {value}", flush=True)
            print("# Ctrl-C stops the provider and removes its data", flush=True)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        provider.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
