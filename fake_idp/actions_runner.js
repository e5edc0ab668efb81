'use strict';
// authstage: runs one Auth0 Action (a user's own JavaScript) in a Node subprocess (fake_idp/actions_node.py).
//
// stdin: one JSON document {source, filename, handler, trigger, event, schema, methods, notEmulated, cache, now,
// check}. stdout: one JSON line {calls, logs, cacheWrites, error}. The Action gets `event` and `api` objects of
// Auth0's shape (the subset fake_idp/actions.py describes); a member outside it throws a TypeError that names
// what Auth0 documents. There is no network (every socket, DNS lookup and fetch throws) and, where Node has the
// permission model, no child processes, workers or file writes. The Python side enforces the time limit.

const fs = require('fs');
const util = require('util');
const Module = require('module');

const out = process.stdout.write.bind(process.stdout);
const input = JSON.parse(fs.readFileSync(0, 'utf8'));
const logs = [];
const calls = [];
const cacheWrites = [];
let finished = false;

function finish(error) {
  if (finished) return;
  finished = true;
  out(JSON.stringify({ calls, logs, cacheWrites, error }) + '\n');
}

function errorOf(e) {
  if (e && typeof e === 'object') {
    return { name: String(e.name || 'Error'), message: String(e.message || e), stack: String(e.stack || '') };
  }
  return { name: 'Error', message: String(e), stack: '' };
}

// -- no network -----------------------------------------------------------------------------------------
function denyNetwork(what) {
  return function () {
    throw new Error(`authstage runs Actions without network access (${what} was called)`);
  };
}
for (const name of ['net', 'tls', 'http', 'https', 'http2', 'dgram', 'dns']) {
  const mod = require(name);
  for (const fn of ['connect', 'createConnection', 'request', 'get', 'createSocket', 'lookup', 'resolve',
    'resolve4', 'resolve6', 'resolveAny', 'lookupService']) {
    if (typeof mod[fn] === 'function') mod[fn] = denyNetwork(`${name}.${fn}`);
  }
  if (mod.promises) {
    for (const fn of Object.keys(mod.promises)) {
      if (typeof mod.promises[fn] === 'function') mod.promises[fn] = denyNetwork(`${name}.promises.${fn}`);
    }
  }
}
require('net').Socket.prototype.connect = denyNetwork('net.Socket.connect');
globalThis.fetch = async () => { throw new Error('authstage runs Actions without network access (fetch was called)'); };
globalThis.WebSocket = undefined;
globalThis.EventSource = undefined;

// -- console goes to the record, not stdout (DOC limitations.mdx: 256 characters of console output kept) ------
for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
  console[level] = (...args) => { logs.push(util.format(...args).slice(0, 256)); };
}

// -- members outside Auth0's documented surface fail loudly ---------------------------------------------
const PASS = new Set(['then', 'toJSON', 'constructor', 'inspect', 'valueOf', 'toString', 'hasOwnProperty',
  'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__proto__', 'length']);
const HINTS = { 'event.user.roles': 'roles are in event.authorization.roles' };

function strict(target, label, known, describe) {
  return new Proxy(target, {
    get(t, prop, receiver) {
      if (typeof prop === 'symbol' || PASS.has(prop) || Object.prototype.hasOwnProperty.call(t, prop)) {
        return Reflect.get(t, prop, receiver);
      }
      if (known.has(prop)) return undefined; // documented but absent in this transaction (optional)
      const hint = HINTS[`${label}.${prop}`];
      throw new TypeError(`${label}.${prop} is not part of Auth0's ${input.trigger} ${describe} ` +
        `(documented: ${[...known].sort().join(', ')})${hint ? '; ' + hint : ''}`);
    },
  });
}

function wrapEvent(value, schema, label) {
  if (schema === null || schema === '*' || value === null || typeof value !== 'object' || Array.isArray(value)) {
    return value;
  }
  const wrapped = {};
  for (const [key, item] of Object.entries(value)) {
    wrapped[key] = wrapEvent(item, Object.prototype.hasOwnProperty.call(schema, key) ? schema[key] : null,
      `${label}.${key}`);
  }
  return strict(wrapped, label, new Set(Object.keys(schema)), 'event object');
}

function buildApi() {
  const root = {};
  const cache = new Map(Object.entries(input.cache || {}));
  const add = (path, fn) => {
    const parts = path.split('.');
    let node = root;
    for (const part of parts.slice(0, -1)) node = node[part] = node[part] || {};
    node[parts[parts.length - 1]] = fn;
  };
  for (const method of Object.keys(input.methods)) {
    if (method.startsWith('cache.')) continue;
    add(method, (...args) => {
      calls.push({ method, args: JSON.parse(JSON.stringify(args.map((a) => (a === undefined ? null : a)))),
        undefinedArgs: args.map((a, i) => (a === undefined ? i : -1)).filter((i) => i >= 0) });
    });
  }
  add('cache.get', (key) => cache.get(String(key)));
  add('cache.set', (key, value, options = {}) => {
    const ttl = options.ttl !== undefined ? Number(options.ttl) : null;
    const record = { value: String(value), expires_at: options.expires_at, ttl };
    cache.set(String(key), { value: String(value) });
    cacheWrites.push({ op: 'set', key: String(key), ...record });
    return { type: 'success', record };
  });
  add('cache.delete', (key) => {
    cache.delete(String(key));
    cacheWrites.push({ op: 'delete', key: String(key) });
    return { type: 'success' };
  });
  for (const method of input.notEmulated) {
    add(method, () => {
      throw new Error(`api.${method} is part of Auth0's ${input.trigger} API object, but authstage does not emulate it`);
    });
  }
  return wrapApi(root, 'api');
}

function wrapApi(node, label) {
  const wrapped = {};
  for (const [key, item] of Object.entries(node)) {
    wrapped[key] = typeof item === 'function' ? item : wrapApi(item, `${label}.${key}`);
  }
  return strict(wrapped, label, new Set(Object.keys(node)), 'API object');
}

// -- the Action module: npm packages are not installed, network modules are disarmed above -------------
function loadAction() {
  const mod = new Module(input.filename, null);
  mod.filename = input.filename;
  mod.paths = [];
  const builtin = new Set(Module.builtinModules);
  mod.require = (name) => {
    const bare = String(name).replace(/^node:/, '');
    if (!builtin.has(bare)) {
      throw new Error(`Cannot find module '${name}': authstage runs Actions without npm dependencies`);
    }
    return require(bare);
  };
  mod._compile(input.source, input.filename);
  return mod.exports;
}

async function main() {
  let exported;
  try {
    exported = loadAction();
  } catch (e) {
    finish(errorOf(e));
    return;
  }
  const handler = exported && exported[input.handler];
  if (typeof handler !== 'function') {
    finish({ name: 'TypeError', message: `the Action does not export ${input.handler} (exports.${input.handler} = async (event, api) => {...})`, stack: '' });
    return;
  }
  if (input.check) {
    finish(null);
    return;
  }
  try {
    await handler(wrapEvent(input.event, input.schema, 'event'), buildApi());
    finish(null);
  } catch (e) {
    finish(errorOf(e));
  }
}

process.on('beforeExit', () => finish({ name: 'Error', message: `${input.handler} returned a promise that never settled`, stack: '' }));
process.on('uncaughtException', (e) => finish(errorOf(e)));
process.on('unhandledRejection', (e) => finish(errorOf(e)));
main();
