/* domain/demo: what `--demo` adds to an empty database so a person who
 * connects sees real events: three members (domain/community.h) and a
 * group room where they have already talked, with a thread. Blocking: call
 * at start, before the loops run. */
#ifndef DOMAIN_DEMO_H
#define DOMAIN_DEMO_H

#include "domain/chat.h"

/* With no room yet for the first member, create the "Welcome" room of
 * 'ids' (three members) with a few messages and a reply. Fills 'uuid' and
 * *room_id with the first member's first room either way. Returns 0 or an
 * error. */
int domain_demo_chat(const domain_chat_t *d, const long long ids[3], char uuid[40],
                     long long *room_id);

#endif
