/* core/metrics: the counters and their text export. See metrics.h. */
#include "core/metrics.h"

struct metrics metrics;

void metrics_append_text(buf_t *out)
{
#define METRICS_TEXT(name, type, help)                                            \
    buf_printf(out, "# HELP cabled_%s %s\n# TYPE cabled_%s %s\ncabled_%s %ld\n", #name, help, \
               #name, #type, #name, atomic_load_explicit(&metrics.name, memory_order_relaxed));
    METRICS_MAP(METRICS_TEXT)
#undef METRICS_TEXT
}
