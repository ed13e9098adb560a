// The admin API for community members on the real binary and its SQLite file:
// POST /api/admin/v2/community_members (the exact 201 body; email trimmed and lower-cased;
// first/last name split at the first space; 409 for a duplicate email, case-insensitive, or
// sso_user_id; every 400 with the field it names; malformed and non-object bodies) and
// GET /api/admin/v2/community_members (defaults, pages over 25 members, has_next_page, page_count,
// per_page bounds, bad page/per_page). Also, for every admin and Headless Auth route: 401 for a
// missing or wrong app token (exact body, nothing created), 404 for unknown paths and 405 for
// wrong methods.

'use strict';

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, stopAll } = require('./lib/server');
const { assertComponent } = require('./lib/openapi');
const { api } = require('./lib/http');

const MEMBERS = '/api/admin/v2/community_members';
const ISO_MS_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const errorBody = (message, details = {}) => ({ success: false, message, error_details: details });
const fieldError = (field, problem) => errorBody(`${field} ${problem}`, { [field]: [problem] });
const UNAUTHORIZED = errorBody('Your account could not be authenticated.');

/** Asserts status and the exact parsed JSON body. */
function assertJSON(r, status, body, what = '') {
  assert.equal(r.status, status, `${what} status; body ${r.body}`);
  assert.match(String(r.headers['content-type']), /^application\/json/, `${what} content-type`);
  assert.deepEqual(r.json(), body, what);
}

const MEMBER_KEYS = ['id', 'name', 'first_name', 'last_name', 'email', 'headline', 'avatar_url', 'sso_user_id',
  'sso_provider_user_id', 'community_id', 'created_at', 'updated_at', 'last_seen_at', 'profile_confirmed_at',
  'profile_url', 'public_uid', 'user_id', 'accepted_invitation', 'active', 'member_tags', 'profile_fields',
  'flattened_profile_fields', 'posts_count', 'comments_count', 'sgid'];

/** Asserts a member object (Circle's community_member, with cabled's sgid and sso_user_id): the
 *  exact fields expected, a positive integer id, ISO timestamps with milliseconds taken between
 *  t0 and t1 (ms), updated_at equal to created_at. */
function assertMember(got, expected, t0, t1) {
  assertComponent(got, 'admin', 'community_member', 'member');
  assert.ok(Number.isInteger(got.id) && got.id > 0, `id ${got.id}`);
  assert.match(got.created_at, ISO_MS_RE);
  assert.equal(got.updated_at, got.created_at);
  const at = Date.parse(got.created_at);
  assert.ok(at >= t0 - 1000 && at <= t1 + 1000, `created_at ${got.created_at} outside the request`);
  assert.match(got.public_uid, /^[0-9a-f]{8}$/);
  assert.match(got.sgid, /^[A-Za-z0-9_-]+--[0-9a-f]{40}$/);
  const sso = expected.sso_user_id || null;
  assert.deepEqual(got, {
    id: got.id, avatar_url: null, sso_user_id: null, community_id: 1, ...expected, headline: null,
    sso_provider_user_id: sso, created_at: got.created_at, updated_at: got.updated_at, last_seen_at: null,
    profile_confirmed_at: null, profile_url: '', public_uid: got.public_uid, user_id: got.id, accepted_invitation: null,
    active: true, member_tags: [], profile_fields: [], flattened_profile_fields: {}, posts_count: 0, comments_count: 0,
    sgid: got.sgid,
  });
  assert.deepEqual(Object.keys(got), MEMBER_KEYS, 'key order');
}

/** Asserts a 201 body: Circle's {message, community_member}, the member's fields also at the top
 *  level; returns the member. */
function assertCreated(body, expected, t0, t1) {
  assertComponent(body, 'admin', 'community_member_created', '201 body');
  assert.equal(body.message, 'The community member has been created.');
  assertMember(body.community_member, expected, t0, t1);
  const { message, community_member: member, ...top } = body;
  assert.deepEqual(top, member, 'the member at the top level too');
  return member;
}

let seq = 0;
/** A fresh email for this file's server. */
const email = (tag = 'm') => `${tag}${++seq}@example.com`;

