# Tests: one folder per part, each with its own fragment:
#   tests/server/  fastd unit and integration tests
#   tests/sim/     fastsim model, parsers, rendering, replay
#   tests/grader/  the exercises and the grader
#   tests/docs/    chapters and the docs site
# `make test` also runs the checks below.
include $(wildcard tests/*/module.mk)

CHECKS += format-check docs
