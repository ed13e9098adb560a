# bench/lib.sh: what bench/run.sh, bench/deflate.sh and bench/cluster.sh
# share, sourced by each: starting and stopping cabled on a free loopback
# port and creating the room the subscribers join. Expects $BUILD (where cabled is) and $tmp (a scratch
# directory the caller removes).

# cabled_spawn NAME [PREFIX...] -- FLAGS...: start "$BUILD/cabled --listen
# 127.0.0.1:0 FLAGS..." in the background, run through PREFIX (taskset, say)
# if given, with its output in $tmp/NAME.out and $tmp/NAME.err; sets
# cabled_pid. PREFIX must exec the server (taskset does), so the pid is the
# server's.
cabled_spawn() {
    local name=$1 prefix=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        prefix+=("$1")
        shift
    done
    shift
    "${prefix[@]}" "$BUILD/cabled" --listen 127.0.0.1:0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    cabled_pid=$!
}

# stop_server: stop the server whose pid is in $server_pid, if any, wait for
# it and clear $server_pid.
stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
        server_pid=
    fi
}

# cabled_wait_port NAME PID: wait (up to 5 s) for the "cabled listening on"
# line of the server started as NAME and set cabled_port from it. Returns 1,
# with its stderr, if it exited or never said.
cabled_wait_port() {
    local name=$1 pid=$2
    cabled_port=
    for _ in $(seq 100); do
        cabled_port=$(sed -n 's|^cabled listening on https\{0,1\}://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$tmp/$name.out")
        [ -n "$cabled_port" ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "bench: cabled ($name) did not start:" >&2
    cat "$tmp/$name.err" >&2
    return 1
}

# create_room PORT APP_TOKEN [tls]: create a member and a group room holding it
# (POST /api/admin/v2/... with the app token, over HTTPS with "tls", the
# certificate unchecked) on the server at PORT; sets
# $member, $room and $room_uuid from what the API returns. Chats::RoomChannel is
# allowed only to a room's participants. node is there: `make bench`
# installs it with the test clients.
create_room() {
    local ids
    ids=$(node - "$1" "$2" "${3:-}" <<'JS'
const [port, appToken, tls] = process.argv.slice(2);
const http = require(tls ? 'node:https' : 'node:http');
function post(path, body) {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, agent: false, rejectUnauthorized: false, headers: {
      Authorization: `Bearer ${appToken}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) } },
    (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode !== 201) reject(new Error(`POST ${path}: ${res.statusCode} ${text}`));
        else resolve(JSON.parse(text));
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}
(async () => {
  const member = await post('/api/admin/v2/community_members', { email: 'bench@example.com', name: 'Bench' });
  // A single room comes wrapped as {"chat_room": {...}}, as in Circle's API.
  const room = await post('/api/admin/v2/chat_rooms', { kind: 'group_chat', name: 'Bench', community_member_ids: [member.id] });
  console.log(`${member.id} ${room.chat_room.id} ${room.chat_room.uuid}`);
})().catch((e) => { console.error(`bench: ${e.message}`); process.exit(1); });
JS
    ) || return 1
    read -r member room room_uuid <<<"$ids"
}

# free_port: print a loopback TCP port nobody listens on right now.
free_port() {
    node -e "const s = require('node:net').createServer();
s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });"
}
