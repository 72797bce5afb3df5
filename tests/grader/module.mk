# The grader's own tests and the proof that every exercise is gradable.
TESTS += $(TBIN)/test_grader
$(OBJ)/tests/grader/%.o: EXTRA_CFLAGS += $(CMOCKA_CFLAGS) \
    -DBUILD_DIR='"$(BUILD)"'
$(TBIN)/test_grader: $(OBJ)/tests/grader/test_grader.o
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(CMOCKA_LIBS) $(LDLIBS)

# The learner's fastd and the exercises that extend it (issue 9).
TESTS += $(TBIN)/test_learner
$(TBIN)/test_learner: $(OBJ)/tests/grader/test_learner.o \
    $(OBJ)/tests/server/fastd_harness.o \
    | $(BIN)/fastd $(TBIN)/test_fastd
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $(filter %.o,$^) -o $@ $(CMOCKA_LIBS) $(LDLIBS)