describe('POST /api/admin/v2/community_members', () => {
  let server;
  before(async () => { server = await startServer({ args: ['--threads', '4'] }); });
  after(stopAll);

  async function create(body, opts) {
    return api(server, 'POST', MEMBERS, body, opts);
  }
  async function count() {
    const r = await api(server, 'GET', `${MEMBERS}?per_page=1`);
    assert.equal(r.status, 200, r.body);
    return r.json().count;
  }

  it('creates a member with email and name: 201 and the exact member', async () => {
    const t0 = Date.now();
    const r = await create({ email: 'ann.lee@example.com', name: 'Ann Lee' });
    const t1 = Date.now();
    assert.equal(r.status, 201, r.body);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assertCreated(r.json(), { name: 'Ann Lee', first_name: 'Ann', last_name: 'Lee', email: 'ann.lee@example.com' }, t0, t1);
  });

  it('keeps sso_user_id and avatar_url (https and http)', async () => {
    const t0 = Date.now();
    const a = await create({ email: 'sso.one@example.com', name: 'Sso One', sso_user_id: 'sso-1', avatar_url: 'https://cdn.example.com/a.png' });
    const b = await create({ email: 'sso.two@example.com', name: 'Sso Two', sso_user_id: 'sso-2', avatar_url: 'http://cdn.example.com/b.png' });
    const t1 = Date.now();
    assert.equal(a.status, 201, a.body);
    assert.equal(b.status, 201, b.body);
    assertCreated(a.json(), { name: 'Sso One', first_name: 'Sso', last_name: 'One', email: 'sso.one@example.com',
      sso_user_id: 'sso-1', avatar_url: 'https://cdn.example.com/a.png' }, t0, t1);
    assertCreated(b.json(), { name: 'Sso Two', first_name: 'Sso', last_name: 'Two', email: 'sso.two@example.com',
      sso_user_id: 'sso-2', avatar_url: 'http://cdn.example.com/b.png' }, t0, t1);
    assert.ok(b.json().id > a.json().id, 'ids grow');
  });

  it('null sso_user_id and avatar_url are the same as absent', async () => {
    const t0 = Date.now();
    const r = await create({ email: 'nulls@example.com', name: 'Nulls', sso_user_id: null, avatar_url: null });
    assert.equal(r.status, 201, r.body);
    assertCreated(r.json(), { name: 'Nulls', first_name: 'Nulls', last_name: null, email: 'nulls@example.com' }, t0, Date.now());
  });

  it('trims and lower-cases the email', async () => {
    const t0 = Date.now();
    const r = await create({ email: '  Bob.Marley@Example.COM \t', name: 'Bob Marley' });
    assert.equal(r.status, 201, r.body);
    assertCreated(r.json(), { name: 'Bob Marley', first_name: 'Bob', last_name: 'Marley', email: 'bob.marley@example.com' }, t0, Date.now());
  });

  it('splits first_name and last_name at the first space; one word leaves last_name null', async () => {
    const r1 = await create({ email: email(), name: 'Jean Claude Van Damme' });
    const r2 = await create({ email: email(), name: 'Cher' });
    const r3 = await create({ email: email(), name: 'Zoë Ünïcode' });
    assert.equal(r1.status, 201, r1.body);
    assert.equal(r2.status, 201, r2.body);
    assert.equal(r3.status, 201, r3.body);
    assert.deepEqual([r1.json().first_name, r1.json().last_name], ['Jean', 'Claude Van Damme']);
    assert.deepEqual([r2.json().first_name, r2.json().last_name], ['Cher', null]);
    assert.deepEqual([r3.json().name, r3.json().first_name, r3.json().last_name], ['Zoë Ünïcode', 'Zoë', 'Ünïcode']);
  });

  it('lists a created member exactly as the 201 body', async () => {
    const r = await create({ email: email(), name: 'Listed One', sso_user_id: 'listed-1', avatar_url: 'https://x.example/l.png' });
    assert.equal(r.status, 201, r.body);
    const created = r.json().community_member;
    const all = [];
    for (let page = 1; ; page++) {
      const l = await api(server, 'GET', `${MEMBERS}?page=${page}&per_page=100`);
      assert.equal(l.status, 200, l.body);
      all.push(...l.json().records);
      if (!l.json().has_next_page) break;
    }
    assert.deepEqual(all.find((m) => m.id === created.id), created);
  });

  describe('409 on a duplicate', () => {
    it('the same email: 409 and the exact body; nothing is created', async () => {
      const e = email('dup');
      assert.equal((await create({ email: e, name: 'First' })).status, 201);
      const before = await count();
      assertJSON(await create({ email: e, name: 'Second' }), 409,
        fieldError('email', 'has already been taken'));
      assert.equal(await count(), before);
    });

    it('the same email in another case and with spaces: 409', async () => {
      const e = email('case');
      assert.equal((await create({ email: e, name: 'First' })).status, 201);
      assertJSON(await create({ email: ` ${e.toUpperCase()} `, name: 'Second' }), 409,
        fieldError('email', 'has already been taken'));
      const mixed = e[0].toUpperCase() + e.slice(1).replace('example', 'EXAMPLE');
      assertJSON(await create({ email: mixed, name: 'Third' }), 409, fieldError('email', 'has already been taken'));
    });

    it('the same sso_user_id with another email: 409 naming sso_user_id; nothing is created', async () => {
      assert.equal((await create({ email: email(), name: 'Sso A', sso_user_id: 'shared-sso' })).status, 201);
      const before = await count();
      assertJSON(await create({ email: email(), name: 'Sso B', sso_user_id: 'shared-sso' }), 409,
        fieldError('sso_user_id', 'has already been taken'));
      assert.equal(await count(), before);
    });

    it('racing creations of one email (in several cases) or one sso_user_id: exactly one 201, the rest 409', async () => {
      const e = email('race');
      const byEmail = await Promise.all(Array.from({ length: 12 }, (_, i) =>
        create({ email: i % 2 ? e.toUpperCase() : e, name: `Racer ${i}` })));
      assert.deepEqual(byEmail.map((r) => r.status).sort(), [201, ...Array(11).fill(409)], byEmail.map((r) => r.body).join('\n'));
      for (const r of byEmail.filter((x) => x.status === 409)) assert.deepEqual(r.json(), fieldError('email', 'has already been taken'));
      const bySso = await Promise.all(Array.from({ length: 12 }, () => create({ email: email('racesso'), name: 'Sso Racer', sso_user_id: 'race-sso' })));
      assert.deepEqual(bySso.map((r) => r.status).sort(), [201, ...Array(11).fill(409)], bySso.map((r) => r.body).join('\n'));
      for (const r of bySso.filter((x) => x.status === 409)) assert.deepEqual(r.json(), fieldError('sso_user_id', 'has already been taken'));
    });

    it('the member whose creation failed can be created once the clash is gone (new email)', async () => {
      const r = await create({ email: email(), name: 'After Clash', sso_user_id: 'after-clash' });
      assert.equal(r.status, 201, r.body);
    });
  });

  describe('400 naming the field', () => {
    const cases = [
      ['missing email', { name: 'No Email' }, 'email', 'is required'],
      ['empty object', {}, 'email', 'is required'],
      ['null email', { email: null, name: 'Null Email' }, 'email', 'is required'],
      ['missing name', { email: 'no.name@example.com' }, 'name', 'is required'],
      ['null name', { email: 'null.name@example.com', name: null }, 'name', 'is required'],
      ['email a number', { email: 5, name: 'N' }, 'email', 'must be a string'],
      ['email an array', { email: ['a@example.com'], name: 'N' }, 'email', 'must be a string'],
      ['email an object', { email: { v: 'a@example.com' }, name: 'N' }, 'email', 'must be a string'],
      ['email true', { email: true, name: 'N' }, 'email', 'must be a string'],
      ['name a number', { email: 'num.name@example.com', name: 42 }, 'name', 'must be a string'],
      ['name an array', { email: 'arr.name@example.com', name: ['A'] }, 'name', 'must be a string'],
      ['sso_user_id a number', { email: 'sso.num@example.com', name: 'N', sso_user_id: 123 }, 'sso_user_id', 'must be a string'],
      ['avatar_url a number', { email: 'av.num@example.com', name: 'N', avatar_url: 1 }, 'avatar_url', 'must be a string'],
      ['email without @', { email: 'not-an-email', name: 'N' }, 'email', 'is invalid'],
      ['email with two @', { email: 'a@@example.com', name: 'N' }, 'email', 'is invalid'],
      ['email with nothing before @', { email: '@example.com', name: 'N' }, 'email', 'is invalid'],
      ['email with nothing after @', { email: 'a@', name: 'N' }, 'email', 'is invalid'],
      ['email whose domain has no dot', { email: 'a@localhost', name: 'N' }, 'email', 'is invalid'],
      ['email with a space inside', { email: 'a b@example.com', name: 'N' }, 'email', 'is invalid'],
      ['email with a trailing dot', { email: 'a@example.com.', name: 'N' }, 'email', 'is invalid'],
      ['blank email', { email: '   ', name: 'N' }, 'email', "can't be blank"],
      ['empty name', { email: 'empty.name@example.com', name: '' }, 'name', "can't be blank"],
      ['blank name', { email: 'blank.name@example.com', name: ' \t ' }, 'name', "can't be blank"],
      ['avatar_url ftp', { email: 'ftp@example.com', name: 'N', avatar_url: 'ftp://example.com/a.png' }, 'avatar_url', 'must be an http or https URL'],
      ['avatar_url javascript:', { email: 'js@example.com', name: 'N', avatar_url: 'javascript:alert(1)' }, 'avatar_url', 'must be an http or https URL'],
      ['avatar_url relative', { email: 'rel@example.com', name: 'N', avatar_url: '/a.png' }, 'avatar_url', 'must be an http or https URL'],
    ];
    for (const [what, body, field, problem] of cases) {
      it(`${what}: 400 "${field} ${problem}"`, async () => {
        assertJSON(await create(body), 400, fieldError(field, problem));
      });
    }

    it('none of the rejected bodies created a member', async () => {
      const l = await api(server, 'GET', `${MEMBERS}?per_page=100`);
      const emails = l.json().records.map((m) => m.email);
      for (const [, body] of cases) {
        if (typeof body.email === 'string' && body.email.includes('@')) {
          assert.ok(!emails.includes(body.email.trim().toLowerCase()), `${body.email} was created`);
        }
      }
    });
  });

  describe('bodies that are not a JSON object', () => {
    it('malformed JSON: 400 "Request body is not valid JSON"', async () => {
      assertJSON(await create('{"email":"x@example.com","name":'), 400, errorBody('Request body is not valid JSON'));
      assertJSON(await create('{email: "x@example.com"}'), 400, errorBody('Request body is not valid JSON'));
    });
    for (const raw of ['[]', '[{"email":"arr@example.com","name":"A"}]', '"a string"', '5', 'null', 'true']) {
      it(`${raw}: 400`, async () => {
        const r = await create(raw);
        assert.equal(r.status, 400, r.body);
        const b = r.json();
        assert.equal(b.success, false);
        assert.equal(typeof b.message, 'string');
        assert.ok(b.message.length > 0);
        assert.deepEqual(b.error_details, {});
      });
    }
    it('no body at all: 400', async () => {
      const r = await create(undefined);
      assert.equal(r.status, 400, r.body);
      assert.equal(r.json().success, false);
    });
  });
});

