#include "simulator/model/heap.h"

#include <stdbool.h>
#include <stdlib.h>

static bool before(const struct event *x, const struct event *y)
{
    return x->time < y->time || (x->time == y->time && x->seq < y->seq);
}

int heap_push(struct heap *h, int64_t time, int kind, int a, int b)
{
    if (h->len == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 1024;
        struct event *grown = realloc(h->items, cap * sizeof *grown);
        if (!grown)
            return -1;
        h->items = grown;
        h->cap = cap;
    }
    struct event ev = {time, h->next_seq++, kind, a, b};
    size_t i = h->len++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&ev, &h->items[parent]))
            break;
        h->items[i] = h->items[parent];
        i = parent;
    }
    h->items[i] = ev;
    return 0;
}

int heap_pop(struct heap *h, struct event *out)
{
    if (h->len == 0)
        return -1;
    *out = h->items[0];
    struct event last = h->items[--h->len];
    size_t i = 0, n = h->len;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && before(&h->items[child + 1], &h->items[child]))
            child++;
        if (!before(&h->items[child], &last))
            break;
        h->items[i] = h->items[child];
        i = child;
    }
    if (n > 0)
        h->items[i] = last;
    return 0;
}

void heap_free(struct heap *h)
{
    free(h->items);
    *h = (struct heap){0};
}
