# fastd, the reference server. Every .c here except main.c also goes into
# FASTD_LIB so that tests and exercises can link the real code.
#
# The learner's fastd: with MINE set (all or 1: every exercise; NN or
# NN,NN: those), the reference files named in exercises/seams.mk are
# replaced by the learner's files at link time, and the build goes to its
# own tree (BUILD defaults to build/mine, see the Makefile). FASTD_LIB
# stays the reference, whatever MINE says.
FASTD_SRCS := $(wildcard reference-server/*.c)
FASTD_OBJS := $(FASTD_SRCS:%.c=$(OBJ)/%.o)
FASTD_LIB  := $(filter-out $(OBJ)/reference-server/main.o,$(FASTD_OBJS))

MINE_SRC ?= exercises
include exercises/seams.mk
SEAMS_ALL := $(sort $(patsubst SEAM_%,%,$(filter SEAM_%,$(.VARIABLES))))
comma := ,
MINE_LIST := $(if $(filter all 1,$(MINE)),$(SEAMS_ALL),$(subst $(comma), ,$(MINE)))
$(foreach n,$(MINE_LIST),$(if $(SEAM_$(n)),,$(error MINE: no seam '$(n)' \
    in exercises/seams.mk (seams: $(SEAMS_ALL)))))
MINE_REF   := $(foreach n,$(MINE_LIST),$(word 1,$(SEAM_$(n))))
MINE_FILES := $(foreach n,$(MINE_LIST),$(word 2,$(SEAM_$(n))))
FASTD_BIN_SRCS := $(filter-out $(MINE_REF),$(FASTD_SRCS)) $(MINE_FILES)
FASTD_BIN_OBJS := $(FASTD_BIN_SRCS:%.c=$(OBJ)/%.o)
# The learner's code is compiled with the warnings shown but not fatal:
# a learner sees them and still gets a server to try.
$(MINE_FILES:%.c=$(OBJ)/%.o): WARN := -Wall -Wextra

BINS += $(BIN)/fastd

# --io uring (uring*.c) needs liburing; every program that links FASTD_LIB
# links it too.
LDLIBS += -luring

# Which files a MINE build swaps, and from which MINE_SRC, is kept in a
# file fastd depends on, so that changing either relinks it.
MINE_FILE := $(BUILD)/.mine
MINE_SAYS := $(if $(MINE_LIST),$(MINE_LIST) from $(MINE_SRC))
$(shell echo '$(MINE_SAYS)' | cmp -s - $(MINE_FILE) || \
        echo '$(MINE_SAYS)' > $(MINE_FILE))

$(BIN)/fastd: $(FASTD_BIN_OBJS) $(MINE_FILE)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $(filter %.o,$^) -o $@ $(LDLIBS)
