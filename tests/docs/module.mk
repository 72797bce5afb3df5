# The chapters and the docs site: the docs build without warnings, chapter
# shape, quoted code and pictures up to date, links (Markdown, \ref, built
# HTML), prose numbers against their tables, runnable blocks, and the site
# in headless Chromium: tests/docs/test_docs.c, whose checks live one per
# file beside it (check_*.c). The runnable blocks, which take minutes, are
# programs of their own, test_docs_runnable.c (the chapters') and
# test_readme_runnable.c (the exercise READMEs'), so that a slow run cannot
# hide the quick checks.
TESTS += $(TBIN)/test_docs $(TBIN)/test_docs_runnable \
         $(TBIN)/test_readme_runnable

DOCS_TEST_MAINS := tests/docs/test_docs.c tests/docs/test_docs_runnable.c \
                   tests/docs/test_readme_runnable.c
DOCS_TEST_OBJS  := $(patsubst %.c,$(OBJ)/%.o,$(filter-out $(DOCS_TEST_MAINS),\
                     $(wildcard tests/docs/*.c)))
$(OBJ)/tests/docs/%.o: EXTRA_CFLAGS += $(CMOCKA_CFLAGS) \
    -DDOCS_ROOT='"$(CURDIR)"' -DDOCS_BUILD='"$(abspath $(BUILD))"'

# The test reads the built site, so `make test` builds the docs first. A
# failed docs build does not stop the suite: test_docs reports it, with
# Doxygen's warnings, and the other tests still run. The docs need the
# tour's pictures and so fastsim, which this make builds too (all, the
# sim tests): built here first, so that under -j the recursive make does
# not compile and link them at the same time ("Text file busy").
.PHONY: docs-for-tests
docs-for-tests: $(BIN)/fastsim $(TOUR_PICS)
	-@$(MAKE) --no-print-directory docs
$(TBIN)/test_docs $(TBIN)/test_docs_runnable $(TBIN)/test_readme_runnable: $(TBIN)/%: $(OBJ)/tests/docs/%.o \
    $(DOCS_TEST_OBJS) | docs-for-tests
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(filter %.o,$^) -o $@ $(CMOCKA_LIBS) -lm $(LDLIBS)
