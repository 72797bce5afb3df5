#include "simulator/model/fdevent.h"

#include <string.h>

static const char *const names[FD_NKINDS] = {
    "accept", "handoff", "wake", "recv", "request", "send", "close"};

const char *fd_kind_name(enum fd_kind kind)
{
    return kind < FD_NKINDS ? names[kind] : "?";
}

int fd_kind_parse(const char *name, enum fd_kind *out)
{
    for (int i = 0; i < FD_NKINDS; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (enum fd_kind)i;
            return 0;
        }
    return -1;
}
