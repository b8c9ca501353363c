"""flake8-socket-close: finds socket code that tears TCP connections down wrongly."""

__version__ = "0.1.0"
