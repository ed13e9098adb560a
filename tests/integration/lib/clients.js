// tests/integration/lib/clients.js — a `ws` client for Action Cable tests, and the exact frames
// the server must send.
//
// CableClient wraps one `ws` WebSocket: every text message is logged in `frames` and queued in
// `inbox`; expect() takes the first queued frame that matches (a string matches byte for byte),
// waiting for it if needed. barrier() is a round trip through the server's command handling:
// it subscribes to a channel that does not exist and waits for that rejection, so every command
// sent before it has been handled and any frame it produced has already arrived.
// The frame builders (confirm/reject/data/disconnect) give the exact bytes of the reference
// transcripts; railsJSON() encodes a value the way the server must re-encode broadcast data.

'use strict';

const WebSocket = require('ws');
const { ORIGIN } = require('./server');

const PING_RE = /^\{"type":"ping","message":(\d+)\}$/;
const WELCOME_RE = /^\{"type":"welcome","sid":"([A-Za-z0-9_-]{21})"\}$/;
const PROTOCOLS = ['actioncable-v1-json', 'actioncable-unsupported'];

/** JSON text of an identifier object (key order as written). */
const ident = (obj) => JSON.stringify(obj);

/** JSON.stringify plus the escapes of ActiveSupport::JSON with escape_html_entities_in_json:
 *  < > & as \u003c \u003e \u0026 and U+2028/2029 as \u2028/\u2029; other characters raw. */
