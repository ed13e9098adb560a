/* bench/wsz: permessage-deflate for the generator's subscribers. See
 * wsz.h. */
#include "wsz.h"

#include <string.h>
#include <zlib.h>

static z_stream inflater;
static int ready;
static buf_t text;

void wsz_offer(buf_t *request)
{
    /* Before the empty line that ends the head. */
    request->len -= 2;
    buf_puts(request, "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n");
}

int wsz_agreed(const char *p, size_t len)
{
    return memmem(p, len, "permessage-deflate; server_no_context_takeover", 46) != NULL;
}

const char *wsz_inflate(const void *in, size_t len, size_t *out_len)
{
    static const uint8_t tail[4] = {0x00, 0x00, 0xFF, 0xFF};
    if (!ready) {
        if (inflateInit2(&inflater, -15) != Z_OK) return NULL;
        ready = 1;
    } else {
        inflateReset(&inflater);
    }
    buf_reset(&text);
    const void *pieces[2] = {in, tail};
    size_t sizes[2] = {len, sizeof tail};
    for (int i = 0; i < 2; i++) {
        inflater.next_in = (Bytef *)pieces[i];
        inflater.avail_in = (uInt)sizes[i];
        do {
            size_t room = 4 * len + 4096;
            inflater.next_out = (Bytef *)buf_reserve(&text, room);
            inflater.avail_out = (uInt)room;
            int rc = inflate(&inflater, Z_SYNC_FLUSH);
            buf_commit(&text, room - inflater.avail_out);
            if (rc == Z_STREAM_END) break;
            if (rc != Z_OK && rc != Z_BUF_ERROR) return NULL;
        } while (inflater.avail_out == 0);
    }
    *out_len = text.len;
    return buf_head(&text);
}

void wsz_free(void)
{
    if (ready) inflateEnd(&inflater);
    ready = 0;
    buf_deinit(&text);
}
