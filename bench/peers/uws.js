// bench/peers/uws.js: the smallest uWebSockets server doing cabled's job in
// the side-by-side benchmark (bench/compare.sh), with the plain protocol of
// bench_fanout --protocol plain:
//
//   GET /cable    upgrade; a text message {"command":"subscribe","identifier":I}
//                 subscribes to the one topic and is answered
//                 {"identifier":I,"type":"confirm_subscription"}
//   GET /publish  upgrade; every text message is published to the topic as
//                 it is, without acknowledgement (the publisher sends the
//                 exact frame subscribers should get)
//   every 3 s     {"type":"ping","message":<unix seconds>} to every
//                 subscriber, as cabled and Action Cable send (uWS has none
//                 of its own: its protocol pings are turned off here)
//
// Slow readers: each socket may queue 4 MiB (cabled's --max-outbuf
// default), then it is closed, where uWS would otherwise skip messages.
//
// Usage: node uws.js PORT   (0: any free port). Prints "listening on PORT".
'use strict';
const uWS = require('uwebsockets');

const TOPIC = 'bench';
const PING_TOPIC = 'ping';
const OUTBUF_MAX = 4 * 1024 * 1024;

const app = uWS.App();
app.ws('/cable', {
  compression: uWS.DISABLED,
  maxPayloadLength: 1024 * 1024,
  idleTimeout: 0,
  sendPingsAutomatically: false,
  maxBackpressure: OUTBUF_MAX,
  closeOnBackpressureLimit: true,
  open: (ws) => ws.subscribe(PING_TOPIC),
  message: (ws, message) => {
    const text = Buffer.from(message).toString();
    let cmd;
    try {
      cmd = JSON.parse(text);
    } catch {
      return;
    }
    if (cmd.command !== 'subscribe') return;
    ws.subscribe(TOPIC);
    ws.send(JSON.stringify({ identifier: cmd.identifier, type: 'confirm_subscription' }));
  },
});
app.ws('/publish', {
  compression: uWS.DISABLED,
  maxPayloadLength: 16 * 1024 * 1024,
  idleTimeout: 0,
  sendPingsAutomatically: false,
  message: (ws, message) => app.publish(TOPIC, message),
});

setInterval(() => {
  app.publish(PING_TOPIC, `{"type":"ping","message":${Math.floor(Date.now() / 1000)}}`);
}, 3000);

app.listen('127.0.0.1', Number(process.argv[2] || 0), (ls) => {
  if (!ls) {
    console.error('uws: cannot listen');
    process.exit(1);
  }
  console.log(`listening on ${uWS.us_socket_local_port(ls)}`);
});
process.on('SIGTERM', () => process.exit(0));
