# The chapters and the docs site: the docs build without warnings, chapter
# shape, links (Markdown, \ref, built HTML), runnable blocks, and the site
# in headless Chromium. See tests/docs/test_docs.c.
TESTS += $(TBIN)/test_docs

$(OBJ)/tests/docs/%.o: EXTRA_CFLAGS += $(CMOCKA_CFLAGS) \
    -DDOCS_ROOT='"$(CURDIR)"' -DDOCS_BUILD='"$(abspath $(BUILD))"'

# The test reads the built site, so `make test` builds the docs first. A
# failed docs build does not stop the suite: test_docs reports it, with
# Doxygen's warnings, and the other tests still run.
.PHONY: docs-for-tests
docs-for-tests:
	-@$(MAKE) --no-print-directory docs
$(TBIN)/test_docs: $(OBJ)/tests/docs/test_docs.o | docs-for-tests
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(filter %.o,$^) -o $@ $(CMOCKA_LIBS) -lm $(LDLIBS)
