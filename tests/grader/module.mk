# The grader's own tests and the proof that every exercise is gradable.
TESTS += $(TBIN)/test_grader
$(OBJ)/tests/grader/%.o: EXTRA_CFLAGS += $(CMOCKA_CFLAGS) \
    -DBUILD_DIR='"$(BUILD)"'
$(TBIN)/test_grader: $(OBJ)/tests/grader/test_grader.o
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(CMOCKA_LIBS) $(LDLIBS)
