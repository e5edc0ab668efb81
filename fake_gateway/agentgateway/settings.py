"""The agentgateway dialect's settings model: the config as agentgateway reads it, plus one `emulator:` section.

The document is agentgateway's own YAML (top-level `binds`, `gateways`, `routes`, `mcp`, `config`, ...; sheet §1),
`${VAR}` references and all; `emulator:` is the one key the emulator adds (never sent to agentgateway: remove it
before you run the file there). Loading expands the variables (process environment, then `emulator.env`) and runs
the loader the `emulator.loader` knob names (config.py); what cannot load is a pydantic ValidationError whose
message is agentgateway's own error.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from fake_gateway.agentgateway.cel_rules import compile_expression
from fake_gateway.agentgateway.config import Loaded, load
from fake_gateway.agentgateway.expand import ExpansionError, expand_text, expand_value
from fake_gateway.agentgateway.serde import SerdeError

__all__ = ["AgentGateway", "AgwEmulator", "Era"]

Era = Literal["A", "B", "C", "D"]


class AgwEmulator(BaseModel):
    """Knobs for the agentgateway dialect (sheet §0.3 eras; INFERRED defaults say so)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    era: Era = "D"
    """Behaviour era (sheet §0.3): A v0.7.4-v0.10.5, B v0.11.0-v0.12.0 (the Auth0 page's), C v1.0.x, D v1.1.0-HEAD."""
    loader: Literal["lenient", "strict"] = "lenient"
    """lenient: the old Auth0 page's three allowances, each a warning; strict: refuse as agentgateway does."""
    rewriteMetadataIssuer: bool = True
    """With a provider, AS metadata `issuer` = the gateway URL of the request (#3089: main after v1.4.1)."""
    publicUrl: str | None = None
    """Origin for PRM/challenges instead of the request's scheme and Host (a TLS proxy in front)."""
    env: dict[str, str] = Field(default_factory=dict)
    """Variables for `${VAR}` expansion, over the process environment."""
    processEnv: bool = True
    """Expand `${VAR}` from the process environment too (agentgateway does)."""
    leewaySeconds: float = Field(default=60, ge=0, le=3600)
    """exp leeway (jsonwebtoken's default 60 s, JWT10 validation.rs)."""
    jwksDefaultRefreshSeconds: float = Field(default=900, ge=1)
    """JWKS refresh without Cache-Control/Expires: 15 min (AG:src/resource_manager.rs#L21-L25)."""
    jwksMinRefreshSeconds: float = Field(default=60, ge=0)
    """Floor of a max-age refresh (AG:src/resource_manager.rs)."""
    jwksRetrySeconds: float = Field(default=15, ge=0)
    """Retry after a failed refresh; the old keys stay in use (INFERRED)."""
    jwksFetchTimeoutSeconds: float = Field(default=10, gt=0, le=300)
    """Timeout of a JWKS or AS-metadata fetch (UNKNOWN)."""
    upstreamTimeoutSeconds: float = Field(default=30, gt=0)
    """Per upstream MCP request (UNKNOWN)."""
    serverVersion: str = "1.4.1"
    """serverInfo.version of a multiplexed initialize (BuildInfo; the last release)."""
    controlPlane: bool = True
    """Serve /_authstage/ (off: those paths are routed like any other)."""
    logRecordsMax: int = Field(default=5000, ge=10)
    """Request-log records kept."""


def _error(loc: str, message: str) -> ValidationError:
    detail = InitErrorDetails(
        type=PydanticCustomError("agentgateway", "{msg}", {"msg": message}), loc=(loc,), input=None
    )
    return ValidationError.from_exception_data("AgentGateway", [detail])


class AgentGateway(BaseModel):
    """An agentgateway config document (its own keys, unvalidated by pydantic) plus `emulator`."""

    model_config = ConfigDict(extra="allow")

    emulator: AgwEmulator = Field(default_factory=AgwEmulator)

    _loaded: Loaded = PrivateAttr()

    @model_validator(mode="after")
    def _load(self) -> AgentGateway:
        knobs = self.emulator
        env = {**(os.environ if knobs.processEnv else {}), **knobs.env}
        try:
            document = expand_value(self.config_document(), env)
            self._loaded = load(document, era=knobs.era, lenient=knobs.loader == "lenient",
                                compile_cel=compile_expression)
        except ExpansionError as exc:
            raise _error("(config)", str(exc)) from None
        except SerdeError as exc:
            raise _error(exc.where, str(exc)) from None
        except ValueError as exc:
            raise _error("(config)", str(exc)) from None
        return self

    # --- loading and saving

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> AgentGateway:
        if not isinstance(document, dict):
            raise TypeError("an agentgateway config is a mapping")
        return cls.model_validate(document)

    @classmethod
    def from_text(cls, text: str, *, emulator: dict[str, Any] | None = None) -> AgentGateway:
        """A config file as agentgateway reads it: `${VAR}` expanded in the text, then YAML (JSON is YAML)."""
        knobs = AgwEmulator.model_validate(emulator or {})
        env = {**(os.environ if knobs.processEnv else {}), **knobs.env}
        try:
            data = yaml.safe_load(expand_text(text, env)) or {}
        except ExpansionError as exc:
            raise _error("(config)", str(exc)) from None
        if not isinstance(data, dict):
            raise _error("(config)", f"invalid type: {type(data).__name__}, expected struct LocalConfig")
        if emulator is not None:
            data["emulator"] = {**dict(data.get("emulator") or {}), **emulator}
        return cls.from_document(data)

    @classmethod
    def from_file(cls, path: str | Path, *, emulator: dict[str, Any] | None = None) -> AgentGateway:
        return cls.from_text(Path(path).read_text(encoding="utf-8"), emulator=emulator)

    def config_document(self) -> dict[str, Any]:
        """The agentgateway document as given (without `emulator`)."""
        document: dict[str, Any] = json.loads(json.dumps(dict(self.model_extra or {}), default=str))
        return document

    def to_document(self) -> dict[str, Any]:
        return {**self.config_document(), "emulator": self.emulator.model_dump(mode="json")}

    @property
    def loaded(self) -> Loaded:
        """The routes, policies and targets the gateway runs, and the lenient loader's warnings."""
        return self._loaded
