"""The event ontology: event types and the argument roles each may take.

Types and roles are read only from a YAML file (``configs/ontology.yaml``), so
adding a type or a role is a config change followed by retraining. A saved
model carries its ontology in its ``config.json``.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["EventTypeSpec", "Ontology", "OntologyError"]


class OntologyError(ValueError):
    """An ontology file that cannot be used, with the reason and the file."""


@dataclass(frozen=True)
class EventTypeSpec:
    """One event type: its name, a one-line description and its allowed roles."""

    name: str
    description: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Ontology:
    """Event types and roles, in a fixed order that defines label ids.

    >>> ont = Ontology.from_dict({"roles": {"Speaker": "who"},
    ...     "event_types": {"Statement": {"description": "says", "roles": ["Speaker"]}}})
    >>> ont.allowed("Statement", "Speaker")
    True
    """

    types: tuple[EventTypeSpec, ...]
    roles: tuple[str, ...]
    role_descriptions: dict[str, str] = field(default_factory=dict, compare=False)
    version: str = "1"

    @property
    def type_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.types)

    def spec(self, type_name: str) -> EventTypeSpec:
        for t in self.types:
            if t.name == type_name:
                return t
        raise KeyError(type_name)

    def allowed(self, type_name: str, role: str) -> bool:
        """Whether ``role`` may fill an argument of an event of ``type_name``."""
        return any(t.name == type_name and role in t.roles for t in self.types)

    @classmethod
    def from_dict(cls, data: Any, source: str = "<dict>") -> "Ontology":
        """Build and check an ontology from its YAML/JSON form."""
        if not isinstance(data, dict):
            raise OntologyError(f"{source}: the ontology must be a mapping with keys 'roles' and 'event_types'")
        unknown = set(data) - {"roles", "event_types", "version"}
        if unknown:
            raise OntologyError(f"{source}: unknown top-level key(s) {sorted(unknown)}; allowed: roles, event_types, version")
        roles = data.get("roles")
        if not isinstance(roles, dict) or not roles:
            raise OntologyError(f"{source}: 'roles' must be a non-empty mapping of role name -> description")
        types = data.get("event_types")
        if not isinstance(types, dict) or not types:
            raise OntologyError(f"{source}: 'event_types' must be a non-empty mapping of type name -> {{description, roles}}")
        specs = []
        for name, body in types.items():
            if not isinstance(body, dict) or not isinstance(body.get("roles"), list):
                raise OntologyError(f"{source}: event_types.{name}: needs 'description' (text) and 'roles' (a list)")
            extra = set(body) - {"description", "roles"}
            if extra:
                raise OntologyError(f"{source}: event_types.{name}: unknown key(s) {sorted(extra)}; allowed: description, roles")
            for role in body["roles"]:
                if role not in roles:
                    raise OntologyError(
                        f"{source}: event_types.{name}.roles: '{role}' is not declared under 'roles' "
                        f"(declared: {', '.join(roles)})")
            if len(set(body["roles"])) != len(body["roles"]):
                raise OntologyError(f"{source}: event_types.{name}.roles: a role is listed twice")
            specs.append(EventTypeSpec(str(name), str(body.get("description", "")), tuple(body["roles"])))
        return cls(tuple(specs), tuple(roles), {str(k): str(v) for k, v in roles.items()}, str(data.get("version", "1")))

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "roles": {r: self.role_descriptions.get(r, "") for r in self.roles},
            "event_types": {t.name: {"description": t.description, "roles": list(t.roles)} for t in self.types},
        }

    @classmethod
    def load(cls, path: str | Path) -> "Ontology":
        """Read an ontology from a ``.yaml``/``.yml`` or ``.json`` file."""
        path = Path(path)
        if not path.is_file():
            raise OntologyError(f"{path}: ontology file not found")
        text = path.read_text(encoding="utf-8")
        try:
            if path.suffix == ".json":
                data = json.loads(text)
            else:
                import yaml

                data = yaml.safe_load(text)
        except Exception as exc:  # yaml and json raise different types; both mean "not parseable"
            raise OntologyError(f"{path}: not valid {path.suffix.lstrip('.') or 'YAML'}: {exc}") from None
        return cls.from_dict(data, source=str(path))
