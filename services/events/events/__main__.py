"""`python -m events`: run the events service."""

import sys

from events.main import build_app
from events.settings import EventsSettings
from shared.http.app import serve


def main() -> None:
    if len(sys.argv) > 1:  # `python -m events users add …`: an administration command
        from events.cli import main as cli

        sys.exit(cli(sys.argv[1:]))
    settings = EventsSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
