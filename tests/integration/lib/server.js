// tests/integration/lib/server.js — start, sign tokens for, and stop the real cabled binary.
//
// startServer() spawns $CABLED_BIN (default build/cabled) with --listen 127.0.0.1:0, a known secret,
// app token and allowed Origin, waits for its one stdout line "cabled listening on http://HOST:PORT"
// and returns a CabledServer with the port. Each server runs in its own temporary directory, so a
// database file it may create never lands in the tree. Every server started here is remembered:
// a test file's after() hook calls stopAll(), and a process 'exit' hook SIGKILLs any survivor, so
// no process outlives the suite. server.createMembers(n) and server.createRoom(ids, kind) are
// shortcuts to the admin-API fixtures of lib/http.js (Chats::RoomChannel needs a stored room).
//
// TLS: with opts.tls ({cert, key, ca}: file paths, lib/tls.js makes them) the server gets --tls-cert
// and --tls-key, prints https://, and server.ca (the CA's PEM) is what clients must trust: wsUrl is
// then wss://… and lib/http.js calls go over HTTPS.
//
// PostgreSQL: when CABLED_TEST_PG_URL is set (tests/services/postgres.sh start prints one), every
// server started without a --db of its own gets a new, empty PostgreSQL database (CREATE DATABASE
// through psql, a random name, dropped when the suite's process exits) instead of SQLite.
// testDatabase() gives a test a database it can restart servers on: PostgreSQL then too.

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
/** The PostgreSQL server to create databases on, or undefined for SQLite. */
const PG_URL = process.env.CABLED_TEST_PG_URL || undefined;

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

/** Databases created by this process, dropped when it exits. */
const pgDatabases = [];

