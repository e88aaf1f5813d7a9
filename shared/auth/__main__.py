"""`python -m shared.auth mint …`: mint a token for local use.

    python -m shared.auth mint --role staff --uai 0750001A --subject cpe@college.example

The signing key is read from `SMS_TOKEN_SIGNING_KEY`; without it, the local development key is
used, which the services accept only outside the production profile.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta

from shared.auth.tokens import Role, TokenService
from shared.settings import LOCAL_TOKEN_SIGNING_KEY


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.auth")
    commands = parser.add_subparsers(dest="command", required=True)
    mint = commands.add_parser("mint", help="print a signed token")
    mint.add_argument("--role", choices=[r.value for r in Role], default=Role.STAFF.value)
    mint.add_argument("--uai", action="append", default=[], help="a school the token acts on")
    mint.add_argument("--subject", default="local-user")
    mint.add_argument("--ttl-hours", type=float, default=8.0)
    args = parser.parse_args(argv)
    key = os.environ.get("SMS_TOKEN_SIGNING_KEY", LOCAL_TOKEN_SIGNING_KEY)
    try:
        token = TokenService(key).mint(
            args.subject, Role(args.role), args.uai, ttl=timedelta(hours=args.ttl_hours)
        )
    except ValueError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 2
    sys.stdout.write(token + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
