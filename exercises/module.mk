# The exercises and their grader (exercises/grader/grade.sh does the work;
# exercises/grader/grade-tool runs each phase under limits).
#   make grade [EX=N] [SOLUTIONS=1]    score table, build/grade/results.json
#   make hint EX=N [HINT=K]            the next hint (or hint K)
#   make watch EX=N                    re-grade whenever the files change
#   make grade-repeat [N=20] [EX=N]    the solutions N times: full marks
#                                      in how many runs, per exercise
BINS += $(BIN)/grade-tool

$(BIN)/grade-tool: $(OBJ)/exercises/grader/grade-tool.o
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $^ -o $@

grade: $(BIN)/grade-tool
	@exercises/grader/grade.sh $(BUILD) $(EX)

# Where the learner stands: scores, failing tests, and yours against the
# reference over time (scripts/progress.sh; build/progress/index.html).
progress:
	@scripts/progress.sh $(BUILD)

hint:
	@exercises/grader/hint.sh $(BUILD) "$(EX)" "$(HINT)"

watch: $(BIN)/grade-tool
	@exercises/grader/watch.sh $(BUILD) "$(EX)"

# The proof that the solutions are not flaky (scripts/grade-repeat.sh).
.PHONY: grade-repeat
grade-repeat: $(BIN)/grade-tool
	@scripts/grade-repeat.sh -n $(or $(N),20) $(BUILD) $(EX)