describe('GET /api/admin/v2/community_members', () => {
  let server;
  const created = [];
  before(async () => { server = await startServer(); });
  after(stopAll);

  const list = (query = '') => api(server, 'GET', `${MEMBERS}${query}`);
  /** The page envelope expected over the 25 members. */
  const env = (page, perPage, hasNext, pageCount, records) => ({
    page, per_page: perPage, has_next_page: hasNext, count: 25, page_count: pageCount, records,
  });

  it('an empty community: count 0, page_count 0, no records', async () => {
    assertJSON(await list(), 200, { page: 1, per_page: 10, has_next_page: false, count: 0, page_count: 0, records: [] });
  });

  it('creates 25 members for the pages below', async () => {
    for (let i = 1; i <= 25; i++) {
      const r = await api(server, 'POST', MEMBERS, { email: `page${i}@example.com`, name: `Page Member${i}` });
      assert.equal(r.status, 201, r.body);
      created.push(r.json().community_member);
    }
    assert.deepEqual(created.map((m) => m.id), [...created.map((m) => m.id)].sort((a, b) => a - b), 'ids in creation order');
    assert.equal(new Set(created.map((m) => m.id)).size, 25);
  });

  it('defaults to page 1 of 10 per page', async () => {
    assertJSON(await list(), 200, env(1, 10, true, 3, created.slice(0, 10)));
  });

  it('pages 1..3 of 10 cover every member once, by id', async () => {
    assertJSON(await list('?page=1&per_page=10'), 200, env(1, 10, true, 3, created.slice(0, 10)));
    assertJSON(await list('?page=2&per_page=10'), 200, env(2, 10, true, 3, created.slice(10, 20)));
    assertJSON(await list('?page=3&per_page=10'), 200, env(3, 10, false, 3, created.slice(20, 25)));
  });

  it('a page past the end: no records, has_next_page false', async () => {
    assertJSON(await list('?page=4'), 200, env(4, 10, false, 3, []));
    assertJSON(await list('?page=1000&per_page=100'), 200, env(1000, 100, false, 1, []));
  });

  it('other page sizes: 7 (4 pages), 25 (1 page), 1 (25 pages), 100 (the maximum)', async () => {
    assertJSON(await list('?per_page=7&page=4'), 200, env(4, 7, false, 4, created.slice(21, 25)));
    assertJSON(await list('?per_page=7&page=3'), 200, env(3, 7, true, 4, created.slice(14, 21)));
    assertJSON(await list('?per_page=25'), 200, env(1, 25, false, 1, created));
    assertJSON(await list('?per_page=24'), 200, env(1, 24, true, 2, created.slice(0, 24)));
    assertJSON(await list('?per_page=1&page=25'), 200, env(25, 1, false, 25, [created[24]]));
    assertJSON(await list('?page=2&per_page=1'), 200, env(2, 1, true, 25, [created[1]]));
    assertJSON(await list('?per_page=100'), 200, env(1, 100, false, 1, created));
  });

  it('ignores unknown query parameters', async () => {
    assertJSON(await list('?sort=name&page=2&x=1'), 200, env(2, 10, true, 3, created.slice(10, 20)));
  });

  const bad = [
    ['page', '?page=0'], ['page', '?page=-1'], ['page', '?page=abc'], ['page', '?page=1.5'], ['page', '?page=2x'],
    ['per_page', '?per_page=0'], ['per_page', '?per_page=101'], ['per_page', '?per_page=-5'], ['per_page', '?per_page=ten'],
    ['per_page', '?page=1&per_page=1000'],
  ];
  for (const [field, query] of bad) {
    it(`${query}: 400 naming ${field}`, async () => {
      const r = await list(query);
      assert.equal(r.status, 400, r.body);
      const b = r.json();
      assert.equal(b.success, false);
      assert.ok(b.message.startsWith(`${field} `), `message ${JSON.stringify(b.message)} names ${field}`);
      assert.deepEqual(Object.keys(b.error_details), [field]);
      assert.equal(b.error_details[field].length, 1);
      assert.equal(b.message, `${field} ${b.error_details[field][0]}`);
    });
  }
});

