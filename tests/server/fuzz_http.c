/*
 * libFuzzer target for the HTTP parser: `make fuzz` (FUZZ_SECONDS=30).
 * The first input byte picks where to split the rest into two reads, as a
 * connection would see it; the parser must never read past what it was
 * given (ASan checks) and never claim more bytes than there are.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reference-server/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t len = size - 1, cut = len ? data[0] % (len + 1) : 0;
    /* A heap copy of exactly len bytes: any over-read is an ASan error. */
    char *buf = malloc(len ? len : 1);
    memcpy(buf, data + 1, len);
    size_t used = 0, scanned = 0, have = cut;
    for (int round = 0; round < 2; round++, have = len) {
        struct http_request req;
        enum http_parse_result r;
        while ((r = http_parse(buf + used, have - used, &scanned, &req)) ==
               HTTP_COMPLETE) {
            if (req.length == 0 || req.length > have - used)
                abort();
            used += req.length;
            scanned = 0;
        }
        if (scanned > have - used)
            abort();
        if (r == HTTP_ERROR) {
            int s = req.status;
            if (s != 400 && s != 413 && s != 431 && s != 505)
                abort();
            break;
        }
    }
    free(buf);
    return 0;
}
