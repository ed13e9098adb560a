/* pubsub/redis_scripts: the Lua scripts the redis adapter runs in Redis,
 * so that what must happen together happens at once there (a script runs
 * atomically: no other client's command runs in between):
 *
 *   publish        give a broadcast its stream's next offset, keep it in the
 *                  stream's history, and PUBLISH its position then the
 *                  message itself, in that order, on every node's link
 *   history        one stream's position and kept messages, as of one instant
 *   session_save   keep a session, unless it was taken
 *   session_take   take a session of one member, once
 *   presence_join / presence_leave / presence_sweep
 *                  a member's connections on a stream; the first join and
 *                  the last leave (explicit, or past its deadline) PUBLISH
 *                  the event, once, whichever node runs the script
 *
 * The keys, all under the adapter's channel prefix P:
 *
 *   P_cabled:s:<stream>           hash: e epoch, o last offset, t its time,
 *                                 l newest time of a message no longer kept
 *   P_cabled:h:<stream>           stream (XADD): id <offset>-0, fields t, d
 *   P_cabled:session:<sid>        "<member>\n<session JSON>", or "taken"
 *   P_cabled:p:<stream>           hash: member -> presence record
 *   P_cabled:ps:<stream>:<member> set of the member's connections (sids)
 *   P_cabled:pexp                 zset "<stream>\n<member>\n<sid>" -> deadline (unix ms)
 *
 * and the channels: P<stream> (Action Cable's: the message, as ever) and
 * P_cabled:x:<stream> (what only cabled reads: positions, whispers,
 * presence events; pubsub/envelope.h). */
#ifndef PUBSUB_REDIS_SCRIPTS_H
#define PUBSUB_REDIS_SCRIPTS_H

typedef struct redis__script {
    const char *name;
    const char *body;
    char sha[41]; /* SHA-1 of body, hex, set by redis__scripts_init */
} redis__script_t;

extern redis__script_t redis__script_publish;
extern redis__script_t redis__script_history;
extern redis__script_t redis__script_session_save;
extern redis__script_t redis__script_session_take;
extern redis__script_t redis__script_presence_join;
extern redis__script_t redis__script_presence_leave;
extern redis__script_t redis__script_presence_sweep;
/* Every script, NULL-terminated. */
extern redis__script_t *const redis__scripts[];

/* Compute every script's SHA-1 (once, before any is used). */
void redis__scripts_init(void);

#endif
