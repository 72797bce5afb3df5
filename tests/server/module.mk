# fastd's tests: parser and listener units, integration against a live fastd.
SERVER_TESTS := test_http test_listener test_fastd
TESTS += $(SERVER_TESTS:%=$(TBIN)/%)

HARNESS_OBJS := $(OBJ)/tests/server/fastd_harness.o
$(OBJ)/tests/server/%.o: EXTRA_CFLAGS += $(CMOCKA_CFLAGS) \
    -DFASTD_BIN='"$(BIN)/fastd"'

$(TBIN)/test_http: $(OBJ)/tests/server/test_http.o $(FASTD_LIB)
$(TBIN)/test_listener: $(OBJ)/tests/server/test_listener.o $(FASTD_LIB)
$(TBIN)/test_fastd: $(OBJ)/tests/server/test_fastd.o $(HARNESS_OBJS) \
    | $(BIN)/fastd

$(SERVER_TESTS:%=$(TBIN)/%):
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(filter %.o,$^) -o $@ $(CMOCKA_LIBS) $(LDLIBS)
