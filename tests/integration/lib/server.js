// tests/integration/lib/server.js — start, sign tokens for, and stop the real cabled binary.
//
// startServer() spawns $CABLED_BIN (default build/cabled) with --listen 127.0.0.1:0, a known secret,
// app token and allowed Origin, waits for its one stdout line "cabled listening on http://HOST:PORT"
// and returns a CabledServer with the port. Each server runs in its own temporary directory, so a
// database file it may create never lands in the tree. Every server started here is remembered:
// a test file's after() hook calls stopAll(), and a process 'exit' hook SIGKILLs any survivor, so
// no process outlives the suite. server.createMembers(n) and server.createRoom(ids, kind) are
// shortcuts to the admin-API fixtures of lib/http.js (Chats::RoomChannel needs a stored room).

'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const BIN = process.env.CABLED_BIN || path.resolve(__dirname, '../../../build/cabled');
const SECRET = 'integration-test-secret-0123456789abcdef';
const APP_TOKEN = 'integration-app-token';
const ORIGIN = 'https://your-whitelisted-domain.com';
const START_TIMEOUT_MS = 10000;
const STOP_TIMEOUT_MS = 10000;
const LOG_KEEP = 256 * 1024;

const live = new Set();
/** Servers that exited without being asked to (a crash): stopAll() reports them. */
const crashed = [];
/** Every server started and not yet checked by stopAll(). */
const unchecked = new Set();
const SANITIZER_RE = /ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|WARNING: ThreadSanitizer/;

process.on('exit', () => {
  for (const s of live) {
    try { s.proc.kill('SIGKILL'); } catch { /* already gone */ }
  }
});

/** Fails with a readable message when the binary is missing, instead of a spawn ENOENT later. */
function requireBinary() {
  if (!fs.existsSync(BIN)) {
    throw new Error(`cabled binary not found at ${BIN}: build it (make build/cabled) or set CABLED_BIN`);
  }
}

/** Returns an access token from `cabled token`: HS256 JWT for member (community 1, ttl 3600 unless
 *  given). secret defaults to the suite's secret; pass another to get a wrongly signed token.
 *  db ('sqlite:PATH'): sign with the key stored in that database instead (no --secret is passed
 *  unless secret is given too). */
