// tests/integration/lib/http.js — plain HTTP calls to cabled: request(), broadcast() and api(),
// and the admin fixtures createMember(), createMembers() and createRoom().
//
// Each call uses a fresh connection (no agent pooling), so one test's keep-alive socket never
// carries another's request, and resolves with {status, headers, body (string), json()}.
// The fixtures go through the admin API with the app token and throw unless it answers 201, so a
// test's setup fails loudly, with the server's answer, instead of a later assert.

'use strict';

const http = require('node:http');
const https = require('node:https');

/**
 * Sends one HTTP request to 127.0.0.1:port.
 * opts: method (GET), path (/), headers ({}), body (string | Buffer | undefined), ca (a CA's PEM:
 * HTTPS, trusting only that CA).
 * Resolves with {status, headers, body, json()}; rejects on socket errors or after timeoutMs.
 */
function request(port, { method = 'GET', path = '/', headers = {}, body, timeoutMs = 10000, ca } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (body !== undefined && h['Content-Length'] === undefined) h['Content-Length'] = Buffer.byteLength(body);
    const options = { host: '127.0.0.1', port, method, path, headers: h, agent: false };
    const req = ca ? https.request({ ...options, ca }) : http.request(options);
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
    method: 'POST', path: '/api/v1/broadcast', headers: h, ca: server.ca,
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
  });
}

/** broadcast() that must answer 202; throws with the status and body otherwise. */
async function publish(server, body, opts) {
  const r = await broadcast(server, body, opts);
  if (r.status !== 202) throw new Error(`broadcast answered ${r.status} ${r.body}, expected 202`);
  return r;
}

/**
 * A JSON API call on server: method and path as given; body an object/array (JSON-encoded here),
 * a raw string or Buffer sent as is, or undefined for none. token defaults to server.appToken
 * (sent as `Authorization: Bearer`); pass null to send no Authorization. Resolves as request().
 */
function api(server, method, path, body, { token = server.appToken, headers = {} } = {}) {
  const h = { ...headers };
  if (body !== undefined && h['Content-Type'] === undefined) h['Content-Type'] = 'application/json';
  if (token !== null) h.Authorization = `Bearer ${token}`;
  const raw = body === undefined || typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return request(server.port, { method, path, headers: h, body: raw, ca: server.ca });
}

let memberSeq = 0;

/**
 * Creates one community member through POST /api/admin/v2/community_members and resolves with
 * the 201 body ({id, …}). fields are sent as given; without an email one unique to this process
 * is made up (so two files, or two servers, never collide on a 409), without a name one too.
 */
async function createMember(server, fields = {}) {
  const n = ++memberSeq;
  const body = { email: `it-member-${process.pid}-${n}@example.com`, name: `Member ${n}`, ...fields };
  const r = await api(server, 'POST', '/api/admin/v2/community_members', body);
  if (r.status !== 201) throw new Error(`creating member ${JSON.stringify(body)} answered ${r.status} ${r.body}, expected 201`);
  return r.json();
}

/**
 * Creates `count` members one after another (ids increase in creation order: 1..count in a fresh
 * database) and resolves with their ids.
 */
async function createMembers(server, count) {
  const ids = [];
  for (let i = 0; i < count; i++) ids.push((await createMember(server)).id);
  return ids;
}

/**
 * Creates a room through POST /api/admin/v2/chat_rooms and resolves with the ChatRoom
 * ({id, uuid, identifier, …}) that the 201 body {"chat_room": {…}} wraps. memberIds: its participants (each must exist; `direct`
 * takes exactly two). kind: 'group_chat' (default), 'direct', 'space', 'lesson' or 'event'.
 * name defaults to "Room".
 */
async function createRoom(server, memberIds, kind = 'group_chat', name = 'Room') {
  const body = { kind, name, community_member_ids: memberIds };
  const r = await api(server, 'POST', '/api/admin/v2/chat_rooms', body);
  if (r.status !== 201) throw new Error(`creating room ${JSON.stringify(body)} answered ${r.status} ${r.body}, expected 201`);
  const wrapped = r.json();
  const keys = wrapped && typeof wrapped === 'object' ? Object.keys(wrapped) : [];
  if (keys.length !== 1 || keys[0] !== 'chat_room' || !wrapped.chat_room || typeof wrapped.chat_room !== 'object') {
    throw new Error(`creating room ${JSON.stringify(body)} answered ${r.body}, expected {"chat_room": {…}}`);
  }
  return wrapped.chat_room;
}

module.exports = { request, broadcast, publish, api, createMember, createMembers, createRoom };
