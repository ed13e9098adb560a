// tests/integration/lib/http.js — plain HTTP calls to cabled: request() and broadcast().
//
// Each call uses a fresh connection (no agent pooling), so one test's keep-alive socket never
// carries another's request, and resolves with {status, headers, body (string), json()}.

'use strict';

const http = require('node:http');

/**
 * Sends one HTTP request to 127.0.0.1:port.
 * opts: method (GET), path (/), headers ({}), body (string | Buffer | undefined).
 * Resolves with {status, headers, body, json()}; rejects on socket errors or after timeoutMs.
 */
function request(port, { method = 'GET', path = '/', headers = {}, body, timeoutMs = 10000 } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (body !== undefined && h['Content-Length'] === undefined) h['Content-Length'] = Buffer.byteLength(body);
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: h, agent: false });
    const timer = setTimeout(() => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)), timeoutMs);
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: res.statusCode,
          headers: res.headers,
          body: text,
          json() {
            try { return JSON.parse(text); } catch (e) {
              throw new Error(`${method} ${path} -> ${res.statusCode}: body is not JSON: ${JSON.stringify(text)}`);
            }
          },
        });
      });
      res.on('error', (e) => { clearTimeout(timer); reject(e); });
    });
    req.on('upgrade', (res, socket) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`${method} ${path}: unexpected upgrade (${res.statusCode})`));
    });
    req.on('error', (e) => { clearTimeout(timer); reject(e); });
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/**
 * POSTs /api/v1/broadcast on server. body is an object or array (JSON-encoded here) or a raw
 * string sent as is. token defaults to server.appToken; pass null to send no Authorization.
 */
function broadcast(server, body, { token = server.appToken, headers = {} } = {}) {
  const h = { 'Content-Type': 'application/json', ...headers };
  if (token !== null) h.Authorization = `Bearer ${token}`;
  return request(server.port, {
    method: 'POST', path: '/api/v1/broadcast', headers: h,
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
}

/** broadcast() that must answer 202; throws with the status and body otherwise. */
async function publish(server, body, opts) {
  const r = await broadcast(server, body, opts);
  if (r.status !== 202) throw new Error(`broadcast answered ${r.status} ${r.body}, expected 202`);
  return r;
}

module.exports = { request, broadcast, publish };
