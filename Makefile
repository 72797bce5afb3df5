# Fast Servers - the one, non-recursive Makefile.
#
# Everything builds out of tree into $(BUILD) (default build/). Each part of
# the course adds its own rules in a fragment included below
# (reference-server/module.mk, simulator/module.mk, ...), so this file only
# holds what is common: flags, the generic compile rule, and the user-facing
# targets. `make help` lists those.
#
# Options (set on the command line, e.g. `make SAN=asan test`):
#   BUILD=DIR    where objects, programs and reports go (default build)
#   SAN=asan     build with AddressSanitizer + UndefinedBehaviorSanitizer
#   SAN=tsan     build with ThreadSanitizer
#   V=1          print every command
#   EX=NN        with `make grade`, `make hint` or `make watch`: one exercise
#   SOLUTIONS=1  with `make grade`: grade the reference solutions
#   TEST_TIMEOUT=SEC  time limit for each test program (default 300)
#   MINE=all|1|NN[,NN]  the learner's fastd: link the exercises' files (all,
#                or exercises NN) in place of the reference files they
#                replace (exercises/seams.mk); builds into build/mine unless
#                BUILD is given; works with `make`, `run`, `bench`
#   MINE_SRC=DIR the folder holding the exercise folders for MINE
#                (default exercises)

# A learner's fastd never shares a build tree with the reference's: a
# BUILD from the environment (the tests', an experiment's) is the
# reference's tree, and the learner's goes into its mine/ folder.
ifneq ($(MINE),)
ifeq ($(origin BUILD),environment)
ifeq ($(origin REF_BUILD),undefined)
REF_BUILD := $(BUILD)
endif
BUILD := $(BUILD)/mine
endif
BUILD ?= build/mine
endif
BUILD ?= build
OBJ   := $(BUILD)/obj
BIN   := $(BUILD)/bin
TBIN  := $(BUILD)/tests

CC       ?= cc
CSTD     := -std=gnu11
WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes
OPT      ?= -O2 -g
CPPFLAGS += -D_GNU_SOURCE -I. -MMD -MP
CFLAGS   += $(CSTD) $(OPT) $(WARN) -pthread -fno-omit-frame-pointer
LDFLAGS  += -pthread
LDLIBS   +=

ifeq ($(SAN),asan)
CC       := clang
CFLAGS   += -fsanitize=address,undefined -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=address,undefined
else ifeq ($(SAN),tsan)
CC       := clang
CFLAGS   += -fsanitize=thread
LDFLAGS  += -fsanitize=thread
else ifneq ($(SAN),)
$(error SAN must be asan or tsan, not '$(SAN)')
endif

ifeq ($(V),1)
Q :=
else
Q := @
endif

PKG_CONFIG ?= pkg-config
# Probe pkg-config once, quietly: `make deps` and `make help` must work
# before the libraries are installed.
pkg_cflags = $(shell $(PKG_CONFIG) --cflags $(1) 2>/dev/null)
pkg_libs   = $(shell $(PKG_CONFIG) --libs $(1) 2>/dev/null)
CMOCKA_CFLAGS := $(call pkg_cflags,cmocka)
CMOCKA_LIBS   := $(or $(call pkg_libs,cmocka),-lcmocka)

# Objects rebuild when the compiler or flags change (the idea of git's
# Makefile): the command line is kept in a file every object depends on.
FLAGS_FILE := $(BUILD)/.flags
FLAGS_NOW  := $(CC) $(CPPFLAGS) $(CFLAGS) $(LDFLAGS)
$(shell mkdir -p $(BUILD); echo '$(FLAGS_NOW)' | cmp -s - $(FLAGS_FILE) || \
        echo '$(FLAGS_NOW)' > $(FLAGS_FILE))

# Filled in by the fragments:
#   BINS       programs `make` builds
#   TESTS      cmocka test programs `make test` runs (one process each)
#   CHECKS     phony targets `make test` also runs (format, docs, ...)
#   WAITING_TESTS  those of TESTS that mostly wait (timeouts, stalls):
#              they run in a second lane beside the others
#   LATE_LANE_TESTS  those of TESTS that keep a CPU busy but are long
#              enough to even the lanes out: they run in the second lane
#              after the waiting ones, which then have it to themselves
BINS   :=
TESTS  :=
CHECKS :=
WAITING_TESTS :=
LATE_LANE_TESTS :=

.DEFAULT_GOAL := all
.PHONY: all test test-run sanitize deps run demo demo-run sim bench docs \
        format format-check grade hint watch help clean mine progress

include reference-server/module.mk
-include simulator/module.mk
-include exercises/module.mk
include tests/module.mk
-include chapters/module.mk

all: $(BINS)

# The generic compile rule; fragments add per-directory flags with
# target-specific variables (e.g. SDL's include path for the view).
$(OBJ)/%.o: %.c $(FLAGS_FILE)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) -c $< -o $@

-include $(shell find $(OBJ) -name '*.d' 2>/dev/null)

# ---- user-facing targets -------------------------------------------------

deps:
	@scripts/deps.sh $(filter-out deps,$(MAKECMDGOALS))

run: $(BIN)/fastd
	$(BIN)/fastd $(ARGS)

# `make test` and `make demo` are the README's two commands on a fresh
# machine, so both install what is missing first. They then run make again:
# the pkg-config probes above were made before the packages existed.
test: deps
	@$(MAKE) --no-print-directory test-run
