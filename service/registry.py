"""A mode string -> factory table; its error lists the valid modes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from service.errors import ConfigurationError

F = TypeVar("F")


class Registry(Generic[F]):
    def __init__(self, setting: str) -> None:
        self.setting = setting
        self._factories: dict[str, F] = {}

    def register(self, mode: str) -> Callable[[F], F]:
        def wrap(factory: F) -> F:
            self._factories[mode] = factory
            return factory

        return wrap

    def modes(self) -> list[str]:
        return sorted(self._factories)

    def get(self, mode: str, *, extra_modes: tuple[str, ...] = ()) -> F:
        if mode not in self._factories:
            valid = ", ".join([*extra_modes, *self.modes()])
            raise ConfigurationError(f"unknown {self.setting} mode {mode!r}; valid modes: {valid}")
        return self._factories[mode]
