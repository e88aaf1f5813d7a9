"""A stand-in SMS operator over real HTTP, for tests and demos.

It shares no code with the platform's operator adapters on purpose: it is the other side of the
wire, written from the API description in ``deploy/operator-simulator/README.md``.
``create_app()`` builds the ASGI application; ``python -m operator_simulator`` serves it.
"""

from operator_simulator.app import create_app

__all__ = ["create_app"]