function railsJSON(value) {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

const frames = {
  confirm: (id) => `{"identifier":${JSON.stringify(id)},"type":"confirm_subscription"}`,
  reject: (id) => `{"identifier":${JSON.stringify(id)},"type":"reject_subscription"}`,
  /** A broadcast as delivered; messageJSON is the exact JSON text of the message. */
  data: (id, messageJSON) => `{"identifier":${JSON.stringify(id)},"message":${messageJSON}}`,
  disconnect: (reason, reconnect) => `{"type":"disconnect","reason":"${reason}","reconnect":${reconnect}}`,
  subscribe: (id) => JSON.stringify({ command: 'subscribe', identifier: id }),
  unsubscribe: (id) => JSON.stringify({ command: 'unsubscribe', identifier: id }),
};

const isPing = (s) => PING_RE.test(s);
let barrierSeq = 0;

class CableClient {
  /**
   * Opens a WebSocket to url and resolves once it is open (welcome not awaited).
   * opts: origin (the suite's; null for none), token (null for none), tokenIn ('header' | 'query'),
   * protocols (array, default none, as the seed's script), headers (extra), wsOptions.
   * Rejects with err.status and err.body when the server answers without upgrading.
   */
  static connect(url, { origin = ORIGIN, token = null, tokenIn = 'header', protocols, headers = {},
    wsOptions = {}, timeoutMs = 5000 } = {}) {
    const h = { ...headers };
    if (origin !== null) h.Origin = origin;
    let u = url;
    if (token !== null && tokenIn === 'header') h.Authorization = `Bearer ${token}`;
    if (token !== null && tokenIn === 'query') u += (u.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token);
    const ws = new WebSocket(u, protocols, { headers: h, handshakeTimeout: timeoutMs, ...wsOptions });
    const client = new CableClient(ws);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (req, res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const e = new Error(`server answered ${res.statusCode} instead of 101`);
          e.status = res.statusCode;
          e.headers = res.headers;
          e.body = Buffer.concat(chunks).toString('utf8');
          req.destroy();
          reject(e);
        });
      });
      ws.once('error', reject);
    });
  }

  /** Opens, waits for the welcome frame and returns the client (its sid in client.sid). */
  static async connectWelcomed(url, opts) {
    const c = await CableClient.connect(url, opts);
    const w = await c.expect((s) => WELCOME_RE.test(s), { what: 'welcome' });
    c.sid = WELCOME_RE.exec(w)[1];
    return c;
  }

  constructor(ws) {
    this.ws = ws;
    this.frames = [];
    this.inbox = [];
    this.binary = [];
    this.waiters = new Set();
    this.closeInfo = null;
    this.errors = [];
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString('utf8') };
      this.wake();
      resolve(this.closeInfo);
    }));
    ws.on('error', (e) => { this.errors.push(e); this.wake(); });
    ws.on('message', (data, isBinary) => {
      if (isBinary) { this.binary.push(data); return; }
      const s = data.toString('utf8');
      this.frames.push({ at: Date.now(), text: s });
      this.inbox.push(s);
      this.wake();
    });
  }

  wake() { for (const w of [...this.waiters]) w(); }

  /** Resolves when cond() holds (re-checked on each message/close); rejects after timeoutMs, or
   *  at once if the connection has closed and cond() is still false. */
  until(cond, { timeoutMs = 5000, what = 'a condition' } = {}) {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const fail = (why) => {
        this.waiters.delete(check);
        clearTimeout(timer);
        const seen = this.frames.slice(-10).map((f) => f.text.length > 200 ? f.text.slice(0, 200) + '…' : f.text);
        reject(new Error(`${why} waiting for ${what}; last frames: ${JSON.stringify(seen)}; ` +
          `close=${JSON.stringify(this.closeInfo)}`));
      };
      const check = () => {
        if (cond()) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve();
        } else if (this.closeInfo !== null) {
          fail('the connection closed');
        }
      };
      const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Takes the first inbox frame equal to `match` (string) or accepted by it (function). */
  async expect(match, { timeoutMs = 5000, what } = {}) {
    const pred = typeof match === 'string' ? (s) => s === match : match;
    let found;
    await this.until(() => {
      const i = this.inbox.findIndex(pred);
      if (i < 0) return false;
      found = this.inbox.splice(i, 1)[0];
      return true;
    }, { timeoutMs, what: what || (typeof match === 'string' ? JSON.stringify(match) : 'a matching frame') });
    return found;
  }

  /** Removes and returns every inbox frame accepted by pred (default: all). */
  take(pred = () => true) {
    const out = this.inbox.filter(pred);
    this.inbox = this.inbox.filter((s) => !pred(s));
    return out;
  }

  /** Inbox frames that are not pings. */
  nonPings() { return this.inbox.filter((s) => !isPing(s)); }

  /** Sends a string as is, anything else JSON-encoded. */
  send(x) { this.ws.send(typeof x === 'string' ? x : JSON.stringify(x)); }

  /** Sends subscribe for identifier string id; resolves 'confirm' or 'reject' (exact frames). */
  async subscribe(id, opts) {
    const ok = frames.confirm(id);
    const no = frames.reject(id);
    this.send(frames.subscribe(id));
    const got = await this.expect((s) => s === ok || s === no, { what: `confirm/reject of ${id}`, ...opts });
    return got === ok ? 'confirm' : 'reject';
  }

  /** A round trip through command handling (see the file comment). */
  async barrier(opts) {
    const id = ident({ channel: 'NoSuchBarrierChannel', n: ++barrierSeq });
    this.send(frames.subscribe(id));
    await this.expect(frames.reject(id), { what: `the barrier's reject_subscription ${id}`, ...opts });
  }

  /** Resolves once the connection has closed; {code, reason}. */
  waitClose(timeoutMs = 5000) {
    return this.until(() => this.closeInfo !== null, { timeoutMs, what: 'the connection to close' })
      .then(() => this.closeInfo);
  }

  close(code, reason) { this.ws.close(code, reason); }
  terminate() { this.ws.terminate(); }
}

/** Closes every client given (terminate: no close handshake), ignoring ones already closed. */
function closeAll(clients) {
  for (const c of clients) { try { c.terminate(); } catch { /* already closed */ } }
}

module.exports = { CableClient, closeAll, ident, railsJSON, frames, isPing, PING_RE, WELCOME_RE, PROTOCOLS };
