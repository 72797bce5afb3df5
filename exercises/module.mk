# The exercises and their grader (exercises/grader/grade.sh does the work).
#   make grade [EX=NN] [SOLUTIONS=1]   score table, build/grade/results.json
#   make hint EX=NN                    the next hint, one at a time
#   make watch EX=NN                   re-grade whenever the files change
grade:
	@exercises/grader/grade.sh $(BUILD) $(EX)

hint:
	@exercises/grader/hint.sh $(BUILD) "$(EX)"

watch:
	@exercises/grader/watch.sh $(BUILD) "$(EX)"