process.on('exit', () => {
  if (!pgDatabases.length) return;
  const drops = pgDatabases.flatMap((name) => ['-c', `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
  spawnSync('psql', [PG_URL, '-qAtX', ...drops], { stdio: 'ignore', timeout: 30000 });
});

/** PG_URL with its database replaced by name. */
function pgUrlFor(name) {
  const u = new URL(PG_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates an empty PostgreSQL database and returns its postgres:// URL. */
function createPgDatabase() {
  const name = `cabled_it_${process.pid}_${pgDatabases.length + 1}_${Math.random().toString(36).slice(2, 8)}`;
  const r = spawnSync('psql', [PG_URL, '-qAtX', '-v', 'ON_ERROR_STOP=1', '-c', `CREATE DATABASE ${name}`],
    { encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) throw new Error(`psql could not create database ${name}: ${r.stderr || r.error}`);
  pgDatabases.push(name);
  return pgUrlFor(name);
}

/** A --db URL for a database that outlives the servers started on it: a new PostgreSQL database
 *  when CABLED_TEST_PG_URL is set, else sqlite:<dir>/<file>. */
function testDatabase(dir, file = 'cabled.db') {
  return PG_URL ? createPgDatabase() : `sqlite:${path.join(dir, file)}`;
}

/** Fails with a readable message when the binary is missing, instead of a spawn ENOENT later. */
function requireBinary() {
  if (!fs.existsSync(BIN)) {
    throw new Error(`cabled binary not found at ${BIN}: build it (make build/cabled) or set CABLED_BIN`);
  }
}

/** Returns an access token from `cabled token`: HS256 JWT for member (community 1, ttl 3600 unless
 *  given). secret defaults to the suite's secret; pass another to get a wrongly signed token.
 *  db ('sqlite:PATH' or 'postgres://…'): sign with the key stored in that database instead (no --secret is passed
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
    this.scheme = 'http';
    this.ca = opts.ca;
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

  /** ws://127.0.0.1:PORT/cable (wss:// with TLS) */
  get wsUrl() { return `${this.scheme === 'https' ? 'wss' : 'ws'}://${this.host}:${this.port}/cable`; }
  get httpUrl() { return `${this.scheme}://${this.host}:${this.port}`; }

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
 *       single (true: one process even when CABLED_TEST_REDIS_URL asks for clusters),
 *       members (create that many members through the admin API once it listens: ids 1..n of
 *       a fresh database, for tests that mint tokens for member ids; a token must name an
 *       existing member),
 *       nofile (run under `ulimit -n nofile`, through sh).
 *
 * With CABLED_TEST_REDIS_URL set (a redis:// URL), it starts a cluster instead: three nodes on
 * that Redis (a channel prefix of their own) sharing one database (PostgreSQL when
 * CABLED_TEST_PG_URL is set, else one SQLite file), behind one object that looks
 * like a server: HTTP goes to node A, and each WebSocket to node B or C in turn. Run a test file
 * that way and every event it checks has crossed Redis from the node that produced it.
 */
async function startServer(opts = {}) {
  if (process.env.CABLED_TEST_REDIS_URL && !opts.single) return startCluster(opts);
  return startNode(opts);
}

let clusterSeq = 0;

/** A cluster of `size` nodes (see startServer). */
async function startCluster(opts = {}, size = 3) {
  const args = [...(opts.args || [])];
  let dir = null;
  if (!args.includes('--db')) {
    // One database for the nodes: PostgreSQL when the run has one, else a shared SQLite file.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cabled-cluster-'));
    args.push('--db', testDatabase(dir));
  }
  args.push('--pubsub', process.env.CABLED_TEST_REDIS_URL);
  if (!args.includes('--redis-channel-prefix')) {
    // Clusters of one test run share the Redis: each keeps to its own channels.
    args.push('--redis-channel-prefix', `t${process.pid}-${++clusterSeq}:`);
  }
  const nodeOpts = { ...opts, args };
  // The first node creates the database; the others join it.
  const first = await startNode(nodeOpts);
  const rest = await Promise.all(Array.from({ length: size - 1 }, () => startNode({ ...nodeOpts, members: 0 })));
  return new ClusterServer([first, ...rest], dir);
}

class ClusterServer {
  constructor(nodes, dir) {
    this.nodes = nodes;
    this.dir = dir;
    this.turn = 0;
  }

  get host() { return this.nodes[0].host; }
  get port() { return this.nodes[0].port; }
  get secret() { return this.nodes[0].secret; }
  get appToken() { return this.nodes[0].appToken; }
  get origin() { return this.nodes[0].origin; }
  get httpUrl() { return this.nodes[0].httpUrl; }
  get ca() { return this.nodes[0].ca; }
  get stdout() { return this.nodes.map((n) => n.stdout).join(''); }
  get stderr() { return this.nodes.map((n) => n.stderr).join(''); }
  /** Each WebSocket goes to another node than the one the API calls reach. */
  get wsUrl() { return this.nodes[1 + (this.turn++ % (this.nodes.length - 1))].wsUrl; }

  token(member, opts = {}) { return mintToken(member, { secret: this.secret, ...opts }); }
  createMembers(count) { return require('./http').createMembers(this, count); }
  createRoom(memberIds, kind, name) { return require('./http').createRoom(this, memberIds, kind, name); }
  logTail(n = 30) { return this.nodes.map((s, i) => `--- node ${i}\n${s.logTail(n)}`).join('\n'); }

  async stop(signal, timeoutMs) {
    const r = await Promise.all(this.nodes.map((n) => n.stop(signal, timeoutMs)));
    this.cleanup();
    return r[0];
  }

  async kill() {
    const r = await Promise.all(this.nodes.map((n) => n.kill()));
    this.cleanup();
    return r[0];
  }

  cleanup() {
    if (this.dir) try { fs.rmSync(this.dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
}

/** One cabled process (see startServer). */
async function startNode(opts = {}) {
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
  if (o.tls) args.push('--tls-cert', o.tls.cert, '--tls-key', o.tls.key);
  args.push(...o.args);
  if (PG_URL && !args.includes('--db')) args.push('--db', createPgDatabase());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cabled-it-'));
  const [cmd, argv] = o.nofile === undefined ? [BIN, args]
    : ['/bin/sh', ['-c', `ulimit -n ${Number(o.nofile)} && exec "$0" "$@"`, BIN, ...args]];
  const proc = spawn(cmd, argv, { cwd: dir, env: cleanEnv(o.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const server = new CabledServer(proc, dir, {
    secret: o.secret, appToken: o.appToken, origin: o.origins[0],
    ca: o.tls && o.tls.ca ? fs.readFileSync(o.tls.ca) : undefined,
  });
  live.add(server);
  unchecked.add(server);

  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`cabled did not print its listening line within ${START_TIMEOUT_MS} ms; ` +
        `argv: ${args.join(' ')}\n${server.logTail()}`));
    }, START_TIMEOUT_MS);
    const onData = () => {
      const m = /cabled listening on (https?):\/\/([0-9.]+):(\d+)/.exec(server.stdout);
      if (m) {
        clearTimeout(timer);
        proc.stdout.off('data', onData);
        server.scheme = m[1];
        server.host = m[2];
        server.port = Number(m[3]);
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
  if (o.members) await server.createMembers(o.members);
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

module.exports = {
  BIN, SECRET, APP_TOKEN, ORIGIN, PG_URL, startServer, startNode, startCluster, stopAll, mintToken,
  testDatabase, CabledServer,
};
