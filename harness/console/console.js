// The authstage browser view. Talks only to its own origin (/api/...); the console reaches the services'
// control planes server-side (docs/control-plane.md "The browser view"). No libraries, no CDN: works offline.
"use strict";

const POLL_MS = 700;
let since = "";          // the marks of the newest records seen
let viewStart = "";      // the marks the view (table, diagram) starts from
let token = "";          // the control token when the stack listens beyond loopback

const $ = (id) => document.getElementById(id);

function takeTokenFromHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (params.get("token")) {
    sessionStorage.setItem("authstage-token", params.get("token"));
    params.delete("token");
    history.replaceState(null, "", location.pathname + (params.toString() ? "#" + params : ""));
  }
  token = sessionStorage.getItem("authstage-token") || "";
}

async function api(path, body) {
  const headers = {};
  if (token) headers["X-Authstage-Token"] = token;
  const init = {headers, cache: "no-store"};
  if (body !== undefined) {
    init.method = "POST";
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const type = response.headers.get("content-type") || "";
  const data = type.includes("json") ? await response.json() : await response.text();
  if (!response.ok) {
    const detail = data && data.detail ? data.detail.map((d) => d.msg).join("; ") : String(data);
    throw new Error(`${response.status}: ${detail}`);
  }
  return data;
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, value);
  for (const child of children) node.append(child);
  return node;
}

function time(seconds) {
  return new Date(seconds * 1000).toISOString().slice(11, 23);
}

function rpcMethod(record) {
  const body = (record.request || {}).body;
  if (body && typeof body === "object" && body.method) return " " + body.method;
  if (body && typeof body === "object" && body.grant_type) return " " + body.grant_type;
  return "";
}

function addRecords(records) {
  const body = $("requests").tBodies[0];
  for (const record of records) {
    const refused = record.status >= 400;
    const why = el("td", {class: "why"});
    if (refused && record.reason) why.append(record.reason);
    if (refused && record.fix) why.append(el("span", {class: "fix"}, "fix: " + record.fix));
    const row = el("tr", {class: (refused ? "refused " : "") + "new", "data-service": record.service,
                          "data-status": String(record.status)},
      el("td", {}, time(record.time)), el("td", {}, record.service),
      el("td", {}, `${record.method} ${record.path}${rpcMethod(record)}`),
      el("td", {class: "status"}, String(record.status)), why);
    body.prepend(row);
  }
  while (body.rows.length > 400) body.deleteRow(body.rows.length - 1);
}

async function refreshDiagram() {
  const svg = await api("/api/diagram?since=" + encodeURIComponent(viewStart));
  $("diagram").innerHTML = svg;  // our own SVG: every label escaped server-side
}

async function poll() {
  try {
    const answer = await api("/api/events?since=" + encodeURIComponent(since));
    since = answer.next;
    if (answer.records.length) {
      addRecords(answer.records);
      await refreshDiagram();
    }
    $("status").textContent = "live · " + new Date().toLocaleTimeString();
  } catch (error) {
    $("status").textContent = "not connected: " + error.message +
      (String(error.message).startsWith("401") ? " — open the URL `authstage up` printed (it carries #token=…)" : "");
  }
  setTimeout(poll, POLL_MS);
}

async function loadState() {
  const state = await api("/api/state");
  const m = state.manifest;
  const users = Object.entries(m.users).map(([email, u]) => `${email} / ${u.password}`).join(", ");
  const clients = Object.entries(m.clients).map(([name, c]) =>
    `${name}: ${c.client_id} (${c.token_endpoint_auth_method || "?"})`).join("\n");
  const clock = state.clocks.gateway;
  $("summary").replaceChildren(
    el("p", {}, "IdP ", el("code", {}, m.idp.issuer), " · gateway ", el("code", {}, m.gateway.mcp_url)),
    el("p", {}, "Users: " + users),
    el("pre", {}, clients),
    el("p", {id: "gateway-clock"}, `Gateway clock: ${new Date(clock.now * 1000).toISOString()}` +
       (clock.offset ? ` (offset ${clock.offset} s)` : "") + (clock.frozen ? " (frozen)" : "")));
  for (const service of ["idp", "gateway", "mcp"]) {
    $("config-" + service).textContent = JSON.stringify(state.configs[service], null, 2);
  }
  const knobs = $("knobs");
  knobs.replaceChildren(...state.knobs.map((knob) =>
    el("button", {"data-action": "knob", "data-knob": knob.id, title: knob.label}, knob.label)));
  return state;
}

function checkRow(check) {
  const mark = check.passed === true ? "PASS" : check.passed === false ? "FAIL" : "skip";
  const cls = mark.toLowerCase();
  const why = el("td", {}, check.reason || "");
  if (check.passed === false && check.fix) why.append(el("span", {class: "fix"}, "fix: " + check.fix));
  return el("tr", {class: "check-" + cls}, el("td", {class: cls}, mark), el("td", {}, check.name), why);
}

