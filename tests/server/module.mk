# fastd's tests: parser and listener units, integration against a live fastd.
SERVER_TESTS := test_http test_listener test_fastd test_lifecycle \
    test_memory test_http_replies test_churn test_idle_clock test_robust \
    test_trace
TESTS += $(SERVER_TESTS:%=$(TBIN)/%)

HARNESS_OBJS := $(OBJ)/tests/server/fastd_harness.o
$(OBJ)/tests/server/%.o: EXTRA_CFLAGS += $(CMOCKA_CFLAGS) \
    -DFASTD_BIN='"$(BIN)/fastd"'

$(TBIN)/test_http: $(OBJ)/tests/server/test_http.o $(FASTD_LIB)
$(TBIN)/test_listener: $(OBJ)/tests/server/test_listener.o $(FASTD_LIB)
$(TBIN)/test_trace: $(OBJ)/tests/server/test_trace.o $(FASTD_LIB)
$(TBIN)/test_fastd: $(OBJ)/tests/server/test_fastd.o $(HARNESS_OBJS) \
    | $(BIN)/fastd
$(TBIN)/test_lifecycle: $(OBJ)/tests/server/test_lifecycle.o \
    $(HARNESS_OBJS) | $(BIN)/fastd $(TBIN)/slow_drain.so
# test_lifecycle's late hand-off test preloads it into fastd (it widens a
# race window; see slow_drain.c). Built without the sanitizers: it only
# sleeps, and an LD_PRELOADed library cannot carry their runtimes.
$(OBJ)/tests/server/test_lifecycle.o: EXTRA_CFLAGS += \
    -DSLOW_DRAIN_SO='"$(TBIN)/slow_drain.so"'
$(TBIN)/slow_drain.so: tests/server/slow_drain.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)cc -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -shared \
	    -fPIC $< -o $@ -ldl
$(TBIN)/test_memory: $(OBJ)/tests/server/test_memory.o $(HARNESS_OBJS) \
    | $(BIN)/fastd
$(TBIN)/test_http_replies: $(OBJ)/tests/server/test_http_replies.o \
    $(HARNESS_OBJS) | $(BIN)/fastd
$(TBIN)/test_idle_clock: $(OBJ)/tests/server/test_idle_clock.o \
    $(HARNESS_OBJS) | $(BIN)/fastd
$(TBIN)/test_churn: $(OBJ)/tests/server/test_churn.o $(HARNESS_OBJS) \
    | $(BIN)/fastd
$(TBIN)/test_robust: $(OBJ)/tests/server/test_robust.o $(HARNESS_OBJS) \
    | $(BIN)/fastd $(TBIN)/stop_delay.so
# test_robust's queued-at-stop test preloads it into fastd (it widens a
# race window; see stop_delay.c). Built as slow_drain.so is, for the same
# reasons.
$(OBJ)/tests/server/test_robust.o: EXTRA_CFLAGS += \
    -DSTOP_DELAY_SO='"$(TBIN)/stop_delay.so"'
$(TBIN)/stop_delay.so: tests/server/stop_delay.c
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)cc -std=gnu11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -shared \
	    -fPIC $< -o $@ -ldl
# The suites that start fastd, again against `fastd --io uring`: the
# harness, built a second time, passes --io uring to every fastd it starts
# (FASTD_IO overrides). Where io_uring is unavailable they skip, saying why.
URING_TESTS := test_fastd test_lifecycle test_http_replies test_memory \
    test_churn test_robust
TESTS += $(URING_TESTS:%=$(TBIN)/%_uring)
# Mostly waiting for fastd's timeouts and grace periods, seconds at a time,
# with little CPU (test_robust: 30 s of wall time, 1.3 s of CPU): run in
# make test's second lane (scripts/run-tests.sh).
WAITING_TESTS += $(addprefix $(TBIN)/,test_fastd test_idle_clock \
    test_robust test_memory test_fastd_uring test_robust_uring \
    test_memory_uring)
$(OBJ)/tests/server/fastd_harness_uring.o: tests/server/fastd_harness.c \
    $(FLAGS_FILE)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $@")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) \
	    -DFASTD_IO_DEFAULT='"uring"' -c $< -o $@
$(URING_TESTS:%=$(TBIN)/%_uring): $(TBIN)/%_uring: \
    $(OBJ)/tests/server/%.o $(OBJ)/tests/server/fastd_harness_uring.o \
    | $(BIN)/fastd $(TBIN)/slow_drain.so $(TBIN)/stop_delay.so
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(filter %.o,$^) -o $@ $(CMOCKA_LIBS) $(LDLIBS)

$(SERVER_TESTS:%=$(TBIN)/%):
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(filter %.o,$^) -o $@ $(CMOCKA_LIBS) $(LDLIBS)

# libFuzzer on the parser (not part of `make test`: it runs until told).
FUZZ_SECONDS ?= 30
.PHONY: fuzz
fuzz: $(BUILD)/fuzz/fuzz_http
	@mkdir -p $(BUILD)/fuzz/corpus
	$(BUILD)/fuzz/fuzz_http -max_total_time=$(FUZZ_SECONDS) \
	    -max_len=16384 $(BUILD)/fuzz/corpus
$(BUILD)/fuzz/fuzz_http: tests/server/fuzz_http.c reference-server/http.c reference-server/http_parse.c \
    reference-server/http.h
	@mkdir -p $(@D)
	clang $(CSTD) $(WARN) -D_GNU_SOURCE -I. -g -O1 \
	    -fsanitize=fuzzer,address,undefined $(filter %.c,$^) -o $@
