# The seams of the learner's fastd: one line per exercise,
#   SEAM_NN := REFERENCE-FILE LEARNER-FILE
# Both files implement the functions declared in the same reference header
# (the module's .h); a MINE build links the learner's file instead of the
# reference's (reference-server/module.mk). MINE_SRC is the folder that
# holds the exercise folders (default exercises; the grader points it at
# a copy).
SEAM_01 := reference-server/pool_thread.c $(MINE_SRC)/01-pinned-pool/pool_thread.c
SEAM_02 := reference-server/listener.c $(MINE_SRC)/02-listener/listener.c
SEAM_03 := reference-server/accept_burst.c $(MINE_SRC)/03-accept-handoff/accept_burst.c
SEAM_04 := reference-server/schedule.c $(MINE_SRC)/04-scheduling/schedule.c
SEAM_05 := reference-server/http_parse.c $(MINE_SRC)/05-request-parser/http_parse.c
SEAM_06 := reference-server/conn_write.c $(MINE_SRC)/06-backpressure/conn_write.c
SEAM_07 := reference-server/conn_expire.c $(MINE_SRC)/07-timeouts-shutdown/conn_expire.c
SEAM_08 := reference-server/uring_recv.c $(MINE_SRC)/08-io-uring/uring_recv.c
