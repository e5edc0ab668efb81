"""The stack: fake IdP + fake gateway + sample MCP server, wired as the real thing, on loopback.

Wiring of the demo default (ARCHITECTURE.md "The stack file and the manifest"): the IdP tenant has an API whose
identifier is the gateway's resource URL (`<gateway>/mcp`); the gateway's `discoveryUrl` points at the IdP and
its `allowedAudience` is that resource URL; its one MCP server target `search-server` is the sample server,
reached with the gateway's own client-credentials token for the sample server's audience (`<mcp>/mcp`), which
the sample server verifies itself. Every control call goes over HTTP (`/_authstage/`), so an in-process stack
and a subprocess stack (`ProcessStack`) behave the same.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from authstage_kit import keypool
from authstage_kit.access import TOKEN_HEADER, Access
from authstage_kit.control import reset_service
from authstage_kit.merge import merge_patch
from authstage_kit.runner import LOOPBACK, ServerThread, bind_socket, url_of, warn_if_exposed
from authstage_kit.tls import LOOPBACK_NAMES, StackTls, client_context, trust, untrust
from harness._config import (
    SECTIONS,
    StackFile,
    compose_section,
    gateway_config,
    render,
    stack_variables,
    tenant_variables,
)
from harness._exceptions import AuthstageError, ConfigError, ServerStartError
from harness._manifest import build_manifest, token_request
from harness._paste import IssuerPaths, dialect_of, is_paste, paste_gateway
from harness._public import check_public_url, reachable_url

if TYPE_CHECKING:
    from mcp import ClientSession

CURL_VERSION = "2025-11-25"  # the newest MCP version whose requests need no `_meta` envelope (Stack.first_call)

__all__ = ["ProcessStack", "Service", "Stack"]

DEFAULT_CLIENT = "demo-m2m"
REASON_HEADER_KNOBS = {"idp": {"emulator": {"reason_header": True}}, "gateway": {"emulator": {"reasonHeader": True}},
                       "mcp": {"reason_header": True}}


class Service:
    """One running service as the stack sees it: its URLs and its control plane."""

    def __init__(self, name: str, url: str, stack: Stack, **urls: str) -> None:
        self.name = name
        self.url = url
        self._stack = stack
        self.urls = urls
        self.server: ServerThread | None = None
        self.app: Any = None

    def __getattr__(self, item: str) -> str:
        urls: dict[str, str] = self.__dict__.get("urls", {})
        if item in urls:
            return urls[item]
        raise AttributeError(item)

    def __repr__(self) -> str:
        return f"<Service {self.name} {self.url}>"

    # -- control plane ----------------------------------------------------------------------------------------
    def _control(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """One control-plane call: JSON in (the CSRF guard asks for it), the stack's token when it has one."""
        if method in ("POST", "PUT", "PATCH") and "json" not in kwargs:
            kwargs["json"] = {}
        headers = {TOKEN_HEADER: self._stack.access.token} if self._stack.access.token else {}
        response = self._stack.http.request(method, f"{self.url}/_authstage/{path}", headers=headers, **kwargs)
        if response.status_code >= 400:
            raise ConfigError(f"{self.name}: {method} /_authstage/{path} -> {response.status_code}: {response.text[:500]}")
        return response

    def _document(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        document: dict[str, Any] = self._control(method, path, **kwargs).json()
        return document

    def config(self) -> dict[str, Any]:
        return self._document("GET", "config")

    def patch(self, patch: dict[str, Any]) -> dict[str, Any]:
        return self._document("PATCH", "config", json=patch)

    def put(self, document: dict[str, Any]) -> dict[str, Any]:
        return self._document("PUT", "config", json=document)

    def reset(self) -> None:
        """Back to the start config; an in-process service is reset on its own event loop, without a request."""
        if self.app is not None and self.server is not None and self._stack.control_plane:
            self.server.call(reset_service(self.app.state.control))
            return
        self._control("POST", "reset")

    def clock(self, **body: Any) -> dict[str, Any]:
        return self._document("POST", "clock", json=body)

    def log(self, since: int = 0) -> list[dict[str, Any]]:
        """The service's request records after `since` (an in-process service's are read in place, as copies)."""
        control = self.app.state.control if self.app is not None and self._stack.control_plane else None
        if control is not None:
            copied: list[dict[str, Any]] = json.loads(json.dumps(control.records(since)))
            return copied
        records: list[dict[str, Any]] = self._document("GET", "log", params={"since": since})["records"]
        return records


class Stack:
    """The three services in this process (uvicorn in background threads) on free loopback ports.

    ``config`` is a stack file (path, dict with sections ``idp``/``gateway``/``mcp``, or `StackFile`); every
    section is deep-merged over the demo default. ``port_base`` fixes the ports (IdP, gateway, MCP server =
    N, N+1, N+2); by default the kernel picks free ones. ``host`` is the interface the IdP and the gateway bind
    (the MCP server, reached only by the gateway, stays on loopback); ``public_url`` (``http://HOST``) is the
    name other machines reach them by: every URL of the stack (issuer, resource, discovery) uses it, each service
    on its own port, and the control planes answer to it (with the control token). ``tls=True``
    serves every service over HTTPS with a CA made for this stack, at ``https://localhost:<port>`` (``tls`` holds its
    files; the manifest's ``env`` the lines to export).
    """

    def __init__(
        self,
        config: StackFile | dict[str, Any] | str | Path | None = None,
        *,
        host: str = LOOPBACK,
        port_base: int | None = None,
        control_plane: bool = True,
        gateway: str | None = None,
        public_url: str | None = None,
        reason_header: bool = False,
        gateway_files: dict[str, Any] | list[str] | str | None = None,
        tls: bool = False,
    ) -> None:
        self.stack_file = _as_stack_file(config)
        if gateway_files:  # `authstage up --gateway-config FILE`: as the stack file's `gateway-config:` key
            self.stack_file.gateway_config = gateway_config(gateway_files, "<command line>")
        # which gateway runs: --gateway, else the stack file's `dialect:`, else the AgentCore demo
        # (or what the gateway document is: agentgateway's top-level keys in a --gateway-config file or `gateway:`)
        said = dialect_of(self.stack_file)
        if gateway and said and gateway != said:
            raise ConfigError(f"--gateway {gateway}, but the gateway config is an {said} document", key="gateway")
        self.dialect = gateway or self.stack_file.dialect or said or "agentcore"
        self.use_tls = tls
        self.tls: StackTls | None = None
        self.host = host
        self.port_base = port_base
        self.control_plane = control_plane
        self.public_url = check_public_url(public_url) if public_url else None
        self.reason_header = reason_header
        self.access = Access.for_bind(host, public_urls=(self.public_url,) if self.public_url else ())
        self._http: httpx.Client | None = None
        self.idp: Service
        self.gateway: Service
        self.mcp: Service
        self.variables: dict[str, str] = {}
        self.documents: dict[str, dict[str, Any]] = {}
        self.start_documents: dict[str, dict[str, Any]] = {}  # what the services were built with (a reset's)
        self.defaults: dict[str, dict[str, Any]] = {}
        self._unsubscribe: list[Callable[[], None]] = []
        self.started = False
        self.console_server: ServerThread | None = None  # the browser view, when harness._console started one
        self.paste_notices: list[Any] = []  # what a pasted gateway config converted and mapped
        self._issuer_path: str | None = None
        self._idp_alias: IssuerPaths | None = None

    # -- lifecycle ----------------------------------------------------------------------------------------------
    def start(self, timeout: float = 20.0) -> Stack:
        keypool.prepare()  # the IdP's two keys generate on another core while the services are imported
        from harness._demo import build_apps, demo_documents

        warn_if_exposed(self.host, "authstage")
        ports = [0, 0, 0] if self.port_base is None else [self.port_base + i for i in range(3)]
        sockets = []
        try:
            for port, host in zip(ports, (self.host, self.host, LOOPBACK), strict=True):
                sockets.append(bind_socket(host, port))
            urls = [reachable_url(sock, self.public_url) for sock in sockets[:2]] + [url_of(sockets[2])]
            if self.use_tls:
                self.tls = _start_tls(self.host, self.public_url)
                urls = [_https(url) for url in urls]
            self.variables = stack_variables(*urls)
            self.defaults = demo_documents(self.variables, self.dialect)
            self.variables |= tenant_variables(self.defaults["idp"])
            self.documents = self._compose(self.stack_file)
            self.start_documents = self.documents
            apps = build_apps(self.documents, self.variables, control_plane=self.control_plane, access=self.access)
            self._idp_alias = apps["idp"] = IssuerPaths(apps["idp"])
            self._idp_alias.prefixes = {self._issuer_path} if self._issuer_path else set()
        except BaseException:
            for sock in sockets:
                sock.close()
            self._stop_tls()
            raise
        self._attach(urls)
        servers = []
        for service, sock, name in zip((self.idp, self.mcp, self.gateway), (sockets[0], sockets[2], sockets[1]),
                                       ("idp", "mcp", "gateway"), strict=True):
            service.app = apps[name]
            service.server = ServerThread(apps[name], sock=sock, name=f"authstage-{name}",
                                          ssl=self.tls.server_options() if self.tls else None)
            servers.append(service.server)
        try:
            for server in servers:
                server.launch()
            for server in servers:
                server.wait_ready(timeout)
        except ServerStartError:
            self.stop()
            raise
        self._settle(timeout)
        self.started = True
        return self

    def _settle(self, timeout: float) -> None:
        """Ready means quiet: the gateway's start-up target sync (its own calls to the IdP and the MCP server) has
        ended, so the first request a user or a scenario makes is not interleaved with it."""
        settled = getattr(getattr(self.gateway.app, "state", None), "backend", None)
        if settled is not None and hasattr(settled, "settled"):
            settled.settled.wait(timeout)

    def _attach(self, urls: list[str]) -> None:
        variables = self.variables
        self.idp = Service(
            "idp",
            urls[0],
            self,
            issuer=variables["idp.issuer"],
            discovery_url=variables["idp.discovery_url"],
            token_endpoint=variables["idp.token_endpoint"],
            jwks_uri=variables["idp.jwks_uri"],
            authorization_endpoint=urls[0] + "/authorize",
            registration_endpoint=urls[0] + "/oidc/register",
        )
        # agentgateway serves the PRM of /mcp at its path-suffixed URL (sheet §3.3)
        prm_url = variables["gateway.prm_url"] + ("/mcp" if self.dialect == "agentgateway" else "")
        self.gateway = Service("gateway", urls[1], self, mcp_url=variables["gateway.mcp_url"], prm_url=prm_url)
        self.mcp = Service("mcp", urls[2], self, mcp_url=variables["mcp.mcp_url"])

    def _compose(self, stack_file: StackFile) -> dict[str, dict[str, Any]]:
        # Paste or merge (issue 11, harness/_paste.py): a gateway *document* is taken as written and pointed at
        # the local stack; any other `gateway:` section is an overlay, merged over the demo gateway (named lists
        # by identity, layer after layer: harness/_sections.py).
        paste = is_paste(stack_file)
        names = [name for name in SECTIONS if not (paste and name == "gateway")]
        layers = [{name: render(layer[name], self.variables, where=name) for name in names}
                  for layer in stack_file.layers]
        documents = {name: compose_section(name, self.defaults[name], [layer[name] for layer in layers])
                     for name in names}
        pasted = paste_gateway(stack_file, documents, self.variables) if paste else None
        if pasted is not None:
            documents.update(gateway=pasted.gateway, idp=pasted.idp, mcp=pasted.mcp)
        self.paste_notices = pasted.notices if pasted is not None else []
        self._issuer_path = pasted.issuer_path if pasted is not None else None
        if self._idp_alias is not None:
            self._idp_alias.prefixes = {self._issuer_path} if self._issuer_path else set()
        idp = [layer["idp"] for layer in layers]
        if any("clients" in patch for patch in idp) and not any("client_grants" in patch for patch in idp):
            documents["idp"] = _keep_grants_of_kept_clients(documents["idp"])
        if self.reason_header:  # `authstage up --reason-header`: each service's own knob
            for name, knob in REASON_HEADER_KNOBS.items():
                documents[name] = merge_patch(documents[name], knob)
        return documents

    def stop(self) -> None:
        if self.console_server is not None:
            self.console_server.stop()
            self.console_server = None
        for unsubscribe in self._unsubscribe:
            with contextlib.suppress(ValueError):
                unsubscribe()
        self._unsubscribe.clear()
        if self._http is not None:
            self._http.close()
            self._http = None
        servers = [service.server for service in (getattr(self, name, None) for name in ("gateway", "mcp", "idp"))
                   if service is not None and service.server is not None]
        for server in servers:  # all at once: the three shut down together
            server.request_stop()
        for server in servers:
            server.stop()
        self._stop_tls()
        self.started = False

    def _stop_tls(self) -> None:
        if self.tls is not None:
            untrust(self.tls.ca_file)
            self.tls.remove()
            self.tls = None

    def __enter__(self) -> Stack:
        return self.start() if not self.started else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def services(self) -> tuple[Service, Service, Service]:
        return (self.idp, self.gateway, self.mcp)

    # -- what users read ----------------------------------------------------------------------------------------
    @property
    def http(self) -> httpx.Client:
        """A plain httpx client (no auth, no redirects followed) for raw requests against any service."""
        if self._http is None:
            self._http = httpx.Client(timeout=30.0, follow_redirects=False, trust_env=False, verify=client_context())
        return self._http

    @property
    def manifest(self) -> dict[str, Any]:
        """URLs, issuer, demo clients and users with credentials: what `authstage up --json` prints."""
        services = {service.name: {"url": service.url, **service.urls} for service in self.services}
        loaded = getattr(self._gateway_config(), "loaded", None)  # an agentgateway config: its own MCP routes
        if loaded is not None:
            from fake_gateway.agentgateway.config import mcp_paths

            path, url = mcp_paths(loaded)[0], services["gateway"]["url"]
            services["gateway"] |= {"mcp_url": url + path, "prm_url": f"{url}/.well-known/oauth-protected-resource{path}"}
        tls = _tls_files(self.tls)
        region = str(self.documents.get("gateway", {}).get("emulator", {}).get("region", "us-east-1"))
        manifest = build_manifest(self.documents.get("idp", {}), services, control_token=self.access.token,
                                  gateway_notices=self.gateway_notices(), sample_targets=self.sample_targets(),
                                  first_call=self.first_call(),
                                  tls=tls, region=region,
                                  aws=self.dialect == "agentcore")
        if self.console_server is not None:
            manifest["console"] = {"url": self.console_server.url}
        return manifest

    def _gateway_config(self) -> Any:
        control = getattr(getattr(self.gateway, "app", None), "state", None)
        return control.control.config if control is not None and hasattr(control, "control") else None

    def sample_targets(self) -> list[str] | None:
        """The running AgentCore gateway's targets the sample server serves (their endpoint is its URL); None for a
        dialect without AgentCore targets. The summary says what the sample server is to the gateway from this."""
        view = getattr(self._gateway_config(), "view", None)
        if view is None:
            return None
        sample = self.mcp.urls["mcp_url"].rstrip("/")
        return [t.name for t in view.targets if t.endpoint and t.endpoint.rstrip("/") == sample]

    def first_call(self) -> dict[str, str] | None:
        """What a first call to the running AgentCore gateway needs, from its own config: the client its
        `allowedClients` names (else demo-m2m), the audience its `allowedAudience` names first (else its MCP URL) and
        the newest protocol version it supports up to 2025-11-25 (a later one needs the per-request `_meta` envelope
        a plain curl line does not carry); for agentgateway, the audience its first MCP route's mcpAuthentication
        names. None when the gateway's config is not known."""
        config = self._gateway_config()
        loaded = getattr(config, "loaded", None)
        if loaded is not None:  # agentgateway: the audience its first MCP route's mcpAuthentication names
            authn = next((r.authentication for r in loaded.routes if r.backend and r.authentication), None)
            return {"client": "demo-m2m", "protocol_version": CURL_VERSION,
                    **({"audience": authn.audiences[0]} if authn and authn.audiences else {})}
        view = getattr(config, "view", None)
        if view is None:
            return None
        jwt = view.jwt
        by_id = {c.get("client_id"): c.get("name") for c in self.documents.get("idp", {}).get("clients", [])}
        client = next((by_id[c] for c in (jwt.clients or ()) if c in by_id), None) if jwt else None
        stable = [v for v in view.mcp.versions if v <= CURL_VERSION]
        version = max(stable) if stable else min(view.mcp.versions, default=CURL_VERSION)
        call = {"client": client or "demo-m2m", "protocol_version": version}
        if jwt and jwt.audiences:
            call["audience"] = jwt.audiences[0]
        return call

    def gateway_notices(self) -> list[dict[str, str]]:
        """What loading the gateway config converted, mapped, ignored or warns about (nothing silently)."""
        running = getattr(self._gateway_config(), "notices", [])  # AgentCore documents have notices; agentgateway configs warn apart
        return [n.to_dict() for n in [*self.paste_notices, *running]]

    def log(self) -> list[dict[str, Any]]:
        """Every request every service served, in time order (secrets redacted)."""
        records = [record for service in self.services for record in service.log()]
        return sorted(records, key=lambda r: (r["time"], r["service"], r["seq"]))

    # -- changing it at runtime ---------------------------------------------------------------------------------
    def patch(self, *, idp: dict[str, Any] | None = None, gateway: dict[str, Any] | None = None,
              mcp: dict[str, Any] | None = None) -> None:
        """Merge-patch the running services' configs (`${...}` variables allowed)."""
        for service, patch in ((self.idp, idp), (self.gateway, gateway), (self.mcp, mcp)):
            if patch:
                service.patch(render(patch, self.variables, where=service.name))

    def reset(self) -> None:
        """Every service back to the config it started with; runtime state and logs cleared; clocks real."""
        for service in self.services:
            service.reset()

    def apply(self, stack_file: StackFile) -> None:
        """Reset, then run with `stack_file`'s sections merged over the demo default (not over the start config)."""
        dialect = stack_file.dialect or dialect_of(stack_file) or "agentcore"
        if dialect != self.dialect:
            raise AuthstageError(f"{stack_file.source} is for the {dialect} gateway; this stack runs {self.dialect}")
        documents = self._compose(stack_file)
        self.reset()
        for service in (self.idp, self.mcp, self.gateway):
            if documents[service.name] != self.start_documents.get(service.name):  # else the reset put it back
                service.put(documents[service.name])
        self.documents = documents  # the manifest names what runs now (a pasted gateway's clients)

    def clock(self, **body: Any) -> dict[str, Any]:
        """Move every service's clock together: freeze=, at=, advance=, offset=."""
        states = [service.clock(**body) for service in self.services]
        return states[0]

    def rotate_keys(self, *, revoke_previous: bool = False) -> dict[str, Any]:
        rotated: dict[str, Any] = self.idp._control("POST", "keys/rotate").json()
        if revoke_previous:
            self.idp._control("POST", "keys/revoke")
        return rotated

    def subscribe(self, callback: Callable[[dict[str, Any]], None]) -> None:
        """Call `callback(record)` for every request any service serves (in-process stacks only)."""
        for service in self.services:
            if service.app is None:
                raise AuthstageError("subscribe() needs an in-process stack")
            self._unsubscribe.append(service.app.state.control.subscribe(callback))

    # -- clients --------------------------------------------------------------------------------------------------
    def client(self, name: str = DEFAULT_CLIENT) -> dict[str, Any]:
        clients = self.manifest["clients"]
        if name not in clients:
            raise AuthstageError(f"no client named {name!r}; the stack has {', '.join(clients)}")
        client: dict[str, Any] = clients[name]
        return client

    def token_response(
        self,
        client: str = DEFAULT_CLIENT,
        *,
        audience: str | None = None,
        resource: str | None = None,
        scope: str | None = None,
        grant_type: str = "client_credentials",
        **params: str,
    ) -> httpx.Response:
        """POST the IdP's token endpoint as `client` (its secret from the manifest)."""
        request = token_request(self.manifest, client, audience=audience, resource=resource, scope=scope,
                                grant_type=grant_type, **params)
        if request.auth is not None:
            return self.http.post(request.url, data=request.data, auth=request.auth)
        return self.http.post(request.url, data=request.data)

    def token(self, client: str = DEFAULT_CLIENT, **kwargs: Any) -> str:
        """An access token for `client` (default: the demo M2M client, audience = the gateway)."""
        response = self.token_response(client, **kwargs)
        if response.status_code != 200:
            raise AuthstageError(f"token request for {client!r} failed: {response.status_code} {response.text}")
        token: str = response.json()["access_token"]
        return token

    @contextlib.asynccontextmanager
    async def mcp_client(
        self,
        *,
        token: str | None = None,
        oauth: bool = False,
        username: str | None = None,
        url: str | None = None,
        scope: str | None = None,
    ) -> AsyncIterator[ClientSession]:
        """A connected `mcp` SDK client session through the gateway.

        ``token=`` sends that bearer token; ``oauth=True`` lets the SDK's `OAuthClientProvider` do the whole
        dance headlessly (PRM → AS metadata → DCR → PKCE authorize as `username` → token with `resource`).
        With neither, a client-credentials token of the demo M2M client is used.
        """
        from harness._clients import connect, oauth_provider

        target = url or self.gateway.mcp_url
        if oauth:
            user = username or self.manifest["default_user"]
            password = self.manifest["users"].get(user, {}).get("password")
            auth = oauth_provider(target, username=user, password=password, scope=scope)
            async with connect(target, auth=auth) as session:
                yield session
            return
        async with connect(target, token=token if token is not None else self.token()) as session:
            yield session


class ProcessStack(Stack):
    """The same stack in a child process (`python -m harness up --json`): for tests that want it out of process.

    The child's first stdout line is the manifest; everything else goes over HTTP exactly as in-process.
    """

    def __init__(self, config: str | Path | None = None, *, port_base: int | None = None,
                 env: dict[str, str] | None = None) -> None:
        super().__init__(None, port_base=port_base)
        self.config_path = str(config) if config else None
        self.env = env
        self.process: subprocess.Popen[str] | None = None
        self._manifest: dict[str, Any] | None = None
        self._trusted_ca: str | None = None

    def command(self) -> list[str]:
        command = [sys.executable, "-m", "harness", "up", "--json", "--quiet"]
        if self.config_path:
            command += ["--config", self.config_path]
        if self.port_base is not None:
            command += ["--port-base", str(self.port_base)]
        return command

    def start(self, timeout: float = 30.0) -> ProcessStack:
        self.process = subprocess.Popen(
            self.command(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(self.env or {})},
        )
        line = _readline(self.process, timeout)
        self.attach_manifest(json.loads(line))
        return self

    def attach_manifest(self, manifest: dict[str, Any]) -> ProcessStack:
        """Drive an already running stack from its manifest (the `authstage up --json` line)."""
        self._manifest = manifest
        self.access = Access(token=manifest.get("control_token"))
        if manifest.get("tls"):  # the child's stack CA: this process's clients (`http`, mcp_client) trust it
            self._trusted_ca = str(manifest["tls"]["ca_file"])
            trust(self._trusted_ca)
        services = manifest["services"]
        self.variables = stack_variables(services["idp"]["url"], services["gateway"]["url"], services["mcp"]["url"])
        self._attach([services["idp"]["url"], services["gateway"]["url"], services["mcp"]["url"]])
        self.started = True
        return self

    @property
    def manifest(self) -> dict[str, Any]:
        assert self._manifest is not None, "start() first"
        return self._manifest

    def apply(self, stack_file: StackFile) -> None:
        raise AuthstageError("apply() needs an in-process stack; use patch() on a process stack")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        if self.process is not None:
            for stream in (self.process.stdout, self.process.stderr):
                if stream:
                    stream.close()
        self.process = None
        if self._trusted_ca:
            untrust(self._trusted_ca)
            self._trusted_ca = None
        super().stop()


def _start_tls(host: str, public_url: str | None) -> StackTls:
    """The stack's CA and certificate (loopback names, the bind host, the public name), trusted by this process's
    emulators."""
    names = [*LOOPBACK_NAMES, host.strip("[]")]
    if public_url and urlsplit(public_url).hostname:
        names.append(str(urlsplit(public_url).hostname))
    tls = StackTls.create(tuple(n for n in dict.fromkeys(names) if n not in ("0.0.0.0", "::")))
    trust(tls.ca_file)
    return tls


def _https(url: str) -> str:
    """`http://127.0.0.1:N` -> `https://localhost:N`: the host name Auth0's SDKs accept in a domain."""
    parts = urlsplit(url)
    host = "localhost" if parts.hostname in ("127.0.0.1", "localhost") else parts.netloc.rsplit(":", 1)[0]
    return f"https://{host}:{parts.port}"


def _tls_files(tls: StackTls | None) -> dict[str, str] | None:
    if tls is None:
        return None
    return {"ca_file": str(tls.ca_file), "bundle_file": str(tls.bundle_file),
            "client_cert_file": str(tls.client_cert_file), "client_key_file": str(tls.client_key_file)}


def _keep_grants_of_kept_clients(tenant: dict[str, Any]) -> dict[str, Any]:
    """A stack file that changes `clients` (replaces the list, or deletes a demo client) but not `client_grants`:
    the demo grants of clients it dropped go too, so the tenant still loads."""
    kept = {c.get("client_id") for c in tenant.get("clients", []) if isinstance(c, dict)}
    grants = [g for g in tenant.get("client_grants", []) if not isinstance(g, dict) or not g.get("client_id")
              or g["client_id"] in kept]
    return {**tenant, "client_grants": grants}


def _readline(process: subprocess.Popen[str], timeout: float) -> str:
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(process.stdout.readline() if process.stdout else ""))
    reader.start()
    reader.join(timeout)
    if not box or not box[0].strip():
        process.kill()
        stderr = process.stderr.read() if process.stderr else ""
        raise ServerStartError(f"authstage up did not print its manifest within {timeout:.0f}s: {stderr[-2000:]}")
    return box[0]


def _as_stack_file(config: StackFile | dict[str, Any] | str | Path | None) -> StackFile:
    if config is None:
        return StackFile()
    if isinstance(config, StackFile):
        return config
    if isinstance(config, dict):
        return StackFile.from_dict(config)
    return StackFile.load(config)
