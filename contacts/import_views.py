"""Being written in this session; each function is replaced by its view."""

from typing import Any


def index(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def detail(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def progress(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def issues_csv(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def replay(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError

