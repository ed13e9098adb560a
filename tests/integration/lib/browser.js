// tests/integration/lib/browser.js — headless Chromium driven over the DevTools protocol (CDP),
// with nothing but the `ws` package: launch(), then page.goto(), page.evaluate(),
// page.waitFor(), browser.close().
//
// Chromium is Debian's package (/usr/bin/chromium; CABLED_CHROMIUM names another). It is started
// with a fresh --user-data-dir and the flags that keep it off the network (this machine has none:
// without them it waits on connections that never come), --remote-debugging-port=0, and we read
// the "DevTools listening on ws://…" line it prints on stderr. One page per browser, reached
// through Target.attachToTarget in flat mode: every command carries its sessionId.
//
// What the page logs (console, uncaught exceptions, failed loads) is kept in page.log, and every
// failure message of waitFor() ends with it: a page that broke says why.

'use strict';

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');

const CHROMIUM = process.env.CABLED_CHROMIUM || '/usr/bin/chromium';
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage', '--no-default-browser-check', '--remote-debugging-port=0',
];
const START_TIMEOUT_MS = 20000;

/** Whether the browser is installed (scripts/install-deps.sh installs it). */
function available() {
  return fs.existsSync(CHROMIUM);
}

class Page {
  constructor(browser, sessionId) {
    this.browser = browser;
    this.sessionId = sessionId;
    this.log = [];
    this.webSocketResponses = []; // with Network enabled: each WebSocket handshake's response
  }

  send(method, params = {}) { return this.browser.send(method, params, this.sessionId); }

  onEvent(method, params) {
    if (method === 'Runtime.consoleAPICalled') {
      this.log.push(`console.${params.type}: ${params.args.map((a) => a.value ?? a.description ?? '').join(' ')}`);
    } else if (method === 'Runtime.exceptionThrown') {
      const d = params.exceptionDetails;
      this.log.push(`exception: ${(d.exception && d.exception.description) || d.text}`);
    } else if (method === 'Log.entryAdded') {
      this.log.push(`${params.entry.level}: ${params.entry.text} ${params.entry.url || ''}`);
    } else if (method === 'Network.webSocketHandshakeResponseReceived') {
      this.webSocketResponses.push(params.response);
    }
  }

  /** Navigates and resolves once the page's load event fired. */
  async goto(url, timeoutMs = 10000) {
    const loaded = this.browser.waitEvent('Page.loadEventFired', this.sessionId, timeoutMs);
    const r = await this.send('Page.navigate', { url });
    if (r.errorText) throw new Error(`cannot load ${url}: ${r.errorText}`);
    await loaded;
  }

  /** Evaluates a JavaScript expression in the page (promises awaited) and returns its value. */
  async evaluate(expression) {
    const r = await this.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true });
    if (r.exceptionDetails) {
      const d = r.exceptionDetails;
      throw new Error(`page threw: ${(d.exception && d.exception.description) || d.text}`);
    }
    return r.result.value;
  }

  /** Resolves with the expression's value once it is truthy (polled every 50 ms). */
  async waitFor(expression, { timeoutMs = 10000, what = expression } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.evaluate(expression);
      if (v) return v;
      if (Date.now() > deadline) {
        throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; page log:\n` +
          (this.log.join('\n') || '(empty)'));
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

class Browser {
  constructor(proc, ws, dir) {
    this.proc = proc;
    this.ws = ws;
    this.dir = dir;
    this.seq = 0;
    this.pending = new Map();
    this.listeners = new Set();
    this.pages = new Map();
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString('utf8'));
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p.resolve(msg.result);
        return;
      }
      const page = this.pages.get(msg.sessionId);
      if (page) page.onEvent(msg.method, msg.params);
      for (const l of [...this.listeners]) l(msg);
    });
    ws.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error(`${p.method}: the browser went away`));
      this.pending.clear();
    });
  }

  send(method, params = {}, sessionId) {
    const id = ++this.seq;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify(msg));
    });
  }

  waitEvent(method, sessionId, timeoutMs) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners.delete(l);
        reject(new Error(`no ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      const l = (msg) => {
        if (msg.method !== method || msg.sessionId !== sessionId) return;
        clearTimeout(timer);
        this.listeners.delete(l);
        resolve(msg.params);
      };
      this.listeners.add(l);
    });
  }

  /** A new page (tab), with its console and errors collected. */
  async newPage() {
    const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
    const page = new Page(this, sessionId);
    this.pages.set(sessionId, page);
    await Promise.all([page.send('Page.enable'), page.send('Runtime.enable'), page.send('Log.enable')]);
    return page;
  }

  /** Closes the browser and removes its profile directory. */
  async close() {
    try { await Promise.race([this.send('Browser.close'), new Promise((r) => setTimeout(r, 2000))]); } catch { /* gone */ }
    this.ws.terminate();
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      const exited = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      const t = setTimeout(() => this.proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(t);
    }
    // Its helper processes may still be writing the profile for a moment.
    try { fs.rmSync(this.dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }); } catch { /* best effort */ }
  }
}

/** Starts headless Chromium and resolves with a Browser connected to it. extraFlags go after
 *  ours (--ignore-certificate-errors-spki-list=HASH to trust a test certificate, say). */
async function launch(extraFlags = []) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cabled-chromium-'));
  const proc = spawn(CHROMIUM, [...FLAGS, ...extraFlags, `--user-data-dir=${dir}`, 'about:blank'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  process.on('exit', () => { try { proc.kill('SIGKILL'); } catch { /* gone */ } });
  let err = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`chromium printed no DevTools URL in ${START_TIMEOUT_MS} ms:\n${err}`)),
      START_TIMEOUT_MS);
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => {
      err += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`chromium exited (${code ?? signal}) before listening:\n${err}`));
    });
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  return new Browser(proc, ws, dir);
}

module.exports = { launch, available, CHROMIUM };
