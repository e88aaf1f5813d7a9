"""`python -m dispatcher`: run the dispatcher service."""

from dispatcher.main import build_app
from dispatcher.settings import DispatcherSettings
from shared.http.app import serve


def main() -> None:
    settings = DispatcherSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
