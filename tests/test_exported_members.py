"""The public surfaces are pinned: adding or removing a name is a deliberate change."""

from __future__ import annotations

import fake_gateway
import fake_idp
import harness
import sample_mcp


def test_harness_surface() -> None:
    assert harness.__all__ == sorted(harness.__all__)
    assert harness.__all__ == [
        "AuthstageError", "BrowserResult", "ConfigError", "HeadlessBrowser", "MemoryTokenStorage", "ProcessStack",
        "ScenarioLoadError", "ScenarioMismatch", "ScenarioStepError", "ServerStartError", "ServerThread", "Service",
        "Stack", "StackFile", "bind_socket", "connect", "deep_merge", "is_loopback", "oauth_provider",
    ]  # fmt: skip
    for name in harness.__all__:  # the harness's own names read as `harness.X`; the kernel's keep their module
        module = getattr(harness, name).__module__
        assert module == "harness" or module.startswith("authstage_kit."), (name, module)


def test_service_surfaces() -> None:
    assert fake_idp.__all__ == ["Tenant", "create_app", "demo_tenant"]
    assert fake_gateway.__all__ == ["Check", "Gateway", "create_app", "demo_gateway", "explain_token"]
    assert sample_mcp.__all__ == ["SampleAuth", "SampleSettings", "create_app"]