test-run: all $(TESTS)
	@scripts/run-tests.sh $(BUILD) \
	    "$(filter-out $(WAITING_TESTS) $(LATE_LANE_TESTS),$(TESTS))" \
	    "$(CHECKS)" "$(filter $(WAITING_TESTS),$(TESTS)) $(filter $(LATE_LANE_TESTS),$(TESTS))"

# The same suite under the sanitizers, each in its own build tree.
# A sanitizer slows a program down several times, and the second lane's
# grader programs share the CPUs with the first: a longer limit per program.
sanitize:
	TEST_TIMEOUT=$${TEST_TIMEOUT:-900} $(MAKE) SAN=asan BUILD=$(BUILD)/asan test
	TEST_TIMEOUT=$${TEST_TIMEOUT:-900} $(MAKE) SAN=tsan BUILD=$(BUILD)/tsan test

ifeq ($(MINE),)
bench: $(BIN)/fastd $(BIN)/mixload
	@scripts/bench.sh $(BUILD)

# The learner's fastd with every exercise's file (MINE=NN for some).
mine:
	@$(MAKE) --no-print-directory MINE=all BUILD=$(BUILD)/mine \
	    $(BUILD)/mine/bin/fastd
else
# The learner's fastd beside the reference, in the same run.
REF_BUILD ?= build
bench: $(BIN)/fastd
	@$(MAKE) --no-print-directory MINE= BUILD=$(REF_BUILD) \
	    $(REF_BUILD)/bin/fastd
	@BENCH_REF_FASTD=$(REF_BUILD)/bin/fastd scripts/bench.sh $(BUILD)
mine: $(BIN)/fastd
endif

demo: deps
	@$(MAKE) --no-print-directory demo-run
demo-run: all
	@scripts/demo.sh $(BUILD)

DOXYGEN_INPUTS := $(shell find README.md chapters docs reference-server \
                    simulator exercises -name '*.md' -o -name '*.h' \
                    -o -name '*.c' -o -name '*.dox' 2>/dev/null)
docs: $(BUILD)/docs/html/index.html
# Warnings are errors (WARN_AS_ERROR): on a failure they are shown and the
# half-built index removed, so the next make tries again. A fresh html/ each
# time: no page of a renamed chapter lingers.
$(BUILD)/docs/html/index.html: docs/Doxyfile $(DOXYGEN_INPUTS) $(DOCS_EXTRA_DEPS)
	@command -v doxygen >/dev/null || \
	    { echo "docs: doxygen is missing: run 'make deps'" >&2; exit 1; }
	@mkdir -p $(BUILD)/docs
	@echo "  DOXYGEN $(BUILD)/docs/html"
	$(Q)rm -rf $(BUILD)/docs/html
	$(Q)(cat docs/Doxyfile; echo "OUTPUT_DIRECTORY = $(BUILD)/docs"; \
	     echo "WARN_LOGFILE = $(BUILD)/docs/warnings.log"; \
	     echo "INPUT += $(DOCS_EXTRA_INPUT)") | \
	    doxygen - > $(BUILD)/docs/doxygen.log || \
	    { cat $(BUILD)/docs/warnings.log >&2; rm -f $@; exit 1; }

FORMAT_FILES = $(shell git ls-files '*.c' '*.h' 2>/dev/null || \
                 find . -path ./build -prune -o -name '*.[ch]' -print)
format:
	clang-format -i $(FORMAT_FILES)
format-check:
	@clang-format --dry-run -Werror $(FORMAT_FILES) && \
	    echo "format-check: $(words $(FORMAT_FILES)) files clean"

help:
	@echo "Fast Servers - targets:"
	@echo "  make            build everything into $(BUILD)/"
	@echo "  make deps       install missing system packages (Debian/Ubuntu)"
	@echo "  make run        start fastd (ARGS='--port 0 --threads 2' to pass flags)"
	@echo "  make sim        open the simulator on the default scenario (no"
	@echo "                  display: a PNG, $(BUILD)/sim.png, and a report)"
	@echo "  make demo       guided tour: server, load, trace, replay (runs deps)"
	@echo "  make test       every test, the docs build and format-check (runs deps)"
	@echo "  make sanitize   the tests under ASan+UBSan, then TSan"
	@echo "  make bench      fastd vs nginx and h2o under wrk"
	@echo "  make mine       the learner's fastd: build/mine/bin/fastd, built with"
	@echo "                  every exercise's file in place of the reference's"
	@echo "                  (MINE=03 or MINE=03,05: only those exercises)"
	@echo "  make run MINE=1   start the learner's fastd"
	@echo "  make bench MINE=1 the learner's fastd beside the reference under wrk"
	@echo "  make fuzz       libFuzzer on the HTTP parser (FUZZ_SECONDS=30)"
	@echo "  make grade      grade the exercises (EX=NN for one, SOLUTIONS=1)"
	@echo "  make progress   your scores, failing tests and measurements over time:"
	@echo "                  $(BUILD)/progress/index.html and a summary"
	@echo "  make grade-repeat N=20  grade the solutions N times: full marks per exercise"
	@echo "  make hint EX=NN the next hint for an exercise"
	@echo "  make watch EX=NN re-grade an exercise when its files change"
	@echo "  make docs       the docs site into $(BUILD)/docs/html/"
	@echo "  make snippets   refresh the code quoted in chapters/ (after a"
	@echo "                  change to code between //! [name] markers)"
	@echo "  make diagrams   render docs/images/*.dot into their pictures"
	@echo "  make tour-pictures  the tour's pictures in docs/images/ (make does it)"
	@echo "  make format     clang-format every C file (format-check to verify)"
	@echo "  make clean      remove $(BUILD)/"

clean:
	rm -rf $(BUILD)
