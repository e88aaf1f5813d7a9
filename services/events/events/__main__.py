"""`python -m events`: run the events service."""

from events.main import build_app
from events.settings import EventsSettings
from shared.http.app import serve


def main() -> None:
    settings = EventsSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
