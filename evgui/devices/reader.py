"""Reading profile tables: typed field access that records every problem with file, point, field."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True, slots=True)
class ProfileIssue:
    """One problem found in a profile."""

    file: str
    point: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"point '{self.point}', " if self.point else ""
        return f"{self.file}: {where}field '{self.field}': {self.message}"


class ProfileError(Exception):
    """A profile could not be loaded; `issues` lists every problem found."""

    def __init__(self, issues: list[ProfileIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(str(i) for i in issues))


class TableReader:
    """Typed access to a TOML table that records problems instead of raising."""

    def __init__(
        self,
        data: dict[str, Any],
        file: str,
        issues: list[ProfileIssue],
        point: str | None = None,
        prefix: str = "",
    ) -> None:
        self.data, self.file, self.issues, self.point, self.prefix = (
            data,
            file,
            issues,
            point,
            prefix,
        )
        self.seen: set[str] = set()

    def error(self, key: str, message: str) -> None:
        """Record a problem with a field of this table."""
        self.issues.append(ProfileIssue(self.file, self.point, self.prefix + key, message))

    def sub(self, key: str, point: str | None = None) -> TableReader | None:
        """Return a reader for a nested table, or None when absent."""
        value = self.get(key, dict, None)
        if value is None:
            return None
        prefix = f"{self.prefix}{key}."
        return TableReader(value, self.file, self.issues, point or self.point, prefix)

    def get(
        self, key: str, kind: type | tuple[type, ...], default: Any, required: bool = False
    ) -> Any:
        """Return a field of the expected Python type, or the default after recording why."""
        self.seen.add(key)
        if key not in self.data:
            if required:
                self.error(key, "is required")
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if isinstance(value, bool) and bool not in kinds:
            self.error(key, f"expected {_names(kinds)}, got a boolean")
            return default
        if not isinstance(value, kinds):
            self.error(key, f"expected {_names(kinds)}, got {type(value).__name__} {value!r}")
            return default
        return value

    def choice(
        self, key: str, enum: type[E], default: E | None, required: bool = False
    ) -> E | None:
        """Return a field that must be one of an enum's values."""
        raw = self.get(key, str, None, required)
        if raw is None:
            return default
        try:
            return enum(raw)
        except ValueError:
            allowed = ", ".join(e.value for e in enum)
            self.error(key, f"unknown value '{raw}' (expected one of: {allowed})")
            return default

    def finish(self) -> None:
        """Record every key nobody read (a typo would otherwise be silently ignored)."""
        for key in self.data:
            if key not in self.seen:
                self.error(key, "unknown field")


def _names(kinds: tuple[type, ...]) -> str:
    """Name Python types the way a profile author thinks of them."""
    words = {str: "a string", int: "an integer", float: "a number", bool: "a boolean"}
    words |= {list: "a list", dict: "a table"}
    return " or ".join(words.get(k, k.__name__) for k in kinds)
