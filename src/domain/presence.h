/* domain/presence: what a member shows of themselves to the others in a
 * room's presence (the extended protocol's presence, cable/ext_presence.c):
 * their public fields only, never an email, and never what a client
 * claims. Blocking (store I/O). */
#ifndef DOMAIN_PRESENCE_H
#define DOMAIN_PRESENCE_H

#include "store/store.h"

/* The presence record of member 'member_id' of 'community_id' as compact
 * JSON, {"community_member_id":42,"name":"Ann Example","avatar_url":null}.
 * Returns owned (free), or NULL when the member is not found or the store
 * failed. */
char *domain_presence_record(store_t *s, long long community_id, long long member_id);

#endif
