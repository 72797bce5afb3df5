# A load client of the course's own (chapter 9's slow-request experiment:
# fast and slow requests on separate connections, latency per class), and
# the tests of fastd's /work teaching endpoint.
BINS += $(BIN)/mixload

$(BIN)/mixload: $(OBJ)/tests/load/mixload.o
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

# (the harness is named by path: tests/server/module.mk is read after this.)
TESTS += $(TBIN)/test_work
$(OBJ)/tests/load/test_work.o: EXTRA_CFLAGS += $(CMOCKA_CFLAGS) \
    -DFASTD_BIN='"$(BIN)/fastd"'
$(TBIN)/test_work: $(OBJ)/tests/load/test_work.o $(OBJ)/tests/server/fastd_harness.o \
    | $(BIN)/fastd
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(filter %.o,$^) -o $@ $(CMOCKA_LIBS) $(LDLIBS)

# make bench's trust checks (issue 23): no row for a server that answers
# anything but 200 with the expected body; the peers measured from a tree
# under a private folder. Runs scripts/bench.sh with one-second cells.
TESTS += $(TBIN)/test_bench
$(OBJ)/tests/load/test_bench.o: EXTRA_CFLAGS += $(CMOCKA_CFLAGS) \
    -DBUILD_DIR='"$(BUILD)"'
$(TBIN)/test_bench: $(OBJ)/tests/load/test_bench.o | $(BIN)/fastd $(BIN)/mixload
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(CMOCKA_LIBS) $(LDLIBS)
