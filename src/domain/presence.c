/* domain/presence: a member's presence record. See presence.h. */
#include "domain/presence.h"

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"

#include <string.h>

char *domain_presence_record(store_t *s, long long community_id, long long member_id)
{
    store_member_t m;
    if (s->ops->member_get(s, community_id, member_id, &m) != 0) return NULL;
    buf_t b = BUF_INIT;
    buf_printf(&b, "{\"community_member_id\":%lld,\"name\":", m.id);
    json_append_string(&b, m.name, strlen(m.name));
    buf_puts(&b, ",\"avatar_url\":");
    if (m.avatar_url)
        json_append_string(&b, m.avatar_url, strlen(m.avatar_url));
    else
        buf_puts(&b, "null");
    buf_puts(&b, "}");
    char *out = xstrndup(buf_head(&b), b.len);
    buf_deinit(&b);
    store_member_clear(&m);
    return out;
}
