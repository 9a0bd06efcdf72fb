"""Being written in this session; each function is replaced by its view."""

from typing import Any


def index(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def create(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def count_conditions(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def edit(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def delete(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def add_members(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def remove_members(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError

