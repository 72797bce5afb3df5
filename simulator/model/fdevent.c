#include "simulator/model/fdevent.h"

#include <string.h>

int fd_kind_parse(const char *name, enum fd_kind *out)
{
    for (int i = 0; i < FD_NKINDS; i++)
        if (strcmp(name, fd_kind_name((enum fd_kind)i)) == 0) {
            *out = (enum fd_kind)i;
            return 0;
        }
    return -1;
}
