/* core/err: names and messages for error codes, see err.h. */
#include "core/err.h"

#include <string.h>

const char *err_name(int code)
{
    switch (code) {
#define ERR_NAME(name, value, msg) \
    case ERR_##name: return "ERR_" #name;
        ERR_MAP(ERR_NAME)
#undef ERR_NAME
    }
    return code == 0 ? "OK" : "ERRNO";
}

const char *err_str(int code)
{
    switch (code) {
#define ERR_MSG(name, value, msg) \
    case ERR_##name: return msg;
        ERR_MAP(ERR_MSG)
#undef ERR_MSG
    }
    if (code == 0) return "success";
    if (code < 0 && code > -4096) return strerror(-code);
    return "unknown error";
}
