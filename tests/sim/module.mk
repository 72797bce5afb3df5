# fastsim's tests: the model, its parsers, the headless view, replay.
SIM_TESTS := test_model test_sim_parsers test_view test_replay test_live \
    test_keys test_flow test_window
TESTS += $(SIM_TESTS:%=$(TBIN)/%)

$(OBJ)/tests/sim/%.o: EXTRA_CFLAGS += $(CMOCKA_CFLAGS) $(SDL_CFLAGS) \
    -DFASTD_BIN='"$(BIN)/fastd"' -DFASTSIM_BIN='"$(BIN)/fastsim"'

$(TBIN)/test_model: $(OBJ)/tests/sim/test_model.o $(SIM_MODEL_OBJS) \
    | $(BIN)/fastsim
$(TBIN)/test_sim_parsers: $(OBJ)/tests/sim/test_sim_parsers.o \
    $(SIM_MODEL_OBJS)
$(TBIN)/test_view: $(OBJ)/tests/sim/test_view.o $(SIM_APP_OBJS) \
    $(SIM_VIEW_OBJS) $(SIM_MODEL_OBJS) | $(BIN)/fastsim
$(TBIN)/test_replay: $(OBJ)/tests/sim/test_replay.o $(HARNESS_OBJS) \
    $(SIM_MODEL_OBJS) | $(BIN)/fastd $(BIN)/fastsim
$(TBIN)/test_live: $(OBJ)/tests/sim/test_live.o $(HARNESS_OBJS) \
    $(OBJ)/simulator/live.o $(OBJ)/simulator/recent.o $(SIM_MODEL_OBJS) \
    | $(BIN)/fastd $(BIN)/fastsim
$(TBIN)/test_keys: $(OBJ)/tests/sim/test_keys.o $(SIM_APP_OBJS) \
    $(SIM_VIEW_OBJS) $(SIM_MODEL_OBJS) | $(BIN)/fastsim
$(TBIN)/test_flow: $(OBJ)/tests/sim/test_flow.o $(SIM_VIEW_OBJS) \
    $(SIM_MODEL_OBJS)
$(TBIN)/test_window: $(OBJ)/tests/sim/test_window.o $(SIM_APP_OBJS) \
    $(SIM_VIEW_OBJS) $(SIM_MODEL_OBJS)

$(SIM_TESTS:%=$(TBIN)/%):
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(filter %.o,$^) -o $@ $(CMOCKA_LIBS) \
	    $(SDL_LIBS) -lm $(LDLIBS)

# Service-time shapes against M/G/1 (its own rule: the list above is
# expanded when its rule is read).
TESTS += $(TBIN)/test_dist
$(TBIN)/test_dist: $(OBJ)/tests/sim/test_dist.o $(SIM_MODEL_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(filter %.o,$^) -o $@ $(CMOCKA_LIBS) -lm $(LDLIBS)
