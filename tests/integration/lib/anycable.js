// tests/integration/lib/anycable.js — the official AnyCable client (@anycable/core, from npm)
// against cabled, on the extended protocol (actioncable-v1-ext-json).
//
// anyCable(url, token, opts) creates a cable with the client's own createCable(): the token goes
// as ?jid= (the client's default), or as the client's 'header' / 'sub-protocol' strategies. Node
// has no browser WebSocket, so the client gets a `ws` subclass that adds the Origin header a
// browser would send and records, per socket, the URL it opened, the subprotocol the server chose
// and every text frame it received (cable.sockets, each with the time it was opened). Reconnects
// are fast (a fixed 200 ms, cable.reconnectMs, instead of the client's backoff of seconds): the
// tests wait for the client's own 'connect' event.
//
// watch(channel) records a channel's 'message' (with the client's meta {stream, epoch, offset}),
// 'info' and 'presence' events, and next() waits for one. drop(cable) ends the socket without a
// close frame, as a network that goes away does. The client is an ES module: load() imports it
// once.

'use strict';

const WebSocket = require('ws');
const { ORIGIN } = require('./server');

let core;
/** The @anycable/core module (ESM), imported once. */
async function load() {
  if (!core) core = await import('@anycable/core');
  return core;
}

/** A ws WebSocket as a page would open it: with an Origin, each socket recorded. */
function socketClass(sockets, extraHeaders = {}) {
  return class RecordingWebSocket extends WebSocket {
    constructor(url, protocols, options = {}) {
      const headers = { Origin: ORIGIN, ...extraHeaders, ...(options.headers || {}) };
      super(url, protocols, { ...options, headers });
      this.record = { url, protocols, protocol: undefined, frames: [], closed: false, openedAt: Date.now() };
      sockets.push(this.record);
      this.on('upgrade', (res) => { this.record.protocol = res.headers['sec-websocket-protocol']; });
      this.on('message', (data, isBinary) => { if (!isBinary) this.record.frames.push(data.toString('utf8')); });
      this.on('close', () => { this.record.closed = true; });
    }
  };
}

/**
 * A cable of the official client on the extended protocol. opts: strategy ('param' | 'header' |
 * 'sub-protocol'), protocol (default actioncable-v1-ext-json), historyTimestamp,
 * protocolOptions, tokenRefresher, pingInterval (ms, default 1000: the server runs with
 * --ping-interval 1), headers (extra, on every socket). The cable connects lazily, on the first
 * subscription, or at once with opts.connect.
 */
async function anyCable(url, token, opts = {}) {
  const { createCable } = await load();
  const sockets = [];
  const reconnect = { ms: opts.reconnectMs || 200 };
  const cable = createCable(url, {
    protocol: opts.protocol || 'actioncable-v1-ext-json',
    websocketImplementation: socketClass(sockets, opts.headers),
    websocketAuthStrategy: opts.strategy || 'param',
    auth: token ? { token } : undefined,
    historyTimestamp: opts.historyTimestamp,
    protocolOptions: opts.protocolOptions,
    tokenRefresher: opts.tokenRefresher,
    pingInterval: opts.pingInterval || 1000,
    reconnectStrategy: () => reconnect.ms,
    logLevel: process.env.ANYCABLE_DEBUG ? 'debug' : 'error',
  });
  cable.sockets = sockets;
  // The delay before the next reconnect, changeable: a test that acts while the client is away
  // makes it longer than what it does takes.
  Object.defineProperty(cable, 'reconnectMs', { get: () => reconnect.ms, set: (v) => { reconnect.ms = v; } });
  const events = [];
  for (const name of ['connect', 'disconnect', 'close', 'info']) {
    cable.on(name, (ev) => events.push([name, ev]));
  }
  cable.events = events;
  if (opts.connect) await cable.connect();
  return cable;
}

/** Resolves once pred() is truthy (checked every 20 ms), or rejects after timeoutMs. */
async function until(pred, { timeoutMs = 10000, what = 'a condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Records a channel's events: messages as [message, meta], info and presence as they come. */
function watch(channel) {
  const w = { messages: [], info: [], presence: [] };
  channel.on('message', (msg, meta) => w.messages.push([msg, meta]));
  channel.on('info', (ev) => w.info.push(ev));
  channel.on('presence', (ev) => w.presence.push(ev));
  return w;
}

/** The cable's next 'connect' event after the ones seen so far. */
function nextConnect(cable, { timeoutMs = 15000 } = {}) {
  const seen = cable.events.filter((e) => e[0] === 'connect').length;
  return until(() => cable.events.filter((e) => e[0] === 'connect')[seen], { timeoutMs, what: 'a connect event' })
    .then((e) => e[1]);
}

/** Ends the cable's socket without a close frame (a network that goes away). */
function drop(cable) {
  cable.transport.ws._socket.destroy();
}

/** The JSON frames of every socket of cable, parsed, pings left out. */
function framesOf(record) {
  return record.frames.map((f) => JSON.parse(f)).filter((f) => f.type !== 'ping');
}

module.exports = { load, anyCable, watch, until, nextConnect, drop, framesOf };
