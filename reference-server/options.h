/**
 * \file
 * \brief fastd's command line.
 */
#ifndef FASTD_OPTIONS_H
#define FASTD_OPTIONS_H

#include <stddef.h>

#include "reference-server/server.h"

/** What options_parse() decided. */
enum options_result {
    OPTIONS_RUN = 0,   /**< start the server */
    OPTIONS_EXIT = 1,  /**< --help or --version was printed: exit 0 */
    OPTIONS_ERROR = 2, /**< bad usage; err holds the message: exit 2 */
};

/**
 * Parse argv into opt (defaults first: 127.0.0.1:8080, staged, one
 * thread per core, pinned, 60 s idle timeout). Every value is checked; an
 * unknown flag or a bad value is an error naming the flag and the value.
 */
enum options_result options_parse(int argc, char **argv, struct options *opt,
                                  char *err, size_t errlen);

/** The --help text. */
extern const char options_usage[];

#endif
