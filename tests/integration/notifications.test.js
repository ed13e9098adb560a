// In-app notifications on the real binary: POST /api/admin/v2/notifications (the exact 201 body,
// defaults, extra fields, every 400/401/404) and the NotificationChannel frames it produces
// (newNotification, then updateNewNotificationCount, byte for byte, on the recipient's sockets
// only); the Member API routes under /api/headless/v1/notifications (list paging, sort and status
// filters, new_notifications_count, reset, mark_all_as_read, :id/mark_as_read) with their events,
// error paths (401 without or with a wrong token, 404 for another member's or an unknown id, 400
// for bad parameters, 405 for a wrong method) and the count after sequences of those calls.
// "Nothing else arrived" is checked after a fence: a broadcast on the member's own stream.

'use strict';

const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, stopAll } = require('./lib/server');
const { assertComponent } = require('./lib/openapi');
const { api, publish } = require('./lib/http');
const { CableClient, closeAll, ident, railsJSON, frames, isPing, PROTOCOLS } = require('./lib/clients');

const ADMIN = '/api/admin/v2/notifications';
const BASE = '/api/headless/v1/notifications';
const ISO_MS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** The keys of Circle's notification object, in cabled's order: notifiable_id and notifiable
 *  only when there is one. */
const keysFor = (n) => ['id', 'created_at', 'read_at', 'action', ...(n.notifiable_id !== undefined ? ['notifiable_id'] : []),
  'display_action', 'notification_text_structure', 'actor_name', 'notifiable_title', 'actor_image', 'second_actor_image',
  'second_actor_name', 'notifiable_type', 'action_web_url', ...(n.notifiable_id !== undefined ? ['notifiable'] : []),
  'community_member_id', 'actor_id', 'notification_type', 'archived_at'];
const TEXT = ['actor_name', 'display_action', 'notifiable_title'];

const errorBody = (message, details = {}) => ({ success: false, message, error_details: details });
const fieldError = (field, problem) => errorBody(`${field} ${problem}`, { [field]: [problem] });
const UNAUTHORIZED = errorBody('Your account could not be authenticated.');
const NOT_FOUND = errorBody('Notification not found');

function assertJSON(r, status, body, what = '') {
  assert.equal(r.status, status, `${what} status; body ${r.body}`);
  assert.match(String(r.headers['content-type']), /^application\/json/, `${what} content-type`);
  assert.deepEqual(r.json(), body, what);
}

