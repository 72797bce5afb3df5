# The chapters and the docs site: the docs build without warnings, chapter
# shape, quoted code and pictures up to date, links (Markdown, \ref, built
# HTML), prose numbers against their tables, runnable blocks, and the site
# in headless Chromium. One program, tests/docs/test_docs.c, whose checks
# live one per file beside it (check_*.c).
TESTS += $(TBIN)/test_docs

DOCS_TEST_OBJS := $(patsubst %.c,$(OBJ)/%.o,$(wildcard tests/docs/*.c))
$(OBJ)/tests/docs/%.o: EXTRA_CFLAGS += $(CMOCKA_CFLAGS) \
    -DDOCS_ROOT='"$(CURDIR)"' -DDOCS_BUILD='"$(abspath $(BUILD))"'

# The test reads the built site, so `make test` builds the docs first. A
# failed docs build does not stop the suite: test_docs reports it, with
# Doxygen's warnings, and the other tests still run.
.PHONY: docs-for-tests
docs-for-tests:
	-@$(MAKE) --no-print-directory docs
$(TBIN)/test_docs: $(DOCS_TEST_OBJS) | docs-for-tests
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(filter %.o,$^) -o $@ $(CMOCKA_LIBS) -lm $(LDLIBS)
