# fastd, the reference server. Every .c here except main.c also goes into
# FASTD_LIB so that tests and exercises can link the real code.
FASTD_SRCS := $(wildcard reference-server/*.c)
FASTD_OBJS := $(FASTD_SRCS:%.c=$(OBJ)/%.o)
FASTD_LIB  := $(filter-out $(OBJ)/reference-server/main.o,$(FASTD_OBJS))

BINS += $(BIN)/fastd

# --io uring (uring*.c) needs liburing; every program that links FASTD_LIB
# links it too.
LDLIBS += -luring

$(BIN)/fastd: $(FASTD_OBJS)
	@mkdir -p $(@D)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)
