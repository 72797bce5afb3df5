# fastsim: the model (plain C, no SDL: exercises and tests link it alone),
# the SDL2 view, and the command line.
SIM_MODEL_SRCS := $(wildcard simulator/model/*.c)
SIM_MODEL_OBJS := $(SIM_MODEL_SRCS:%.c=$(OBJ)/%.o)
SIM_VIEW_OBJS  := $(patsubst %.c,$(OBJ)/%.o,$(wildcard simulator/view/*.c))
# The window side of fastsim: its command line, frame loops and HUD (main.o
# apart, so that tests can link the frame loop).
SIM_APP_OBJS   := $(patsubst %.c,$(OBJ)/%.o,$(filter-out simulator/main.c,\
    $(wildcard simulator/*.c)))
SDL_CFLAGS := $(call pkg_cflags,sdl2 SDL2_ttf)
SDL_LIBS   := $(or $(call pkg_libs,sdl2 SDL2_ttf),-lSDL2 -lSDL2_ttf)

$(OBJ)/simulator/view/%.o $(OBJ)/simulator/%.o: EXTRA_CFLAGS += $(SDL_CFLAGS)

BINS += $(BIN)/fastsim
$(BIN)/fastsim: $(OBJ)/simulator/main.o $(SIM_APP_OBJS) $(SIM_VIEW_OBJS) \
    $(SIM_MODEL_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(SDL_LIBS) -lm $(LDLIBS)

# A window where there is a display; a picture and a report where not.
sim: $(BIN)/fastsim
	@if [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
	    $(BIN)/fastsim simulator/scenarios/staged.ini $(ARGS); \
	else \
	    echo "no display: rendering headless to $(BUILD)/sim.png"; \
	    $(BIN)/fastsim simulator/scenarios/staged.ini --headless \
	        --png $(BUILD)/sim.png --report text $(ARGS); \
	fi

# The tour's key moments, pictures for chapter 4 and the README, made
# again whenever fastsim or the tour changes: frame numbers of a headless
# run at 1/30 s a frame (test_window prints the frame each hop starts at;
# a move then takes 36 frames, the hand-off's flight among them).
TOUR_SHOTS := queue=60 handoff=258 ready=390 close=1968
TOUR_PICS  := $(foreach s,$(TOUR_SHOTS),docs/images/04-tour-$(firstword \
    $(subst =, ,$(s))).png)
all: $(TOUR_PICS)
tour-pictures: $(TOUR_PICS)
.PHONY: tour-pictures
docs/images/04-tour-%.png: $(BIN)/fastsim simulator/scenarios/tour.ini
	@$(if $(Q),echo "  PICTURE $@")
	$(Q)$(BIN)/fastsim simulator/scenarios/tour.ini --headless \
	    --size 960x540 --png $@ --frames $(lastword $(subst =, ,$(filter \
	    $*=%,$(TOUR_SHOTS))))
