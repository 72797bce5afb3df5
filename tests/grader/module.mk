# The grader's own tests and the proof that every exercise is gradable:
# test_grader (the grader, the solutions, the starters),
# test_grader_mutants (the course mutants), test_grader_corpus (the right
# variants) and test_grader_cheats (the cheats), one source.
TESTS += $(TBIN)/test_grader $(TBIN)/test_grader_mutants \
    $(TBIN)/test_grader_corpus $(TBIN)/test_grader_cheats
# The two that need no other test's results, in the second lane once its
# waiting tests are done: about three minutes off make test on two cores.
LATE_LANE_TESTS += $(TBIN)/test_grader_corpus $(TBIN)/test_grader_cheats
$(OBJ)/tests/grader/%.o: EXTRA_CFLAGS += $(CMOCKA_CFLAGS) \
    -DBUILD_DIR='"$(BUILD)"'
$(OBJ)/tests/grader/test_grader_corpus.o: tests/grader/test_grader.c $(FLAGS_FILE)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (corpus)")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) -DGRADER_CORPUS -c $< -o $@
$(OBJ)/tests/grader/test_grader_mutants.o: tests/grader/test_grader.c $(FLAGS_FILE)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (mutants)")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) -DGRADER_CORPUS \
	    -DGRADER_MUTANTS -c $< -o $@
$(OBJ)/tests/grader/test_grader_cheats.o: tests/grader/test_grader.c $(FLAGS_FILE)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  CC      $< (cheats)")
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) -DGRADER_CORPUS \
	    -DGRADER_CHEATS -c $< -o $@
$(TBIN)/test_grader $(TBIN)/test_grader_mutants $(TBIN)/test_grader_corpus \
    $(TBIN)/test_grader_cheats: \
    $(TBIN)/%: $(OBJ)/tests/grader/%.o \
    | $(BIN)/grade-tool
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(CMOCKA_LIBS) $(LDLIBS)

# The learner's fastd and the exercises that extend it (issue 9).
TESTS += $(TBIN)/test_learner
$(TBIN)/test_learner: $(OBJ)/tests/grader/test_learner.o \
    $(OBJ)/tests/server/fastd_harness.o \
    | $(BIN)/fastd $(TBIN)/test_fastd $(TBIN)/test_lifecycle \
    $(TBIN)/test_http_replies $(TBIN)/test_memory $(TBIN)/test_churn \
    $(TBIN)/test_idle_clock $(TBIN)/test_fastd_uring
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $(filter %.o,$^) -o $@ $(CMOCKA_LIBS) $(LDLIBS)

# make bench MINE=1 with the starters and with the solutions (issue 22):
# short runs (BENCH_SECONDS=1), two learner's fastd builds.
TESTS += $(TBIN)/test_bench_mine
$(TBIN)/test_bench_mine: $(OBJ)/tests/grader/test_bench_mine.o | $(BIN)/fastd
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(CMOCKA_LIBS) $(LDLIBS)

# make progress: the summary, the page, its plots, and the page in
# headless Chromium (issue 22).
TESTS += $(TBIN)/test_progress
$(TBIN)/test_progress: $(OBJ)/tests/grader/test_progress.o
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(CMOCKA_LIBS) $(LDLIBS) -lm

# fastd's banner names the CPUs each thread may run on, as the kernel
# has them (issue 22).
TESTS += $(TBIN)/test_banner
$(TBIN)/test_banner: $(OBJ)/tests/grader/test_banner.o \
    $(OBJ)/tests/server/fastd_harness.o | $(BIN)/fastd
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(CMOCKA_LIBS) $(LDLIBS)

# The untouched starters compile without a warning under the course's
# flags (make mine and the grader show warnings without failing).
TESTS += $(TBIN)/test_starters
$(OBJ)/tests/grader/test_starters.o: EXTRA_CFLAGS += \
    -DSTARTER_CC='"$(CC) $(CSTD) -D_GNU_SOURCE -I. $(WARN)"'
$(TBIN)/test_starters: $(OBJ)/tests/grader/test_starters.o
	@mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(CMOCKA_LIBS) $(LDLIBS)
