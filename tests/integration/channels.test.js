// Channel subscriptions over a `ws` client (SPEC 2.3-2.4, reference §(b)-(h)): the exact
// confirm_subscription / reject_subscription bytes for every channel with the identifier echoed
// byte for byte (spacing and key order kept), member ids as numbers or numeric strings, other
// members' ids, unknown channels and bad parameters rejected, which stream each channel reads,
// duplicate subscribes (one delivery per broadcast), two identifier strings for one stream (one
// delivery per identifier), unsubscribe and re-subscribe, and malformed or unknown commands
// (reference §(f)-(h)), which are ignored while the connection keeps its pings and subscriptions.
// Chats::RoomChannel is allowed only to the participants of a stored room: members 1-5 and three
// group rooms are created through the admin API before the tests (room ids are the ones the API
// returns, and every expected identifier is built from them). A non-participant, a room that does
// not exist, and an unknown chat_room_uuid are rejected; chat_room_uuid streams what chat_room_id
// does; and although the room's answer waits for a store lookup, the commands after it in the
// same packet are answered after it, in order.
//
// "Nothing arrived" is checked after a barrier (lib/clients.js) or a fence broadcast on the same
// stream, never after a sleep.

'use strict';

const { describe, it, before, after, afterEach } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, stopAll } = require('./lib/server');
const { publish } = require('./lib/http');
const { CableClient, closeAll, ident, railsJSON, frames, isPing, PROTOCOLS, WELCOME_RE } = require('./lib/clients');
const { RawClient, OP, encodeFrame } = require('./lib/wire');

const ME = 1;