describe('app token, unknown paths and wrong methods', () => {
  let server;
  let memberToken;
  before(async () => {
    server = await startServer();
    const r = await api(server, 'POST', MEMBERS, { email: 'owner@example.com', name: 'Owner' });
    assert.equal(r.status, 201, r.body);
    const t = await api(server, 'POST', '/api/v1/headless/auth_token', { email: 'owner@example.com' });
    assert.equal(t.status, 200, t.body);
    memberToken = t.json().access_token;
  });
  after(stopAll);

  const routes = [
    ['POST', MEMBERS, { email: 'should.not.exist@example.com', name: 'Nope' }],
    ['GET', MEMBERS, undefined],
    ['GET', `${MEMBERS}?page=1&per_page=5`, undefined],
    ['POST', '/api/v1/headless/auth_token', { email: 'owner@example.com' }],
    ['POST', '/api/v1/headless/access_token/revoke', { access_token: 'x.y.z' }],
    ['POST', '/api/v1/headless/refresh_token/revoke', { refresh_token: 'unknown' }],
  ];
  const badAuth = [
    ['no Authorization header', null, {}],
    ['a wrong app token', 'not-the-app-token', {}],
    ['the app token with a suffix', 'integration-app-tokenX', {}],
    ['a prefix of the app token', 'integration-app', {}],
    ['the app token in another case', 'INTEGRATION-APP-TOKEN', {}],
    ['an empty Bearer', '', {}],
    ['another scheme', null, { Authorization: 'Basic aW50ZWdyYXRpb24tYXBwLXRva2Vu' }],
    ['the app token without a scheme', null, { Authorization: 'integration-app-token' }],
  ];
  for (const [method, path, body] of routes) {
    for (const [what, token, headers] of badAuth) {
      it(`${method} ${path} with ${what}: 401`, async () => {
        assertJSON(await api(server, method, path, body, { token, headers }), 401, UNAUTHORIZED);
      });
    }
    it(`${method} ${path} with a member's access token instead of the app token: 401`, async () => {
      assertJSON(await api(server, method, path, body, { token: memberToken }), 401, UNAUTHORIZED);
    });
  }

  it('the app token is checked before the body: a bad body with a bad token is 401', async () => {
    assertJSON(await api(server, 'POST', MEMBERS, '{not json', { token: 'wrong' }), 401, UNAUTHORIZED);
    assertJSON(await api(server, 'POST', '/api/v1/headless/auth_token', '{}', { token: null }), 401, UNAUTHORIZED);
  });

  it('nothing was created by the refused calls', async () => {
    const r = await api(server, 'GET', `${MEMBERS}?per_page=100`);
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json().records.map((m) => m.email), ['owner@example.com']);
  });

  it('the same call with `Authorization: Bearer <app token>` is served', async () => {
    const r = await api(server, 'GET', MEMBERS, undefined, { token: null, headers: { Authorization: 'Bearer integration-app-token' } });
    assert.equal(r.status, 200, r.body);
  });

  const unknown = [
    ['GET', '/api/admin/v2/community_member'],
    ['GET', '/api/admin/v2/community_members/extra/path'],
    ['POST', '/api/admin/v1/community_members'],
    ['POST', '/api/v1/headless/auth_tokens'],
    ['POST', '/api/v1/headless/auth_token/x'],
    ['PATCH', '/api/v1/headless/access_token'],
    ['POST', '/api/v1/headless/access_token/refresh/now'],
    ['POST', '/api/v1/headless/refresh_token'],
    ['GET', '/api/v1/headless'],
    ['GET', '/api/v2/headless/auth_token'],
    ['GET', '/API/ADMIN/V2/COMMUNITY_MEMBERS'],
  ];
  for (const [method, path] of unknown) {
    it(`${method} ${path}: 404, with or without the app token`, async () => {
      assertJSON(await api(server, method, path, '{}'), 404, errorBody('Not found'));
      assertJSON(await api(server, method, path, '{}', { token: null }), 404, errorBody('Not found'));
    });
  }

  const wrongMethods = [
    [MEMBERS, ['PUT', 'PATCH', 'DELETE'], ['GET', 'POST']],
    [`${MEMBERS}/1`, ['POST', 'PUT', 'PATCH'], ['GET', 'DELETE']],
    ['/api/v1/headless/auth_token', ['GET', 'PUT', 'PATCH', 'DELETE'], ['POST']],
    ['/api/v1/headless/access_token/refresh', ['GET', 'POST', 'PUT', 'DELETE'], ['PATCH']],
    ['/api/v1/headless/access_token/revoke', ['GET', 'PUT', 'PATCH', 'DELETE'], ['POST']],
    ['/api/v1/headless/refresh_token/revoke', ['GET', 'PUT', 'PATCH', 'DELETE'], ['POST']],
  ];
  for (const [path, methods] of wrongMethods) {
    for (const method of methods) {
      it(`${method} ${path}: 405, with or without the app token`, async () => {
        assertJSON(await api(server, method, path, '{}'), 405, errorBody('Method not allowed'));
        assertJSON(await api(server, method, path, '{}', { token: null }), 405, errorBody('Method not allowed'));
      });
    }
  }

  // RFC 9110 section 15.5.6: a 405 response MUST carry an Allow header listing the methods the
  // resource supports.
  it('every 405 carries an Allow header with the methods of the path', async () => {
    const problems = [];
    for (const [path, methods, allowed] of wrongMethods) {
      const r = await api(server, methods[0], path, '{}');
      assert.equal(r.status, 405, r.body);
      const got = r.headers.allow === undefined ? undefined
        : r.headers.allow.split(',').map((m) => m.trim()).filter((m) => m !== 'HEAD' && m !== 'OPTIONS').sort();
      if (JSON.stringify(got) !== JSON.stringify([...allowed].sort())) {
        problems.push(`${methods[0]} ${path}: Allow ${JSON.stringify(r.headers.allow)}, expected ${allowed.join(', ')}`);
      }
    }
    assert.deepEqual(problems, []);
  });
});
