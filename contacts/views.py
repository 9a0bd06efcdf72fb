"""Being written in this session; each function is replaced by its view."""

from typing import Any


def create(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def detail(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def edit(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def delete(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def data_export(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError

