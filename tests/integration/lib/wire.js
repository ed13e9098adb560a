// tests/integration/lib/wire.js — a minimal RFC 6455 client codec and a raw-socket client.
//
// encodeFrame() builds one client frame, masked by default, with every header field settable so a
// test can get it wrong on purpose (unmasked, RSV bits, reserved opcodes, FIN=0 control frames).
// FrameDecoder turns the server's byte stream into frames and keeps each header, so tests can check
// that server frames are FIN=1, RSV=0 and unmasked. RawClient writes its own HTTP upgrade request
// on a net.Socket (optionally followed by frames in the same write), parses the response head and
// then decodes frames into an inbox that tests wait on.

'use strict';

const net = require('node:net');
const crypto = require('node:crypto');

const OP = { CONT: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa };
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key (RFC 6455 §4.2.2). */
function acceptFor(key) {
  return crypto.createHash('sha1').update(key + WS_GUID).digest('base64');
}

/**
 * One client frame as a Buffer. payload: Buffer or string (UTF-8). fin (true), rsv (0..7),
 * mask (true), maskKey (4 random bytes unless given). The length uses the shortest form.
 */
function encodeFrame({ opcode, payload = Buffer.alloc(0), fin = true, rsv = 0, mask = true, maskKey } = {}) {
  const data = Buffer.isBuffer(payload) ? payload : Buffer.from(payload, 'utf8');
  const len = data.length;
  let head;
  if (len < 126) {
    head = Buffer.alloc(2);
    head[1] = len;
  } else if (len <= 0xffff) {
    head = Buffer.alloc(4);
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head = Buffer.alloc(10);
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  head[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f);
  if (!mask) return Buffer.concat([head, data]);
  head[1] |= 0x80;
  const key = maskKey || crypto.randomBytes(4);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = data[i] ^ key[i & 3];
  return Buffer.concat([head, key, body]);
}

/** Close frame payload: 2-byte code then the UTF-8 reason. */
function closePayload(code, reason = '') {
  const r = Buffer.from(reason, 'utf8');
  const b = Buffer.alloc(2 + r.length);
  b.writeUInt16BE(code, 0);
  r.copy(b, 2);
  return b;
}

/** {code, reason} of a close frame payload; code is null for an empty payload. */
function parseClose(payload) {
  if (payload.length === 0) return { code: null, reason: '' };
  if (payload.length === 1) return { code: NaN, reason: '' };
  return { code: payload.readUInt16BE(0), reason: payload.subarray(2).toString('utf8') };
}

/** Incremental decoder of a frame stream. push(chunk) returns the frames completed by chunk. */
class FrameDecoder {
  constructor() { this.buf = Buffer.alloc(0); }

  push(chunk) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out = [];
    for (;;) {
      const b = this.buf;
      if (b.length < 2) break;
      let len = b[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (b.length < 4) break;
        len = b.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (b.length < 10) break;
        len = Number(b.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (b[1] & 0x80) !== 0;
      const keyOff = off;
      if (masked) off += 4;
      if (b.length < off + len) break;
      let payload = Buffer.from(b.subarray(off, off + len));
      if (masked) for (let i = 0; i < len; i++) payload[i] ^= b[keyOff + (i & 3)];
      out.push({
        fin: (b[0] & 0x80) !== 0,
        rsv: (b[0] >> 4) & 7,
        opcode: b[0] & 0x0f,
        masked,
        header: Buffer.from(b.subarray(0, off)),
        payload,
        text: payload.toString('utf8'),
      });
      this.buf = b.subarray(off + len);
    }
    return out;
  }
}

/** One frame as short text for failure messages: close(code "reason"), text "...", ... */
function describeFrame(f) {
  if (f.opcode === OP.CLOSE) {
    const c = parseClose(f.payload);
    return `close(${c.code} ${JSON.stringify(c.reason)})`;
  }
  const name = { 0: 'cont', 1: 'text', 2: 'binary', 9: 'ping', 10: 'pong' }[f.opcode] || `op${f.opcode}`;
  const t = f.text.length > 100 ? f.text.slice(0, 100) + '…' : f.text;
  return `${name}${f.fin ? '' : '(FIN=0)'} ${JSON.stringify(t)}`;
}

/**
 * A WebSocket client on a raw net.Socket. Use RawClient.connect(port), then upgrade(opts, extra)
 * to write the HTTP request (and extra bytes in the same write). After a 101 every server frame
 * lands in `frames` (all, in order) and `inbox` (not yet taken by next()). A non-101 answer lands
 * in `head` and `body`. `ended` resolves on the server's FIN, `closed` when the socket is gone;
 * socket errors (e.g. ECONNRESET) are kept in `errors`.
 */
class RawClient {
  static connect(port, host = '127.0.0.1') {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ port, host });
      sock.once('connect', () => { sock.off('error', reject); resolve(new RawClient(sock)); });
      sock.once('error', reject);
    });
  }

  constructor(sock) {
    this.sock = sock;
    sock.setNoDelay(true);
    this.raw = Buffer.alloc(0);
    this.head = null;
    this.body = Buffer.alloc(0);
    this.decoder = new FrameDecoder();
    this.frames = [];
    this.inbox = [];
    this.errors = [];
    this.bytesIn = 0;
    this.gotEnd = false;
    this.isClosed = false;
    this.waiters = new Set();
    this.ended = new Promise((resolve) => sock.once('end', () => { this.gotEnd = true; this.wake(); resolve(); }));
    this.closed = new Promise((resolve) => sock.once('close', (hadError) => {
      this.isClosed = true; this.wake(); resolve({ hadError });
    }));
    sock.on('error', (e) => { this.errors.push(e); this.wake(); });
    sock.on('data', (chunk) => this.onData(chunk));
  }

  onData(chunk) {
    this.bytesIn += chunk.length;
    if (!this.head) {
      this.raw = Buffer.concat([this.raw, chunk]);
      const end = this.raw.indexOf('\r\n\r\n');
      if (end < 0) return;
      this.head = RawClient.parseHead(this.raw.subarray(0, end + 4).toString('latin1'));
      chunk = this.raw.subarray(end + 4);
      this.raw = null;
      if (!chunk.length) { this.wake(); return; }
    }
    if (this.head.status === 101) {
      for (const f of this.decoder.push(chunk)) { this.frames.push(f); this.inbox.push(f); }
    } else {
      this.body = Buffer.concat([this.body, chunk]);
    }
    this.wake();
  }

  static parseHead(text) {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.1 (\d{3}) ?(.*)$/.exec(lines[0]);
    const headers = {};
    const headerList = [];
    for (const l of lines.slice(1)) {
      if (!l) continue;
      const i = l.indexOf(':');
      const k = l.slice(0, i).trim().toLowerCase();
      const v = l.slice(i + 1).trim();
      headerList.push([k, v]);
      headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
    }
    return { status: m ? Number(m[1]) : NaN, statusLine: lines[0], headers, headerList, raw: text };
  }

  /**
   * The HTTP upgrade request as a string. opts: path (/cable), host, origin (omitted if null),
   * token (Authorization: Bearer), protocols (array -> Sec-WebSocket-Protocol), key, headers
   * (extra header lines; one named like a default header replaces it, a null value removes it),
   * upgrade (false: a plain GET without the WebSocket headers).
   */
  static requestText({ path = '/cable', host = '127.0.0.1', origin = null, token = null, protocols = null,
    key = crypto.randomBytes(16).toString('base64'), headers = {}, upgrade = true } = {}) {
    const list = [['Host', host]];
    if (upgrade) {
      list.push(['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', key], ['Sec-WebSocket-Version', '13']);
    }
    if (origin !== null) list.push(['Origin', origin]);
    if (token !== null) list.push(['Authorization', `Bearer ${token}`]);
    if (protocols) list.push(['Sec-WebSocket-Protocol', protocols.join(', ')]);
    for (const [k, v] of Object.entries(headers)) {
      const i = list.findIndex(([name]) => name.toLowerCase() === k.toLowerCase());
      if (i >= 0) list.splice(i, 1);
      if (v !== null) list.push([k, v]);
    }
    return [`GET ${path} HTTP/1.1`, ...list.map(([k, v]) => `${k}: ${v}`)].join('\r\n') + '\r\n\r\n';
  }

  /** Writes the upgrade request plus `extra` bytes in one write and resolves with the parsed head
   *  (for a non-101, once the Content-Length body is in or the server closed). */
  async upgrade(opts = {}, extra = Buffer.alloc(0), timeoutMs = 5000) {
    this.key = opts.key || crypto.randomBytes(16).toString('base64');
    this.sock.write(Buffer.concat([Buffer.from(RawClient.requestText({ ...opts, key: this.key }), 'latin1'), extra]));
    await this.until(() => this.head !== null, timeoutMs, 'the response head');
    if (this.head.status !== 101) {
      const cl = Number(this.head.headers['content-length']);
      if (Number.isFinite(cl)) {
        await this.until(() => this.body.length >= cl || this.isClosed, timeoutMs, `a ${cl}-byte body`);
      }
    }
    return this.head;
  }

  wake() { for (const w of [...this.waiters]) w(); }

  /** Resolves when cond() is true (re-checked on every socket event); rejects after timeoutMs,
   *  or at once if the socket is gone and cond() is still false. */
  until(cond, timeoutMs = 5000, what = 'a condition') {
    if (cond()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const fail = (why) => {
        this.waiters.delete(check);
        clearTimeout(timer);
        const last = this.frames.slice(-8).map(describeFrame).join(', ');
        reject(new Error(`${why} waiting for ${what}; ${this.frames.length} frames, the last: [${last}]; ` +
          `end=${this.gotEnd} errors=[${this.errors.map((e) => e.code || e.message).join(',')}]`));
      };
      const check = () => {
        if (cond()) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve();
        } else if (this.isClosed) {
          fail('the connection closed');
        }
      };
      const timer = setTimeout(() => fail(`timed out after ${timeoutMs} ms`), timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Takes and returns the first inbox frame that pred accepts, waiting up to timeoutMs. */
  async next(pred = () => true, timeoutMs = 5000, what = 'a frame') {
    let found;
    await this.until(() => {
      const i = this.inbox.findIndex(pred);
      if (i < 0) return false;
      found = this.inbox.splice(i, 1)[0];
      return true;
    }, timeoutMs, what);
    return found;
  }

  /** Next text frame whose payload is exactly `text` (or any text frame if text is undefined). */
  nextText(text, timeoutMs = 5000) {
    return this.next((f) => f.opcode === OP.TEXT && (text === undefined || f.text === text), timeoutMs,
      text === undefined ? 'a text frame' : `text ${JSON.stringify(text)}`);
  }

  /** Next close frame, as {code, reason, frame}. */
  async nextClose(timeoutMs = 5000) {
    const f = await this.next((x) => x.opcode === OP.CLOSE, timeoutMs, 'a close frame');
    return { ...parseClose(f.payload), frame: f };
  }

  /** Inbox frames that are not Action Cable pings. */
  nonPings() {
    return this.inbox.filter((f) => !(f.opcode === OP.TEXT && /^\{"type":"ping","message":\d+\}$/.test(f.text)));
  }

  write(buf) { this.sock.write(buf); }
  sendFrame(opts) { this.sock.write(encodeFrame(opts)); }
  sendText(text, opts = {}) { this.sendFrame({ opcode: OP.TEXT, payload: text, ...opts }); }
  sendClose(code, reason = '') { this.sendFrame({ opcode: OP.CLOSE, payload: code === undefined ? Buffer.alloc(0) : closePayload(code, reason) }); }

  /** Resolves once the server has sent FIN (or the socket is gone). */
  waitEnd(timeoutMs = 5000) { return this.until(() => this.gotEnd || this.isClosed, timeoutMs, 'the server to close TCP'); }

  pause() { this.sock.pause(); }
  resume() { this.sock.resume(); }
  destroy() { this.sock.destroy(); }
}

module.exports = { OP, acceptFor, encodeFrame, closePayload, parseClose, FrameDecoder, RawClient, describeFrame };
