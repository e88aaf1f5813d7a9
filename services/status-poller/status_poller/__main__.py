"""`python -m status_poller`: run the status-poller service."""

from shared.http.app import serve
from status_poller.main import build_app
from status_poller.settings import StatusPollerSettings


def main() -> None:
    settings = StatusPollerSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