function claimsTable(claims) {
  const rows = Object.entries(claims || {}).map(([key, value]) => {
    let shown = JSON.stringify(value);
    if (["iat", "exp", "nbf", "auth_time"].includes(key) && typeof value === "number") {
      shown += "  (" + new Date(value * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC)";
    }
    return el("tr", {}, el("td", {}, key), el("td", {}, shown));
  });
  return el("table", {class: "claims"}, ...rows);
}

async function explain() {
  const out = $("explained");
  out.replaceChildren("explaining…");
  try {
    const answer = await api("/api/explain", {token: $("token-input").value});
    const decoded = answer.decoded;
    const clock = new Date(answer.gateway_clock.now * 1000).toISOString();
    const failed = answer.checks.filter((c) => c.passed === false).map((c) => c.name);
    out.replaceChildren(
      el("p", {class: failed.length ? "fail" : "pass", id: "verdict"},
         failed.length ? "Rejected by " + failed.join(", ") : "Accepted by the gateway"),
      el("p", {class: "muted"}, `kind ${decoded.kind} · on the gateway's clock ${clock}`),
      el("table", {class: "checks"}, ...answer.checks.map(checkRow)),
      el("h3", {}, "Header"), el("pre", {}, JSON.stringify(decoded.header || {}, null, 2)),
      el("h3", {}, "Claims"), claimsTable(decoded.claims));
  } catch (error) {
    out.replaceChildren(el("p", {class: "fail"}, error.message));
  }
}

async function fault(button) {
  const action = button.dataset.action;
  const body = {action};
  if (action === "rotate_keys") body.revoke_previous = button.dataset.revoke === "true";
  if (action === "clock") body.advance = Number(button.dataset.advance);
  if (action === "knob") body.knob = button.dataset.knob;
  try {
    await api("/api/fault", body);
    $("fault-result").textContent = `${button.textContent}: done`;
    await loadState();
  } catch (error) {
    $("fault-result").textContent = `${button.textContent}: ${error.message}`;
  }
}

async function patch() {
  try {
    const body = JSON.parse($("patch-body").value);
    await api("/api/fault", {action: "patch", service: $("patch-service").value, patch: body});
    $("fault-result").textContent = "patch applied";
    await loadState();
  } catch (error) {
    $("fault-result").textContent = "patch refused: " + error.message;
  }
}

async function login() {
  $("login-result").hidden = false;
  $("login-result").className = "";
  $("login-result").textContent = "starting the MCP SDK's OAuth client…";
  try {
    const flow = await api("/api/login", {});
    if (flow.authorize_url) {
      location.assign(flow.authorize_url);  // the IdP's real login and consent pages
      return;
    }
    showLogin(flow);
  } catch (error) {
    $("login-result").textContent = "login could not start: " + error.message;
  }
}

function showLogin(flow) {
  const box = $("login-result");
  box.hidden = false;
  const outcome = flow.outcome || {};
  if (outcome.ok) {
    box.className = "ok";
    box.textContent = `Logged in: tools/list gave ${outcome.tools.length} tools and search answered.`;
  } else {
    box.className = "bad";
    const refusal = outcome.refusal;
    box.textContent = "Refused: " + (refusal
      ? `the gateway answered ${refusal.status}: ${refusal.reason}` + (refusal.fix ? ` — fix: ${refusal.fix}` : "")
      : (outcome.error || "the login did not finish")) + (refusal ? ` (the client said: ${outcome.error})` : "");
  }
  if (flow.access_token) {
    $("token-input").value = flow.access_token;
    box.append(" ", el("button", {id: "explain-login"}, "Explain its token"));
    $("explain-login").addEventListener("click", explain);
  }
}

async function loginFromHash() {
  const id = new URLSearchParams(location.hash.slice(1)).get("login");
  if (!id) return;
  try {
    showLogin(await api("/api/logins/" + encodeURIComponent(id)));
  } catch (error) {
    $("login-result").hidden = false;
    $("login-result").textContent = error.message;
  }
}

async function save() {
  const html = await api("/api/trace.html?since=" + encodeURIComponent(viewStart));
  const link = el("a", {href: URL.createObjectURL(new Blob([html], {type: "text/html"})),
                        download: "authstage-trace.html"});
  link.click();
}

function wire() {
  $("explain").addEventListener("click", explain);
  $("login").addEventListener("click", login);
  $("patch").addEventListener("click", patch);
  $("save").addEventListener("click", save);
  $("projector").addEventListener("click", () => document.body.classList.toggle("projector"));
  $("clear").addEventListener("click", () => {
    viewStart = since;
    $("requests").tBodies[0].replaceChildren();
    $("diagram").replaceChildren();
  });
  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action]");
    if (button) fault(button);
  });
}

window.addEventListener("DOMContentLoaded", async () => {
  takeTokenFromHash();
  wire();
  try {
    await loadState();
  } catch (error) {
    $("status").textContent = "not connected: " + error.message;
  }
  await loginFromHash();
  poll();
});
