"""fake_idp: an Auth0-style tenant (Authentication API, Universal Login, DCR, keys, faults) on loopback."""

from __future__ import annotations

from fake_idp.app import create_app
from fake_idp.demo import demo_tenant
from fake_idp.tenant import Tenant

__all__ = ["Tenant", "create_app", "demo_tenant"]