function mintToken(member, opts = {}) {
  const { community, ttl, db } = opts;
  const secret = 'secret' in opts ? opts.secret : (db === undefined ? SECRET : undefined);
  requireBinary();
  const args = ['token'];
  if (secret !== undefined) args.push('--secret', secret);
  if (db !== undefined) args.push('--db', db);
  args.push('--member', String(member));
  if (community !== undefined) args.push('--community', String(community));
  if (ttl !== undefined) args.push('--ttl', String(ttl));
  const r = spawnSync(BIN, args, { encoding: 'utf8', timeout: 5000, env: cleanEnv() });
  if (r.status !== 0) {
    throw new Error(`cabled ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  const tok = r.stdout.trim();
  if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(tok)) {
    throw new Error(`cabled token printed something that is not a JWT: ${JSON.stringify(r.stdout)}`);
  }
  return tok;
}

/** process.env without CABLED_* variables, so the caller's shell cannot change a server's config. */
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CABLED_')) env[k] = v;
  return Object.assign(env, extra);
}

class CabledServer {
  constructor(proc, dir, opts) {
    this.proc = proc;
    this.dir = dir;
    this.port = 0;
    this.host = '127.0.0.1';
    this.secret = opts.secret;
    this.appToken = opts.appToken;
    this.origin = opts.origin;
    this.stdout = '';
    this.stderr = '';
    this.exitInfo = null;
    this.stopping = false;
    this.exited = new Promise((resolve) => {
      proc.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        live.delete(this);
        if (!this.stopping) crashed.push(this);
        resolve(this.exitInfo);
      });
    });
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (d) => { this.stdout = (this.stdout + d).slice(-LOG_KEEP); });
    proc.stderr.on('data', (d) => { this.stderr = (this.stderr + d).slice(-LOG_KEEP); });
  }

  /** ws://127.0.0.1:PORT/cable */
  get wsUrl() { return `ws://${this.host}:${this.port}/cable`; }
  get httpUrl() { return `http://${this.host}:${this.port}`; }

  /** An access token for member signed with this server's secret (see mintToken). */
  token(member, opts = {}) { return mintToken(member, { secret: this.secret, ...opts }); }

  /** createMembers(this, count) of lib/http.js: resolves with the new members' ids. */
  createMembers(count) { return require('./http').createMembers(this, count); }

  /** createRoom(this, memberIds, kind, name) of lib/http.js: resolves with the ChatRoom JSON
   *  ({id, uuid, …}) of a new room (kind 'group_chat' unless given). */
  createRoom(memberIds, kind, name) { return require('./http').createRoom(this, memberIds, kind, name); }

  /** The last lines the server wrote, for failure messages. */
  logTail(n = 30) {
    return (this.stdout + this.stderr).trim().split('\n').slice(-n).join('\n');
  }

  /** Sends signal (SIGTERM) and resolves with {code, signal} once the process exits. A process
   *  still alive after timeoutMs is SIGKILLed and the promise rejects: a hung shutdown is a bug. */
  async stop(signal = 'SIGTERM', timeoutMs = STOP_TIMEOUT_MS) {
    if (this.exitInfo) return this.exitInfo;
    this.stopping = true;
    this.proc.kill(signal);
    let timer;
    const timedOut = new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs, 'timeout'); });
    const r = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (r === 'timeout') {
      this.proc.kill('SIGKILL');
      await this.exited;
      throw new Error(`cabled did not exit within ${timeoutMs} ms of ${signal}; log:\n${this.logTail()}`);
    }
    this.cleanup();
    return r;
  }

  /** SIGKILLs the process (a crash on purpose: kill -9) and resolves with {code, signal} once it
   *  is gone. stopAll() does not count it as a crash or a bad exit, but still checks its stderr
   *  for sanitizer reports. */
  async kill() {
    if (this.exitInfo) return this.exitInfo;
    this.stopping = true;
    this.killed = true;
    this.proc.kill('SIGKILL');
    const r = await this.exited;
    this.cleanup();
    return r;
  }

  cleanup() {
    try { fs.rmSync(this.dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
}

/**
 * Starts cabled and resolves once it prints its listening line.
 * opts: port (0 = any free port), secret, appToken, origins (array; [] for none), pingInterval,
 *       args (extra argv), env (extra environment), bare (true: pass only --listen and args),
 *       nofile (run under `ulimit -n nofile`, through sh).
 */
async function startServer(opts = {}) {
  requireBinary();
  const o = {
    port: 0, secret: SECRET, appToken: APP_TOKEN, origins: [ORIGIN], pingInterval: undefined,
    args: [], env: {}, bare: false, ...opts,
  };
  const args = ['--listen', `127.0.0.1:${o.port}`];
  if (!o.bare) {
    args.push('--secret', o.secret, '--app-token', o.appToken);
    for (const origin of o.origins) args.push('--allowed-origin', origin);
    if (o.pingInterval !== undefined) args.push('--ping-interval', String(o.pingInterval));
  }
  args.push(...o.args);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cabled-it-'));
  const [cmd, argv] = o.nofile === undefined ? [BIN, args]
    : ['/bin/sh', ['-c', `ulimit -n ${Number(o.nofile)} && exec "$0" "$@"`, BIN, ...args]];
  const proc = spawn(cmd, argv, { cwd: dir, env: cleanEnv(o.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const server = new CabledServer(proc, dir, { secret: o.secret, appToken: o.appToken, origin: o.origins[0] });
  live.add(server);
  unchecked.add(server);

  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`cabled did not print its listening line within ${START_TIMEOUT_MS} ms; ` +
        `argv: ${args.join(' ')}\n${server.logTail()}`));
    }, START_TIMEOUT_MS);
    const onData = () => {
      const m = /cabled listening on http:\/\/([0-9.]+):(\d+)/.exec(server.stdout);
      if (m) {
        clearTimeout(timer);
        proc.stdout.off('data', onData);
        server.host = m[1];
        server.port = Number(m[2]);
        resolve();
      }
    };
    proc.stdout.on('data', onData);
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
    server.exited.then((info) => {
      clearTimeout(timer);
      reject(new Error(`cabled exited (${JSON.stringify(info)}) before listening; argv: ${args.join(' ')}\n` +
        server.logTail()));
    });
  }).catch(async (e) => {
    server.stopping = true;
    unchecked.delete(server);
    const i = crashed.indexOf(server);
    if (i >= 0) crashed.splice(i, 1);
    if (!server.exitInfo) { proc.kill('SIGKILL'); await server.exited; }
    server.cleanup();
    throw e;
  });
  return server;
}

/** Stops every server still running (SIGTERM, then SIGKILL after the stop timeout). For after().
 *  Throws, with the server's log, if a server hung on stop, exited on its own earlier (a crash),
 *  exited non-zero, or printed a sanitizer report. */
async function stopAll() {
  const errors = [];
  await Promise.all([...live].map((s) => s.stop().catch((e) => errors.push(e))));
  const describe = (s, what) => new Error(`cabled ${what}; argv: ${s.proc.spawnargs.slice(1).join(' ')}\nlog:\n${s.logTail(40)}`);
  for (const s of crashed.splice(0)) {
    errors.push(describe(s, `exited on its own (${JSON.stringify(s.exitInfo)}) while tests were running`));
  }
  for (const s of unchecked) {
    unchecked.delete(s);
    if (SANITIZER_RE.test(s.stderr)) errors.push(describe(s, 'printed a sanitizer report'));
    else if (s.stopping && !s.killed && s.exitInfo && s.exitInfo.code !== 0) errors.push(describe(s, `exited with ${JSON.stringify(s.exitInfo)} when stopped`));
    s.cleanup();
  }
  if (errors.length) throw errors[0];
}

module.exports = { BIN, SECRET, APP_TOKEN, ORIGIN, startServer, stopAll, mintToken, CabledServer };
