/* pubsub/redis_scripts: the scripts' text and their SHA-1. See
 * redis_scripts.h for what each does and the keys they use. */
#include "pubsub/redis_scripts.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* KEYS: meta, history. ARGV: Action Cable's channel, cabled's channel,
 * message, an epoch for a stream starting over, now (s), history limit,
 * history ttl (s), how long the stream's position outlives it (s).
 * A stream whose position is gone starts over under the new epoch, its
 * history cleared: offsets never restart under an epoch clients hold. */
redis__script_t redis__script_publish = {
    "publish",
    "local ep = redis.call('HGET', KEYS[1], 'e')\n"
    "if not ep then\n"
    "  ep = ARGV[4]\n"
    "  redis.call('DEL', KEYS[2])\n"
    "  redis.call('HSET', KEYS[1], 'e', ep, 'o', 0, 'l', 0)\n"
    "end\n"
    "local off = redis.call('HINCRBY', KEYS[1], 'o', 1)\n"
    "redis.call('HSET', KEYS[1], 't', ARGV[5])\n"
    "redis.call('XADD', KEYS[2], off .. '-0', 't', ARGV[5], 'd', ARGV[3])\n"
    "local limit = tonumber(ARGV[6])\n"
    "local n = redis.call('XLEN', KEYS[2])\n"
    "if n > limit then\n"
    "  local old = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', n - limit)\n"
    "  redis.call('HSET', KEYS[1], 'l', old[#old][2][2])\n"
    "  redis.call('XTRIM', KEYS[2], 'MAXLEN', limit)\n"
    "end\n"
    "redis.call('EXPIRE', KEYS[2], ARGV[7])\n"
    "redis.call('EXPIRE', KEYS[1], ARGV[8])\n"
    "redis.call('PUBLISH', ARGV[2], '{\"k\":\"m\",\"e\":\"' .. ep .. '\",\"o\":' .. off .. "
    "',\"t\":' .. ARGV[5] .. '}')\n"
    "return redis.call('PUBLISH', ARGV[1], ARGV[3])\n",
    ""};

/* KEYS: meta, history. Returns {epoch, last offset, its time, lost time,
 * entries}. */
redis__script_t redis__script_history = {
    "history",
    "local m = redis.call('HMGET', KEYS[1], 'e', 'o', 't', 'l')\n"
    "return {m[1] or '', m[2] or '0', m[3] or '0', m[4] or '0', "
    "redis.call('XRANGE', KEYS[2], '-', '+')}\n",
    ""};

/* KEYS: session. ARGV: member, session JSON, ttl (s). */
redis__script_t redis__script_session_save = {
    "session_save",
    "if redis.call('GET', KEYS[1]) == 'taken' then return 0 end\n"
    "redis.call('SET', KEYS[1], ARGV[1] .. '\\n' .. ARGV[2], 'EX', ARGV[3])\n"
    "return 1\n",
    ""};

/* KEYS: session. ARGV: member. Returns the session JSON, or nil. */
redis__script_t redis__script_session_take = {
    "session_take",
    "local v = redis.call('GET', KEYS[1])\n"
    "if not v or v == 'taken' then return false end\n"
    "local nl = string.find(v, '\\n', 1, true)\n"
    "if not nl or string.sub(v, 1, nl - 1) ~= ARGV[1] then return false end\n"
    "redis.call('SET', KEYS[1], 'taken', 'KEEPTTL')\n"
    "return string.sub(v, nl + 1)\n",
    ""};

/* KEYS: records, the member's sids, deadlines. ARGV: member, sid, record,
 * deadline (ms), cabled's channel, stream. */
redis__script_t redis__script_presence_join = {
    "presence_join",
    "local existed = redis.call('HEXISTS', KEYS[1], ARGV[1])\n"
    "redis.call('SADD', KEYS[2], ARGV[2])\n"
    "redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])\n"
    "redis.call('ZADD', KEYS[3], ARGV[4], ARGV[6] .. '\\n' .. ARGV[1] .. '\\n' .. ARGV[2])\n"
    "if existed == 0 then\n"
    "  redis.call('PUBLISH', ARGV[5], '{\"k\":\"p\",\"d\":{\"type\":\"join\",\"id\":\"' .. ARGV[1] "
    ".. "
    "'\",\"info\":' .. ARGV[3] .. '}}')\n"
    "end\n"
    "return 1\n",
    ""};

/* KEYS: records, the member's sids, deadlines. ARGV: member, sid, cabled's
 * channel, stream. */
redis__script_t redis__script_presence_leave = {
    "presence_leave",
    "redis.call('ZREM', KEYS[3], ARGV[4] .. '\\n' .. ARGV[1] .. '\\n' .. ARGV[2])\n"
    "if redis.call('SREM', KEYS[2], ARGV[2]) == 0 then return 0 end\n"
    "if redis.call('SCARD', KEYS[2]) == 0 then\n"
    "  redis.call('HDEL', KEYS[1], ARGV[1])\n"
    "  redis.call('PUBLISH', ARGV[3], '{\"k\":\"p\",\"d\":{\"type\":\"leave\",\"id\":\"' .. "
    "ARGV[1] .. '\"}}')\n"
    "end\n"
    "return 1\n",
    ""};

/* KEYS: deadlines. ARGV: now (ms), the prefix. Connections past their
 * deadline leave; a member's last one announces it. */
redis__script_t redis__script_presence_sweep = {
    "presence_sweep",
    "local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 500)\n"
    "for _, e in ipairs(due) do\n"
    "  redis.call('ZREM', KEYS[1], e)\n"
    "  local stream, member, sid = string.match(e, '^(.*)\\n([^\\n]*)\\n([^\\n]*)$')\n"
    "  if stream then\n"
    "    local sids = ARGV[2] .. '_cabled:ps:' .. stream .. ':' .. member\n"
    "    if redis.call('SREM', sids, sid) == 1 and redis.call('SCARD', sids) == 0 then\n"
    "      redis.call('HDEL', ARGV[2] .. '_cabled:p:' .. stream, member)\n"
    "      redis.call('PUBLISH', ARGV[2] .. '_cabled:x:' .. stream, "
    "'{\"k\":\"p\",\"d\":{\"type\":\"leave\",\"id\":\"' .. member .. '\"}}')\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return #due\n",
    ""};

redis__script_t *const redis__scripts[] = {
    &redis__script_publish,        &redis__script_history,
    &redis__script_session_save,   &redis__script_session_take,
    &redis__script_presence_join,  &redis__script_presence_leave,
    &redis__script_presence_sweep, NULL,
};

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
    for (size_t i = 0; redis__scripts[i]; i++) {
        redis__script_t *s = redis__scripts[i];
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;
        if (!EVP_Digest(s->body, strlen(s->body), md, &n, EVP_sha1(), NULL)) abort();
        for (unsigned int j = 0; j < n && j < 20; j++) sprintf(s->sha + 2 * j, "%02x", md[j]);
    }
}

void redis__scripts_init(void)
{
    pthread_once(&once, init);
}