describe('notifications', () => {
  let server;
  let clients = [];
  let A; let B; let C; // members; C never gets anything
  let fenceSeq = 0;

  before(async () => {
    server = await startServer({ args: ['--threads', '2'] });
    [A, B, C] = await server.createMembers(3);
  });
  afterEach(() => { closeAll(clients); clients = []; });
  after(stopAll);

  const tokens = {};
  const token = (m) => (tokens[m] ||= server.token(m));
  const memberApi = (m, method, path, body) => api(server, method, path, body, { token: token(m) });
  const notifId = (m) => ident({ channel: 'NotificationChannel', community_member_id: m });
  const event = (m, name, data) => frames.data(notifId(m), railsJSON({ event: name, data }));
  const countEvent = (m, name, n) => event(m, name, { new_notifications_count: n });

  /** A welcomed client of member m subscribed to its NotificationChannel. */
  async function subscribed(m) {
    const c = await CableClient.connectWelcomed(server.wsUrl, { token: token(m), protocols: PROTOCOLS });
    clients.push(c);
    assert.equal(await c.subscribe(notifId(m)), 'confirm');
    return c;
  }

  /** Broadcasts a fence on m's own notification stream and waits for it on c; returns every other
   *  non-ping frame that arrived before it (and takes them out of the inbox). */
  async function fence(c, m) {
    const data = { fence: ++fenceSeq };
    await publish(server, { stream: `notification-channel-${m}`, data });
    const f = frames.data(notifId(m), railsJSON(data));
    await c.expect(f, { what: `the fence ${data.fence}` });
    return c.take((s) => !isPing(s));
  }

  /** Creates a notification through the admin API; resolves with the 201 response. */
  async function notify(member, fields = {}) {
    const r = await api(server, 'POST', ADMIN, { community_member_id: member, notifiable_title: 'T', ...fields });
    assert.equal(r.status, 201, r.body);
    return r;
  }

  async function newCount(m) {
    const r = await memberApi(m, 'GET', `${BASE}/new_notifications_count`);
    assert.equal(r.status, 200, r.body);
    return r.json().new_notifications_count;
  }

  describe('POST /api/admin/v2/notifications', () => {
    it('answers 201 with the Notification and sends newNotification then updateNewNotificationCount to the member only', async () => {
      const [a, b] = [await subscribed(A), await subscribed(B)];
      const before = await newCount(A);
      const t0 = Date.now();
      const r = await api(server, 'POST', ADMIN, {
        community_member_id: A, notifiable_type: 'Post', notifiable_title: 'A <b>bold</b> & new post',
        actor_name: 'Host App', action_web_url: 'https://example.com/posts/7?ref=n&x=1',
        display_action: 'posted in', notifiable_id: 7, space_id: 12, tags: ['x', null], id: 999,
        created_at: 'never', nested: { a: [1, 2.5, true] },
      });
      assert.equal(r.status, 201, r.body);
      assert.match(String(r.headers['content-type']), /^application\/json/);
      const n = r.json();
      assert.ok(Number.isInteger(n.id) && n.id > 0 && n.id !== 999, `id ${n.id}`);
      assert.match(n.created_at, ISO_MS_RE);
      const at = Date.parse(n.created_at);
      assert.ok(at >= t0 - 1000 && at <= Date.now() + 1000, `created_at ${n.created_at}`);
      assertComponent(n, 'client', 'notification', '201 body');
      assert.deepEqual(Object.keys(n), [...keysFor(n), 'space_id', 'tags', 'nested'], 'key order');
      assert.deepEqual(n, {
        id: n.id, created_at: n.created_at, read_at: null, action: 'notification', notifiable_type: 'Post',
        notifiable_id: 7, actor_name: 'Host App', notifiable_title: 'A <b>bold</b> & new post',
        display_action: 'posted in', action_web_url: 'https://example.com/posts/7?ref=n&x=1',
        notification_text_structure: TEXT, actor_image: null, second_actor_image: null, second_actor_name: null,
        notifiable: { id: 7, community_id: 1 }, notification_type: null, archived_at: null,
        community_member_id: A, actor_id: null, space_id: 12, tags: ['x', null], nested: { a: [1, 2.5, true] },
      });
      // The frame carries the same bytes as the 201 body, escaped as Action Cable does.
      assert.ok(r.body.includes('\\u003cb\\u003ebold\\u003c/b\\u003e \\u0026 new'), r.body);
      assert.equal(r.body, railsJSON(n));
      assert.equal(await a.expect((s) => !isPing(s)),
        `{"identifier":${JSON.stringify(notifId(A))},"message":{"event":"newNotification","data":${r.body}}}`);
      assert.equal(await a.expect((s) => !isPing(s)), countEvent(A, 'updateNewNotificationCount', before + 1));
      assert.deepEqual(await fence(a, A), []);
      assert.deepEqual(await fence(b, B), [], "B's socket gets nothing of A's notification");
    });

    it('defaults: action "notification", "" for the texts not sent (Circle types them as strings), no notifiable', async () => {
      const r = await notify(B, { notifiable_title: undefined });
      const n = r.json();
      assertComponent(n, 'client', 'notification', 'defaults');
      assert.deepEqual(n, {
        id: n.id, created_at: n.created_at, read_at: null, action: 'notification', notifiable_type: '',
        actor_name: '', notifiable_title: '', display_action: '', notification_text_structure: TEXT,
        actor_image: null, second_actor_image: null, second_actor_name: null,
        action_web_url: '', community_member_id: B, actor_id: null, notification_type: null, archived_at: null,
      });
      const s = await api(server, 'POST', ADMIN, { community_member_id: String(B), action: 'mention',
        actor_id: A, notifiable_id: '42', display_action: null });
      assert.equal(s.status, 201, s.body);
      assert.deepEqual([s.json().action, s.json().actor_id, s.json().notifiable_id, s.json().community_member_id],
        ['mention', A, 42, B]);
    });

    it('401 without the app token or with a member token; nothing is created', async () => {
      const before = await newCount(C);
      assertJSON(await api(server, 'POST', ADMIN, { community_member_id: C }, { token: null }), 401, UNAUTHORIZED);
      assertJSON(await api(server, 'POST', ADMIN, { community_member_id: C }, { token: token(C) }), 401, UNAUTHORIZED);
      assertJSON(await api(server, 'POST', ADMIN, { community_member_id: C }, { token: 'wrong' }), 401, UNAUTHORIZED);
      assert.equal(await newCount(C), before);
    });

    it('400 naming the field, 404 for an unknown member', async () => {
      const cases = [
        [{}, fieldError('community_member_id', 'is required')],
        [{ community_member_id: null }, fieldError('community_member_id', 'is required')],
        [{ community_member_id: 0 }, fieldError('community_member_id', 'is invalid')],
        [{ community_member_id: -3 }, fieldError('community_member_id', 'is invalid')],
        [{ community_member_id: 'x1' }, fieldError('community_member_id', 'is invalid')],
        [{ community_member_id: 1.5 }, fieldError('community_member_id', 'is invalid')],
        [{ community_member_id: C, notifiable_type: 5 }, fieldError('notifiable_type', 'must be a string')],
        [{ community_member_id: C, notifiable_title: {} }, fieldError('notifiable_title', 'must be a string')],
        [{ community_member_id: C, actor_name: true }, fieldError('actor_name', 'must be a string')],
        [{ community_member_id: C, action_web_url: [] }, fieldError('action_web_url', 'must be a string')],
        [{ community_member_id: C, display_action: 1 }, fieldError('display_action', 'must be a string')],
        [{ community_member_id: C, action: 7 }, fieldError('action', 'must be a string')],
        [{ community_member_id: C, action: '' }, fieldError('action', "can't be blank")],
        [{ community_member_id: C, notifiable_id: 'abc' }, fieldError('notifiable_id', 'must be an integer')],
        [{ community_member_id: C, notifiable_id: -1 }, fieldError('notifiable_id', 'must be an integer')],
        [{ community_member_id: C, actor_id: 'me' }, fieldError('actor_id', 'must be an integer')],
      ];
      for (const [body, expected] of cases) {
        assertJSON(await api(server, 'POST', ADMIN, body), 400, expected, JSON.stringify(body));
      }
      assertJSON(await api(server, 'POST', ADMIN, '{"community_member_id":'), 400, errorBody('Request body is not valid JSON'));
      assertJSON(await api(server, 'POST', ADMIN, '[1]'), 400, errorBody('Request body must be a JSON object'));
      assertJSON(await api(server, 'POST', ADMIN, { community_member_id: 999999 }), 404,
        errorBody('Community member not found'));
      assert.equal(await newCount(C), 0, 'nothing created for C');
    });
  });

  describe('Member API', () => {
    // A fresh member per test keeps counts independent of the other tests.
    let seq = 0;
    async function freshMember() {
      const r = await api(server, 'POST', '/api/admin/v2/community_members',
        { email: `notif-${process.pid}-${++seq}@example.com`, name: `N ${seq}` });
      assert.equal(r.status, 201, r.body);
      return r.json().id;
    }

    it('401 on every route without a token, with a wrong one, or with the app token', async () => {
      const routes = [['GET', BASE], ['GET', `${BASE}/new_notifications_count`],
        ['POST', `${BASE}/reset_new_notifications_count`], ['POST', `${BASE}/mark_all_as_read`],
        ['POST', `${BASE}/1/mark_as_read`]];
      for (const [method, path] of routes) {
        for (const tok of [null, 'not-a-jwt', server.appToken, server.token(A, { secret: 'other-secret' })]) {
          assertJSON(await api(server, method, path, undefined, { token: tok }), 401,
            errorBody('The access token is invalid.'), `${method} ${path}`);
        }
      }
      const wrong = await api(server, 'DELETE', BASE, undefined, { token: token(A) });
      assert.equal(wrong.status, 405, wrong.body);
      const wrong2 = await api(server, 'POST', `${BASE}/new_notifications_count`, undefined, { token: token(A) });
      assert.equal(wrong2.status, 405, wrong2.body);
    });

    it('lists newest first, pages, sorts oldest first and filters by status', async () => {
      const m = await freshMember();
      const ids = [];
      for (let i = 0; i < 7; i++) ids.push((await notify(m, { notifiable_title: `n${i}` })).json().id);
      await notify(B); // another member's, never listed
      for (const i of [1, 4]) assert.equal((await memberApi(m, 'POST', `${BASE}/${ids[i]}/mark_as_read`)).status, 200);

      const all = await memberApi(m, 'GET', BASE);
      assert.equal(all.status, 200, all.body);
      const body = all.json();
      assert.deepEqual(Object.keys(body), ['page', 'per_page', 'has_next_page', 'count', 'page_count', 'records']);
      assert.deepEqual({ ...body, records: body.records.map((n) => n.id) },
        { page: 1, per_page: 20, has_next_page: false, count: 7, page_count: 1, records: [...ids].reverse() });
      for (const n of body.records) {
        assert.deepEqual(Object.keys(n), keysFor(n));
        assert.equal(n.community_member_id, m);
      }
      assert.equal(body.records[0].notifiable_title, 'n6');

      const page = async (q) => {
        const r = await memberApi(m, 'GET', `${BASE}?${q}`);
        assert.equal(r.status, 200, `${q}: ${r.body}`);
        const j = r.json();
        return { ...j, records: j.records.map((n) => n.id) };
      };
      assert.deepEqual(await page('per_page=3&page=2'),
        { page: 2, per_page: 3, has_next_page: true, count: 7, page_count: 3, records: [ids[3], ids[2], ids[1]] });
      assert.deepEqual(await page('per_page=3&page=3'),
        { page: 3, per_page: 3, has_next_page: false, count: 7, page_count: 3, records: [ids[0]] });
      assert.deepEqual(await page('per_page=3&page=9'),
        { page: 9, per_page: 3, has_next_page: false, count: 7, page_count: 3, records: [] });
      assert.deepEqual((await page('sort=oldest')).records, ids);
      assert.deepEqual(await page('sort=oldest&per_page=3&page=3'),
        { page: 3, per_page: 3, has_next_page: false, count: 7, page_count: 3, records: [ids[6]] });
      assert.deepEqual((await page('sort=oldest&per_page=3&page=2')).records, [ids[3], ids[4], ids[5]]);
      assert.deepEqual((await page('sort=latest&per_page=2')).records, [ids[6], ids[5]]);
      assert.deepEqual((await page('sort=newest&status=all&per_page=2')).records, [ids[6], ids[5]]);
      assert.deepEqual(await page('status=read'),
        { page: 1, per_page: 20, has_next_page: false, count: 2, page_count: 1, records: [ids[4], ids[1]] });
      assert.deepEqual((await page('status=unread')).records, [ids[6], ids[5], ids[3], ids[2], ids[0]]);
      assert.deepEqual((await page('status=unread&sort=oldest&per_page=2&page=2')).records, [ids[3], ids[5]]);
      const read = await memberApi(m, 'GET', `${BASE}?status=read`);
      for (const n of read.json().records) assert.match(n.read_at, ISO_MS_RE);
      assert.deepEqual((await page('per_page=100')).records.length, 7);
    });

    it('400 for bad list parameters', async () => {
      const cases = [
        ['page=0', 'page', 'must be a positive integer'],
        ['page=abc', 'page', 'must be a positive integer'],
        ['page=', 'page', 'must be a positive integer'],
        ['page=-1', 'page', 'must be a positive integer'],
        ['per_page=0', 'per_page', 'must be an integer from 1 to 100'],
        ['per_page=101', 'per_page', 'must be an integer from 1 to 100'],
        ['per_page=2x', 'per_page', 'must be an integer from 1 to 100'],
        ['sort=random', 'sort', 'must be newest, latest or oldest'],
        ['status=seen', 'status', 'must be all, read or unread'],
        ['status=%zz', 'status', 'must be all, read or unread'],
      ];
      for (const [q, field, problem] of cases) {
        assertJSON(await memberApi(A, 'GET', `${BASE}?${q}`), 400, fieldError(field, problem), q);
      }
    });

    it("mark_as_read: 200 with read_at, the count event; 404 for another member's or an unknown id", async () => {
      const m = await freshMember();
      const c = await subscribed(m);
      const [n1, n2] = [(await notify(m)).json(), (await notify(m)).json()];
      const theirs = (await notify(B)).json();
      assert.equal(await newCount(m), 2);
      await fence(c, m);

      const t0 = Date.now();
      const r = await memberApi(m, 'POST', `${BASE}/${n1.id}/mark_as_read`);
      assert.equal(r.status, 200, r.body);
      const got = r.json();
      assert.match(got.read_at, ISO_MS_RE);
      assert.ok(Date.parse(got.read_at) >= t0 - 1000);
      assert.deepEqual(got, { ...n1, read_at: got.read_at });
      assert.deepEqual(await fence(c, m), [countEvent(m, 'updateNewNotificationCount', 1)]);
      assert.equal(await newCount(m), 1);

      // Again: same read_at, no event.
      const again = await memberApi(m, 'POST', `${BASE}/${n1.id}/mark_as_read`);
      assertJSON(again, 200, got);
      assert.deepEqual(await fence(c, m), []);

      for (const id of [theirs.id, 999999, 'abc', '0', '-1', '1.5']) {
        assertJSON(await memberApi(m, 'POST', `${BASE}/${id}/mark_as_read`), 404, NOT_FOUND, `id ${id}`);
      }
      // B's notification is untouched.
      const bList = await memberApi(B, 'GET', `${BASE}?per_page=100`);
      assert.equal(bList.json().records.find((n) => n.id === theirs.id).read_at, null);
      assert.deepEqual(await fence(c, m), []);
      assert.equal(await newCount(m), 1);

      // The last unread one takes the count to 0.
      assert.equal((await memberApi(m, 'POST', `${BASE}/${n2.id}/mark_as_read`)).status, 200);
      assert.deepEqual(await fence(c, m), [countEvent(m, 'updateNewNotificationCount', 0)]);
    });

    it('reset_new_notifications_count and mark_all_as_read: answers, events and counts after sequences', async () => {
      const m = await freshMember();
      const c = await subscribed(m);
      const other = await subscribed(C);
      assert.equal(await newCount(m), 0);
      const first = [];
      for (let i = 0; i < 3; i++) first.push((await notify(m)).json().id);
      assert.equal(await newCount(m), 3);
      await fence(c, m);

      // Reset: 0, the event, but the notifications stay unread.
      assertJSON(await memberApi(m, 'POST', `${BASE}/reset_new_notifications_count`), 200, { new_notifications_count: 0 });
      assert.deepEqual(await fence(c, m), [countEvent(m, 'resetNewNotificationCount', 0)]);
      assertJSON(await memberApi(m, 'GET', `${BASE}/new_notifications_count`), 200, { new_notifications_count: 0, new_mentions_count: 0, new_inbox_count: 0 });
      assert.equal((await memberApi(m, 'GET', `${BASE}?status=unread`)).json().count, 3);

      // A new one counts 1; reading one from before the reset changes nothing (no event).
      const fresh = (await notify(m)).json().id;
      await fence(c, m);
      assert.equal(await newCount(m), 1);
      assert.equal((await memberApi(m, 'POST', `${BASE}/${first[0]}/mark_as_read`)).status, 200);
      assert.deepEqual(await fence(c, m), []);
      assert.equal(await newCount(m), 1);

      // Two more, then reset twice: 0 both times.
      await notify(m);
      await notify(m);
      assert.equal(await newCount(m), 3);
      for (let i = 0; i < 2; i++) {
        assertJSON(await memberApi(m, 'POST', `${BASE}/reset_new_notifications_count`), 200, { new_notifications_count: 0 });
      }
      assert.equal(await newCount(m), 0);
      await fence(c, m);

      // Mark all: success, the event, nothing unread, count 0; a new one counts 1 again.
      await notify(m);
      assert.equal(await newCount(m), 1);
      await fence(c, m);
      assertJSON(await memberApi(m, 'POST', `${BASE}/mark_all_as_read`), 200, { success: true });
      assert.deepEqual(await fence(c, m), [countEvent(m, 'resetNewNotificationCount', 0)]);
      assert.equal(await newCount(m), 0);
      const unread = (await memberApi(m, 'GET', `${BASE}?status=unread`)).json();
      assert.equal(unread.count, 0);
      const read = (await memberApi(m, 'GET', `${BASE}?status=read`)).json();
      assert.equal(read.count, 7);
      assert.ok(read.records.some((n) => n.id === fresh));
      await notify(m);
      assert.equal(await newCount(m), 1);

      // With nothing unread, mark all still answers and announces 0.
      assertJSON(await memberApi(m, 'POST', `${BASE}/mark_all_as_read`), 200, { success: true });
      assertJSON(await memberApi(m, 'POST', `${BASE}/mark_all_as_read`), 200, { success: true });
      assert.equal(await newCount(m), 0);

      // C saw none of it.
      assert.deepEqual(await fence(other, C), []);
      assert.equal(await newCount(C), 0);
    });

    it("one member's reset and mark all leave another member's count alone", async () => {
      const [m1, m2] = [await freshMember(), await freshMember()];
      await notify(m1);
      await notify(m2);
      await notify(m2);
      assertJSON(await memberApi(m1, 'POST', `${BASE}/mark_all_as_read`), 200, { success: true });
      assertJSON(await memberApi(m1, 'POST', `${BASE}/reset_new_notifications_count`), 200, { new_notifications_count: 0 });
      assert.equal(await newCount(m2), 2);
      assert.equal((await memberApi(m2, 'GET', `${BASE}?status=unread`)).json().count, 2);
      assert.equal((await memberApi(m1, 'GET', BASE)).json().count, 1);
    });
  });
});
