"""``python -m operator_simulator [--host 127.0.0.1] [--port 8090]``.

The host and port also come from ``SIMULATOR_HOST`` and ``SIMULATOR_PORT``; flags win. Keep the
host on loopback: the control API has no authentication.
"""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os

from operator_simulator.app import create_app
from operator_simulator.server import serve


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m operator_simulator", description="A stand-in SMS operator over HTTP."
    )
    parser.add_argument("--host", default=os.environ.get("SIMULATOR_HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("SIMULATOR_PORT", "8090")))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if not _is_loopback(args.host):
        logging.getLogger("operator_simulator").warning(
            "serving on %s: anyone who reaches it can use the unauthenticated /_control API",
            args.host,
        )
    serve(create_app(), args.host, args.port)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


if __name__ == "__main__":
    main()
