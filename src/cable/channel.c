/* cable/channel: the registry of channels by name. See channel.h. */
#include "cable/channel.h"

#include <string.h>

#define CABLE_MAX_CHANNELS 16

static const cable_channel_t *channels[CABLE_MAX_CHANNELS];
static size_t channels_count;

void cable_channel_register(const cable_channel_t *ch)
{
    if (channels_count < CABLE_MAX_CHANNELS) channels[channels_count++] = ch;
}

const cable_channel_t *cable_channel_find(const char *name)
{
    for (size_t i = 0; i < channels_count; i++) {
        if (strcmp(channels[i]->name, name) == 0) return channels[i];
    }
    return NULL;
}
