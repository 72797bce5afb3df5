# The exercises and their grader (exercises/grader/grade.sh does the work;
# exercises/grader/grade-tool runs each phase under limits).
#   make grade [EX=N] [SOLUTIONS=1]    score table, build/grade/results.json
#   make hint EX=N [HINT=K]            the next hint (or hint K)
#   make watch EX=N                    re-grade whenever the files change
BINS += $(BIN)/grade-tool

$(BIN)/grade-tool: $(OBJ)/exercises/grader/grade-tool.o
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $^ -o $@

grade: $(BIN)/grade-tool
	@exercises/grader/grade.sh $(BUILD) $(EX)

hint:
	@exercises/grader/hint.sh $(BUILD) "$(EX)" "$(HINT)"

watch: $(BIN)/grade-tool
	@exercises/grader/watch.sh $(BUILD) "$(EX)"
