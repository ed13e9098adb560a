/* channels/channels_internal.h: the channels defined in member.c, which
 * room.c registers with its own. Included by the files of src/channels/
only. */
#ifndef CHANNELS_CHANNELS_INTERNAL_H
#define CHANNELS_CHANNELS_INTERNAL_H

#include "cable/channel.h"

extern const cable_channel_t channels__notification;
extern const cable_channel_t channels__chat_room;
extern const cable_channel_t channels__member_threads;

#endif
