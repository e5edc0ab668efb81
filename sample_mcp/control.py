"""The sample server's control-plane state (`/_authstage/`, the kernel's contract in docs/control-plane.md).

`SampleControl` is the kernel's `ServiceControl` over `SampleSettings`: a new config rebuilds the transport
security lists and the token verifier (`on_change`); nothing else is specific to this service.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from authstage_kit.access import Access
from authstage_kit.control import ServiceControl
from sample_mcp.settings import SampleSettings

__all__ = ["SampleControl"]


class SampleControl(ServiceControl[SampleSettings]):
    """Config, clock and request log of one running sample server."""

    service = "mcp"

    def __init__(
        self,
        settings: SampleSettings,
        *,
        on_change: Callable[[SampleSettings], None],
        access: Access | None = None,
    ) -> None:
        self._on_change = on_change
        super().__init__(settings, access=access, max_records=5000)

    def validate(self, document: dict[str, Any]) -> SampleSettings:
        return SampleSettings.model_validate(document)

    def enabled(self) -> bool:
        return self.config.control_plane

    def reason_header(self) -> bool:
        return self.config.reason_header

    def installed(self, old: SampleSettings | None, new: SampleSettings) -> None:
        self._on_change(new)
