"""`python -m reporting`: run the reporting service."""

from reporting.main import build_app
from reporting.settings import ReportingSettings
from shared.http.app import serve


def main() -> None:
    settings = ReportingSettings()
    serve(build_app(settings), settings)


if __name__ == "__main__":
    main()