describe('channels', () => {
  let server;
  let clients = [];
  let raws = [];
  let fenceSeq = 0;
  // Group rooms: `room` holds ME and member 5, `room2` holds ME only, `othersRoom` holds 2 and 3.
  let room;
  let room2;
  let othersRoom;

  before(async () => {
    server = await startServer({ pingInterval: 1 });
    assert.deepEqual(await server.createMembers(5), [1, 2, 3, 4, 5], 'member ids in a fresh database');
    room = await server.createRoom([ME, 5]);
    room2 = await server.createRoom([ME]);
    othersRoom = await server.createRoom([2, 3]);
  });
  afterEach(() => {
    closeAll(clients);
    clients = [];
    for (const r of raws) r.destroy();
    raws = [];
  });
  after(stopAll);

  /** The Chats::RoomChannel identifier of a room (by id unless by is 'uuid'), and its stream. */
  const roomId = (r, by = 'id') => ident(by === 'uuid'
    ? { channel: 'Chats::RoomChannel', chat_room_uuid: r.uuid }
    : { channel: 'Chats::RoomChannel', chat_room_id: r.id });
  const roomStream = (r) => `chat-room-${r.id}-channel`;

  async function connect(member = ME) {
    const c = await CableClient.connectWelcomed(server.wsUrl, { token: server.token(member), protocols: PROTOCOLS });
    clients.push(c);
    return c;
  }

  /** Broadcasts data on stream, then a fence on the same stream, and waits until the fence has
   *  reached every identifier in fenceIds: any delivery of data has arrived by then. */
  async function broadcastFenced(c, stream, data, fenceIds) {
    await publish(server, { stream, data });
    const fence = { fence: ++fenceSeq };
    await publish(server, { stream, data: fence });
    for (const id of fenceIds) await c.expect(frames.data(id, railsJSON(fence)), { what: `the fence on ${id}` });
  }

  describe('confirm and reject bytes', () => {
    it('confirms each channel with the reference bytes', async () => {
      const c = await connect();
      const cases = [
        [ident({ channel: 'NotificationChannel', community_member_id: 1 }), 110],
        [ident({ channel: 'ChatRoomChannel', community_member_id: 1 }), 106],
        // 103 bytes in the reference, whose room id 42 has two digits.
        [roomId(room), 103 - 2 + String(room.id).length],
        [ident({ channel: 'Chats::CommunityMemberThreadsChannel', community_member_id: 1 }), 127],
      ];
      for (const [id, bytes] of cases) {
        c.send(frames.subscribe(id));
        const got = await c.expect((s) => !isPing(s), { what: `the answer to subscribe ${id}` });
        assert.equal(got, frames.confirm(id));
        assert.equal(Buffer.byteLength(got), bytes);
      }
      assert.equal(frames.confirm(cases[0][0]),
        String.raw`{"identifier":"{\"channel\":\"NotificationChannel\",\"community_member_id\":1}","type":"confirm_subscription"}`);
    });

    it("echoes the client's spacing and key order verbatim", async () => {
      const c = await connect();
      for (const id of [
        '{ "community_member_id" : 1 , "channel":"NotificationChannel" }',
        `{"chat_room_id":${room.id},"channel":"Chats::RoomChannel"}`,
        '{\n  "channel": "ChatRoomChannel"\n}',
      ]) {
        c.send(frames.subscribe(id));
        assert.equal(await c.expect((s) => !isPing(s)), frames.confirm(id));
      }
      assert.equal(frames.confirm('{ "community_member_id" : 1 , "channel":"NotificationChannel" }'),
        String.raw`{"identifier":"{ \"community_member_id\" : 1 , \"channel\":\"NotificationChannel\" }","type":"confirm_subscription"}`);
    });

    for (const channel of ['NotificationChannel', 'ChatRoomChannel', 'Chats::CommunityMemberThreadsChannel']) {
      it(`${channel}: own id as number, numeric string or absent confirms; another member's rejects`, async () => {
        const c = await connect();
        assert.equal(await c.subscribe(ident({ channel, community_member_id: ME })), 'confirm');
        assert.equal(await c.subscribe(ident({ channel, community_member_id: String(ME) })), 'confirm');
        assert.equal(await c.subscribe(ident({ channel })), 'confirm');
        for (const other of [2, '2', 'abc', 11]) {
          const id = ident({ channel, community_member_id: other });
          c.send(frames.subscribe(id));
          assert.equal(await c.expect((s) => !isPing(s)), frames.reject(id), `community_member_id ${JSON.stringify(other)}`);
        }
      });
    }

    it('rejects with the reference bytes (another member, 109 bytes)', async () => {
      const c = await connect();
      const id = ident({ channel: 'NotificationChannel', community_member_id: 2 });
      c.send(frames.subscribe(id));
      const got = await c.expect((s) => !isPing(s));
      assert.equal(got, String.raw`{"identifier":"{\"channel\":\"NotificationChannel\",\"community_member_id\":2}","type":"reject_subscription"}`);
      assert.equal(Buffer.byteLength(got), 109);
    });

    it('evaluates a rejected identifier again on the next subscribe (not remembered)', async () => {
      const c = await connect();
      const id = ident({ channel: 'NotificationChannel', community_member_id: 2 });
      assert.equal(await c.subscribe(id), 'reject');
      assert.equal(await c.subscribe(id), 'reject');
      assert.deepEqual(c.nonPings(), []);
    });

    it('rejects unknown channels and bad parameters (SPEC 2.3)', async () => {
      const c = await connect();
      for (const id of [
        ident({ channel: 'NoSuchChannel' }),
        ident({ channel: 'Object' }),
        ident({ channel: 'ActionCable::Channel::Base' }),
        ident({ channel: '' }),
        ident({ channel: 'notificationchannel', community_member_id: 1 }),
        ident({ channel: 'Chats::RoomChannel' }),
      ]) {
        c.send(frames.subscribe(id));
        assert.equal(await c.expect((s) => !isPing(s), { what: `the answer to ${id}` }), frames.reject(id));
      }
    });

    it('confirms Chats::RoomChannel for a participant of the room', async () => {
      const c = await connect(5);
      assert.equal(await c.subscribe(roomId(room)), 'confirm');
    });
  });

  describe('Chats::RoomChannel: participants only (SPEC 2.4)', () => {
    it("rejects a non-participant's subscribe to an existing room with the exact reject frame", async () => {
      const c = await connect(ME);
      const id = roomId(othersRoom);
      c.send(frames.subscribe(id));
      const got = await c.expect((s) => !isPing(s), { what: `the answer to subscribe ${id}` });
      assert.equal(got, frames.reject(id));
      assert.equal(got, String.raw`{"identifier":"{\"channel\":\"Chats::RoomChannel\",\"chat_room_id\":` +
        `${othersRoom.id}}","type":"reject_subscription"}`);
      // Also by uuid, and with the client's own spacing echoed.
      const spaced = `{ "channel" : "Chats::RoomChannel", "chat_room_id" : ${othersRoom.id} }`;
      for (const other of [roomId(othersRoom, 'uuid'), spaced]) {
        c.send(frames.subscribe(other));
        assert.equal(await c.expect((s) => !isPing(s)), frames.reject(other));
      }
      // Nothing of that room reaches the non-participant; a participant on the same stream is
      // the fence.
      const member = await connect(2);
      assert.equal(await member.subscribe(id), 'confirm', 'a participant of the same room');
      await publish(server, { stream: roomStream(othersRoom), data: { n: 1 } });
      assert.equal(await member.expect((s) => !isPing(s)), frames.data(id, '{"n":1}'));
      await c.barrier();
      assert.deepEqual(c.nonPings(), []);
    });

    it('rejects a subscribe to a room that does not exist (by id or by uuid)', async () => {
      const c = await connect(ME);
      for (const id of [
        ident({ channel: 'Chats::RoomChannel', chat_room_id: 999999 }),
        ident({ channel: 'Chats::RoomChannel', chat_room_id: othersRoom.id + 1000 }),
        ident({ channel: 'Chats::RoomChannel', chat_room_uuid: '00000000-0000-4000-8000-000000000000' }),
        ident({ channel: 'Chats::RoomChannel', chat_room_uuid: 'not-a-uuid' }),
        ident({ channel: 'Chats::RoomChannel', chat_room_uuid: '' }),
        ident({ channel: 'Chats::RoomChannel', chat_room_id: 0 }),
        ident({ channel: 'Chats::RoomChannel', chat_room_id: -1 }),
      ]) {
        c.send(frames.subscribe(id));
        assert.equal(await c.expect((s) => !isPing(s), { what: `the answer to ${id}` }), frames.reject(id));
      }
      assert.deepEqual(c.nonPings(), []);
    });

    it('chat_room_uuid confirms for a participant and streams the same broadcasts as chat_room_id', async () => {
      const c = await connect(ME);
      const byUuid = roomId(room, 'uuid');
      const byId = roomId(room);
      assert.equal(frames.confirm(byUuid), String.raw`{"identifier":"{\"channel\":\"Chats::RoomChannel\",\"chat_room_uuid\":\"` +
        String.raw`${room.uuid}\"}","type":"confirm_subscription"}`);
      assert.equal(await c.subscribe(byUuid), 'confirm');
      const other = await connect(5);
      assert.equal(await other.subscribe(byId), 'confirm');
      const data = { event: 'newMessage', data: { body: 'by uuid <b>' } };
      await publish(server, { stream: roomStream(room), data });
      assert.equal(await c.expect((s) => !isPing(s)), frames.data(byUuid, railsJSON(data)));
      assert.equal(await other.expect((s) => !isPing(s)), frames.data(byId, railsJSON(data)));

      // On one connection, by uuid and by id are two identifiers: one delivery each.
      assert.equal(await c.subscribe(byId), 'confirm');
      await broadcastFenced(c, roomStream(room), { n: 2 }, [byUuid, byId]);
      assert.deepEqual(c.take((s) => !isPing(s)).sort(), [frames.data(byUuid, '{"n":2}'), frames.data(byId, '{"n":2}')].sort());
      // Another room's stream is not this one's.
      await publish(server, { stream: roomStream(room2), data: { not: 'here' } });
      await broadcastFenced(c, roomStream(room), { n: 3 }, [byUuid, byId]);
      assert.deepEqual(c.take((s) => !isPing(s)).sort(), [frames.data(byUuid, '{"n":3}'), frames.data(byId, '{"n":3}')].sort());
    });

    /** A raw client past the welcome. */
    async function rawWelcomed(member = ME) {
      const r = await RawClient.connect(server.port);
      raws.push(r);
      await r.upgrade({ origin: server.origin, token: server.token(member) });
      assert.equal(r.head.status, 101, r.head.raw);
      await r.next((f) => f.opcode === OP.TEXT && WELCOME_RE.test(f.text), 5000, 'welcome');
      return r;
    }
    const textFrame = (s) => encodeFrame({ opcode: OP.TEXT, payload: s });
    /** The next n text frames that are not pings, as strings. */
    async function nextAnswers(r, n) {
      const out = [];
      for (let i = 0; i < n; i++) {
        const f = await r.next((x) => x.opcode === OP.TEXT && !isPing(x.text), 5000, `answer ${i + 1} of ${n}`);
        out.push(f.text);
      }
      return out;
    }

    it('answers a room subscribe before the commands that follow it in the same packet', async () => {
      const r = await rawWelcomed();
      const notif = ident({ channel: 'NotificationChannel', community_member_id: ME });
      const unknown = ident({ channel: 'NoSuchChannel' });
      const sequence = [roomId(room), notif, roomId(othersRoom), unknown, roomId(room2, 'uuid'),
        ident({ channel: 'ChatRoomChannel', community_member_id: 2 })];
      r.write(Buffer.concat(sequence.map((id) => textFrame(frames.subscribe(id)))));
      assert.deepEqual(await nextAnswers(r, sequence.length), [
        frames.confirm(sequence[0]),
        frames.confirm(notif),
        frames.reject(sequence[2]),
        frames.reject(unknown),
        frames.confirm(sequence[4]),
        frames.reject(sequence[5]),
      ]);
    });

    it('keeps the order of a subscribe, unsubscribe and subscribe of one room in one packet', async () => {
      const r = await rawWelcomed();
      const id = roomId(room);
      const notif = ident({ channel: 'NotificationChannel' });
      r.write(Buffer.concat([frames.subscribe(id), frames.unsubscribe(id), frames.subscribe(notif)].map(textFrame)));
      assert.deepEqual(await nextAnswers(r, 2), [frames.confirm(id), frames.confirm(notif)]);
      // The unsubscribe ran after the confirm: the room's broadcast does not arrive, the fence
      // after it on the member's notification stream does.
      await publish(server, { stream: roomStream(room), data: { gone: true } });
      await publish(server, { stream: `notification-channel-${ME}`, data: { fence: true } });
      await r.nextText(frames.data(notif, '{"fence":true}'));
      r.write(textFrame(frames.subscribe(id)));
      assert.equal((await nextAnswers(r, 1))[0], frames.confirm(id));
      await publish(server, { stream: roomStream(room), data: { back: true } });
      assert.equal((await nextAnswers(r, 1))[0], frames.data(id, '{"back":true}'));
      assert.deepEqual(r.nonPings().map((f) => f.text), []);
    });

    it('answers room subscribes sent in the same packet as the upgrade request, after the welcome', async () => {
      const r = await RawClient.connect(server.port);
      raws.push(r);
      const sequence = [roomId(room), ident({ channel: 'NotificationChannel' }), roomId(othersRoom)];
      await r.upgrade({ origin: server.origin, token: server.token(ME) },
        Buffer.concat(sequence.map((id) => textFrame(frames.subscribe(id)))));
      assert.equal(r.head.status, 101, r.head.raw);
      const texts = await nextAnswers(r, 4);
      assert.match(texts[0], WELCOME_RE);
      assert.deepEqual(texts.slice(1), [frames.confirm(sequence[0]), frames.confirm(sequence[1]), frames.reject(sequence[2])]);
    });

    it('connections that close while a room subscribe is pending leave the server serving', async () => {
      const id = roomId(room);
      const notif = ident({ channel: 'NotificationChannel' });
      const gone = await Promise.all(Array.from({ length: 20 }, () => rawWelcomed()));
      for (const [i, r] of gone.entries()) {
        r.write(Buffer.concat([frames.subscribe(id), frames.subscribe(notif)].map(textFrame)));
        if (i % 2) r.destroy(); else r.sendClose(1000);
      }
      await Promise.all(gone.map((r) => r.closed));
      const c = await connect(ME);
      assert.equal(await c.subscribe(id), 'confirm');
      await publish(server, { stream: roomStream(room), data: { after: 'closes' } });
      assert.equal(await c.expect((s) => !isPing(s)), frames.data(id, '{"after":"closes"}'));
    });

    it('a duplicate room subscribe in the same packet subscribes once', async () => {
      const r = await rawWelcomed();
      const id = roomId(room);
      const notif = ident({ channel: 'NotificationChannel' });
      r.write(Buffer.concat([frames.subscribe(id), frames.subscribe(id), frames.subscribe(notif)].map(textFrame)));
      assert.equal((await nextAnswers(r, 1))[0], frames.confirm(id));
      // A repeated confirm for the duplicate is tolerated (see 'subscription bookkeeping').
      let next = (await nextAnswers(r, 1))[0];
      if (next === frames.confirm(id)) next = (await nextAnswers(r, 1))[0];
      assert.equal(next, frames.confirm(notif));
      await publish(server, { stream: roomStream(room), data: { once: 1 } });
      await publish(server, { stream: roomStream(room), data: { once: 2 } });
      assert.deepEqual(await nextAnswers(r, 2), [frames.data(id, '{"once":1}'), frames.data(id, '{"once":2}')]);
      assert.deepEqual(r.nonPings().map((f) => f.text), []);
    });
  });

  describe('streams', () => {
    const table = [
      [{ channel: 'NotificationChannel', community_member_id: ME }, `notification-channel-${ME}`],
      [{ channel: 'NotificationChannel' }, `notification-channel-${ME}`],
      [{ channel: 'ChatRoomChannel', community_member_id: ME }, `chat-room-channel-${ME}`],
      [{ channel: 'ChatRoomChannel', community_member_id: String(ME) }, `chat-room-channel-${ME}`],
      [{ channel: 'Chats::CommunityMemberThreadsChannel', community_member_id: ME }, `chat-community-member-${ME}-threads-channel`],
      [{ channel: 'Chats::CommunityMemberThreadsChannel' }, `chat-community-member-${ME}-threads-channel`],
    ];
    for (const [params, stream] of table) {
      it(`${ident(params)} streams from ${stream}`, async () => {
        const c = await connect();
        const id = ident(params);
        assert.equal(await c.subscribe(id), 'confirm');
        const data = { event: 'newNotification', data: { id: 7, title: 'Hi' } };
        await publish(server, { stream, data });
        assert.equal(await c.expect((s) => !isPing(s)),
          String.raw`{"identifier":` + JSON.stringify(id) + String.raw`,"message":{"event":"newNotification","data":{"id":7,"title":"Hi"}}}`);
      });
    }

    it('{"channel":"Chats::RoomChannel","chat_room_id":<a room of the member>} streams from chat-room-<id>-channel', async () => {
      const c = await connect();
      const id = roomId(room);
      assert.equal(await c.subscribe(id), 'confirm');
      const data = { event: 'newNotification', data: { id: 7, title: 'Hi' } };
      await publish(server, { stream: `chat-room-${room.id}-channel`, data });
      assert.equal(await c.expect((s) => !isPing(s)),
        String.raw`{"identifier":` + JSON.stringify(id) + String.raw`,"message":{"event":"newNotification","data":{"id":7,"title":"Hi"}}}`);
    });

    it("does not deliver another member's streams", async () => {
      const c = await connect();
      const id = ident({ channel: 'NotificationChannel', community_member_id: ME });
      assert.equal(await c.subscribe(id), 'confirm');
      await publish(server, { stream: 'notification-channel-2', data: { for: 2 } });
      await publish(server, { stream: 'notification-channel-11', data: { for: 11 } });
      await broadcastFenced(c, `notification-channel-${ME}`, { for: ME }, [id]);
      assert.deepEqual(c.nonPings(), [frames.data(id, '{"for":1}')]);
    });
  });

  describe('subscription bookkeeping', () => {
    it('a duplicate subscribe of the same identifier string delivers each broadcast once', async () => {
      const c = await connect();
      const id = ident({ channel: 'ChatRoomChannel', community_member_id: ME });
      assert.equal(await c.subscribe(id), 'confirm');
      c.send(frames.subscribe(id));
      c.send(frames.subscribe(id));
      await c.barrier();
      // SPEC: no second subscription. Rails sends nothing for a duplicate; a repeated confirm is
      // tolerated because the official client re-sends subscribe until it hears back.
      const extra = c.take((s) => s === frames.confirm(id));
      assert.ok(extra.length <= 2, `confirms for duplicates: ${extra.length}`);
      assert.deepEqual(c.nonPings(), []);
      await broadcastFenced(c, `chat-room-channel-${ME}`, { n: 1 }, [id]);
      assert.deepEqual(c.nonPings(), [frames.data(id, '{"n":1}')]);
    });

    it('two identifier strings for one stream are two subscriptions: one delivery each', async () => {
      const c = await connect();
      const a = ident({ channel: 'NotificationChannel', community_member_id: ME });
      const b = ident({ community_member_id: ME, channel: 'NotificationChannel' });
      assert.equal(await c.subscribe(a), 'confirm');
      assert.equal(await c.subscribe(b), 'confirm');
      await broadcastFenced(c, `notification-channel-${ME}`, { n: 2 }, [a, b]);
      const got = c.nonPings().sort();
      assert.deepEqual(got, [frames.data(a, '{"n":2}'), frames.data(b, '{"n":2}')].sort());
    });

    it('unsubscribe stops delivery with no reply; re-subscribe confirms and delivers again', async () => {
      const c = await connect();
      const a = ident({ channel: 'ChatRoomChannel', community_member_id: ME });
      const keep = ident({ channel: 'ChatRoomChannel' });
      assert.equal(await c.subscribe(a), 'confirm');
      assert.equal(await c.subscribe(keep), 'confirm');
      c.send(frames.unsubscribe(a));
      await c.barrier();
      assert.deepEqual(c.nonPings(), [], 'unsubscribe has no reply');
      await broadcastFenced(c, `chat-room-channel-${ME}`, { n: 3 }, [keep]);
      assert.deepEqual(c.take((s) => !isPing(s)), [frames.data(keep, '{"n":3}')]);

      c.send(frames.unsubscribe(a));
      await c.barrier();
      assert.deepEqual(c.nonPings(), [], 'a second unsubscribe has no reply');

      assert.equal(await c.subscribe(a), 'confirm');
      await broadcastFenced(c, `chat-room-channel-${ME}`, { n: 4 }, [keep, a]);
      assert.deepEqual(c.take((s) => !isPing(s)).sort(), [frames.data(a, '{"n":4}'), frames.data(keep, '{"n":4}')].sort());
    });

    it('one connection can hold every channel at once', async () => {
      const c = await connect();
      const ids = [
        ident({ channel: 'NotificationChannel', community_member_id: ME }),
        ident({ channel: 'ChatRoomChannel', community_member_id: ME }),
        roomId(room),
        roomId(room2),
        ident({ channel: 'Chats::CommunityMemberThreadsChannel', community_member_id: ME }),
      ];
      for (const id of ids) assert.equal(await c.subscribe(id), 'confirm');
      const streams = [`notification-channel-${ME}`, `chat-room-channel-${ME}`, roomStream(room),
        roomStream(room2), `chat-community-member-${ME}-threads-channel`];
      for (let i = 0; i < ids.length; i++) await broadcastFenced(c, streams[i], { i }, [ids[i]]);
      const got = c.take((s) => !isPing(s));
      assert.deepEqual(got, ids.map((id, i) => frames.data(id, `{"i":${i}}`)));
    });
  });

  describe('malformed and unknown commands', () => {
    const SUBSCRIBED = ident({ channel: 'NotificationChannel', community_member_id: ME });
    const NOT_SUBSCRIBED = ident({ channel: 'ChatRoomChannel', community_member_id: ME });
    // Reference §(f)-(h): each gets no frame and the connection stays usable.
    const ignored = [
      ['malformed JSON', '{"command":"subscribe",'],
      ['not JSON at all', 'not json at all'],
      ['an empty text frame', ''],
      ['an unknown command', JSON.stringify({ command: 'frobnicate', identifier: SUBSCRIBED })],
      ['subscribe without identifier', '{"command":"subscribe"}'],
      ['unsubscribe without identifier', '{"command":"unsubscribe"}'],
      ['message without identifier', '{"command":"message","data":"{}"}'],
      ['a JSON array', '[]'],
      ['a JSON number', '42'],
      ['a JSON string', '"str"'],
      ['JSON null', 'null'],
      ['an empty object', '{}'],
      ["the seed's test message", JSON.stringify({ action: 'message', data: 'Hello Server!' })],
      ['unsubscribe of an identifier not subscribed', frames.unsubscribe(NOT_SUBSCRIBED)],
      ['message to an identifier not subscribed',
        JSON.stringify({ command: 'message', identifier: NOT_SUBSCRIBED, data: '{"action":"speak"}' })],
      ['message with an unknown action', JSON.stringify({ command: 'message', identifier: SUBSCRIBED, data: '{"action":"foo"}' })],
      ['message with no action', JSON.stringify({ command: 'message', identifier: SUBSCRIBED, data: '{"body":"x"}' })],
      ['message with data as an object', JSON.stringify({ command: 'message', identifier: SUBSCRIBED, data: { action: 'foo' } })],
      ['message with data that is not JSON', JSON.stringify({ command: 'message', identifier: SUBSCRIBED, data: 'nope' })],
      ['a command that is not a string', JSON.stringify({ command: 1, identifier: SUBSCRIBED })],
    ];
    // Rails logs these and sends nothing; SPEC 2.3 allows a reject (unknown channel / bad
    // parameters). Either is accepted; a reject must echo the identifier exactly.
    const ignoredOrRejected = [
      'not json',
      '{"community_member_id":1}',
      '{"channel":',
    ];

    for (const [name, text] of ignored) {
      it(`ignores ${name}`, async () => {
        const c = await connect();
        assert.equal(await c.subscribe(SUBSCRIBED), 'confirm');
        c.send(text);
        await c.barrier();
        assert.deepEqual(c.nonPings(), [], `answered ${JSON.stringify(text)}`);
        assert.equal(c.closeInfo, null, 'the connection closed');
      });
    }

    it('ignores all of them in a row; pings and subscriptions go on; a fresh client is served', { timeout: 20000 }, async () => {
      const c = await connect();
      assert.equal(await c.subscribe(SUBSCRIBED), 'confirm');
      for (const [, text] of ignored) c.send(text);
      for (const id of ignoredOrRejected) c.send(frames.subscribe(id));
      await c.barrier();
      const rejects = c.take((s) => ignoredOrRejected.some((id) => s === frames.reject(id)));
      assert.ok(rejects.length <= ignoredOrRejected.length);
      assert.deepEqual(c.nonPings(), []);

      c.take(isPing);
      await c.expect(isPing, { timeoutMs: 5000, what: 'a ping after the bad input' });
      await publish(server, { stream: `notification-channel-${ME}`, data: { still: 'here' } });
      assert.equal(await c.expect((s) => !isPing(s)), frames.data(SUBSCRIBED, '{"still":"here"}'));
      assert.equal(c.closeInfo, null);

      const fresh = await connect();
      assert.equal(await fresh.subscribe(SUBSCRIBED), 'confirm');
    });
  });
});
