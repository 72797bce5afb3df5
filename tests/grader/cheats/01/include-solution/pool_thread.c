/* cheat: the course's solution, included (found through the
 * exercise's folder on the include path). */
#include "solution/pool_thread.c"
