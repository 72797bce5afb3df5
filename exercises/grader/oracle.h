/**
 * \file
 * \brief Differential grading: run the learner's module and the reference
 *        beside it on generated cases, shrink a case on which they differ
 *        to the smallest that still differs, and say so in one line.
 *
 * The reference module is linked into the unit program with its symbols
 * renamed `ref_NAME` (exercise.conf `oracle`, see the grader's README):
 * a test calls `http_parse()` and `ref_http_parse()` on the same input
 * and compares everything the contract lets a caller observe. This
 * header holds what every such test needs, header-only (the grader links
 * no extra file for it):
 *
 * - a small PRNG with a fixed seed, so that every run grades the same
 *   cases (full marks 20 runs in 20, and a learner can re-run a failure);
 * - oracle_escape(): bytes as a C string literal would show them
 *   (`\r\n`, `\x01`), long runs of one byte folded (`'a' x 8000`), so
 *   that a counterexample is one readable line;
 * - oracle_shrink(): delta debugging on an array of items (bytes,
 *   schedule steps, connections): drop chunks, halving their size, for
 *   as long as the case still differs.
 */
#ifndef GRADER_ORACLE_H
#define GRADER_ORACLE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** A deterministic generator (xorshift64*): the same seed, the same cases. */
struct oracle_rng {
    uint64_t s; /**< the state, never 0 */
};

/** The next 64 random bits. */
static inline uint64_t oracle_next(struct oracle_rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return r->s * 0x2545F4914F6CDD1DULL;
}

/** A number in [0, n) (n > 0). */
static inline unsigned oracle_below(struct oracle_rng *r, unsigned n)
{
    return (unsigned)(oracle_next(r) % n);
}

/** One of the @p n strings of @p pick, at random. */
#define ORACLE_PICK(r, pick)                                                   \
    ((pick)[oracle_below((r), sizeof(pick) / sizeof((pick)[0]))])

/**
 * Write @p n bytes of @p p into @p out (at most @p cap bytes with the
 * NUL) escaped as in C: printable ASCII as is, `\r \n \t \\ \"`, other
 * bytes `\xNN`; a run of more than 12 equal bytes is written once with
 * its count (`[8000 x 'a']`). A text too long ends with `...`.
 * \return out.
 */
static inline char *oracle_escape(const void *p, size_t n, char *out,
                                  size_t cap)
{
    const unsigned char *b = (const unsigned char *)p;
    size_t o = 0;
    char one[8];
    for (size_t i = 0; i < n && o + 16 < cap;) {
        size_t run = 1;
        while (i + run < n && b[i + run] == b[i])
            run++;
        unsigned char c = b[i];
        if (c == '\r')
            snprintf(one, sizeof one, "\\r");
        else if (c == '\n')
            snprintf(one, sizeof one, "\\n");
        else if (c == '\t')
            snprintf(one, sizeof one, "\\t");
        else if (c == '\\' || c == '"')
            snprintf(one, sizeof one, "\\%c", c);
        else if (c < ' ' || c >= 0x7f)
            snprintf(one, sizeof one, "\\x%02x", c);
        else
            snprintf(one, sizeof one, "%c", c);
        if (run > 12) {
            o += (size_t)snprintf(out + o, cap - o, "[%zu x '%s']", run, one);
            i += run;
        } else {
            o += (size_t)snprintf(out + o, cap - o, "%s", one);
            i++;
        }
        if (o >= cap)
            o = cap - 1;
        if (o + 16 >= cap && i < n) {
            snprintf(out + o, cap - o, "...");
            return out;
        }
    }
    out[o < cap ? o : cap - 1] = 0;
    return out;
}

/**
 * Append to the text in @p out (room @p cap, length *@p at) as printf
 * would; a text too long for the room is cut, never written past it.
 */
__attribute__((format(printf, 4, 5))) static inline void
oracle_appendf(char *out, size_t cap, size_t *at, const char *fmt, ...)
{
    if (*at + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *at, cap - *at, fmt, ap);
    va_end(ap);
    if (n > 0)
        *at = *at + (size_t)n < cap ? *at + (size_t)n : cap - 1;
}

/**
 * Does the case of @p n items (each @p size bytes, at @p items) still
 * show the difference? The predicate of oracle_shrink().
 */
typedef bool (*oracle_differs_fn)(const void *items, size_t n, void *ctx);

/**
 * Shrink a differing case in place: drop chunks of items (half of them,
 * then a quarter, ... then one at a time) while @p differs still holds,
 * and at most @p budget tries. The case must differ on entry.
 * \return the new number of items.
 */
static inline size_t oracle_shrink(void *items, size_t n, size_t size,
                                   oracle_differs_fn differs, void *ctx,
                                   int budget)
{
    unsigned char *a = (unsigned char *)items;
    unsigned char *save = (unsigned char *)malloc(n * size + 1);
    if (!save)
        return n;
    for (size_t chunk = n / 2 ? n / 2 : 1; chunk >= 1 && budget > 0;) {
        bool removed = false;
        for (size_t at = 0; at + chunk <= n && budget > 0;) {
            memcpy(save, a, n * size);
            memmove(a + at * size, a + (at + chunk) * size,
                    (n - at - chunk) * size);
            budget--;
            if (differs(a, n - chunk, ctx)) {
                n -= chunk;
                removed = true;
            } else {
                memcpy(a, save, n * size);
                at += chunk;
            }
        }
        if (!removed) {
            if (chunk == 1)
                break;
            chunk /= 2;
        } else if (chunk > n) {
            chunk = n / 2 ? n / 2 : 1;
        }
    }
    free(save);
    return n;
}

#endif
