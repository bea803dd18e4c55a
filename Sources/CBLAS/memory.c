#include "CBLAS.h"

#include <limits.h>   /* also defines __GLIBC__ where the C library is glibc */

#if defined(__GLIBC__)
#include <malloc.h>

int bp_keep_freed_memory(long bytes) {
    /* Setting either value turns off glibc's own adjustment of both, so both are set. */
    int threshold = mallopt(M_MMAP_THRESHOLD, 32 << 20);
    int trim = mallopt(M_TRIM_THRESHOLD, bytes > INT_MAX ? INT_MAX : (int)bytes);
    return threshold == 1 && trim == 1;
}
#else
int bp_keep_freed_memory(long bytes) {
    (void)bytes;
    return 0;
}
#endif
