#ifndef BACKPROP_CBLAS_H
#define BACKPROP_CBLAS_H

/// The slice of OpenBLAS that Backprop uses, resolved at run time.
///
/// OpenBLAS picks its compute kernel once, while it is being loaded, from the
/// environment variable OPENBLAS_CORETYPE or from the CPU it recognises. Debian's
/// 0.3.21 does not recognise recent CPUs and falls back to a slow generic kernel.
/// Loading the library with dlopen lets us name the right kernel first.

/// Loads OpenBLAS once (thread-safe). Returns 0 on success; otherwise writes a
/// message into `error` and returns -1.
int bp_blas_load(char *error, int errorLength);

/// The core OpenBLAS runs, e.g. "Haswell"; "" if it is not loaded.
const char *bp_blas_corename(void);
/// OpenBLAS's configuration line, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH ...".
const char *bp_blas_config(void);
/// The library file that was loaded.
const char *bp_blas_path(void);
/// 1 if Backprop chose the core (OPENBLAS_CORETYPE was not set by the user).
int bp_blas_core_was_chosen(void);
/// Threads per matrix product (product_split.c); OpenBLAS itself runs one.
int bp_blas_num_threads(void);
void bp_blas_set_num_threads(int threads);

/// Row-major GEMM: C = alpha * op(A) op(B) + beta * C, op(X) = X or Xᵀ.
void bp_sgemm(int transA, int transB, int m, int n, int k, float alpha,
              const float *a, int lda, const float *b, int ldb,
              float beta, float *c, int ldc);
void bp_dgemm(int transA, int transB, int m, int n, int k, double alpha,
              const double *a, int lda, const double *b, int ldb,
              double beta, double *c, int ldc);

/// The same products, cut into blocks of rows of C chosen from the shape alone
/// (bp_product_blocks); the calling thread and bp_blas_num_threads() - 1 persistent workers
/// claim them, and each block is one single-threaded call over the whole of k, so the result
/// is the same for any thread count.
void bp_sgemm_split(int transA, int transB, int m, int n, int k, float alpha,
                    const float *a, int lda, const float *b, int ldb,
                    float beta, float *c, int ldc);
void bp_dgemm_split(int transA, int transB, int m, int n, int k, double alpha,
                    const double *a, int lda, const double *b, int ldb,
                    double beta, double *c, int ldc);

/// How many blocks of rows an m × n × k product is cut into (1: one call), from the shape alone.
int bp_product_blocks(int m, int n, int k);
/// The first row of block `index` of `blocks` over m rows (m for index == blocks).
int bp_product_block_start(int m, int blocks, int index);

/// Why the loaded kernel failed its start-up check (a small product of each kind against a
/// plain loop), or "" if it passed. After a failure every product runs on plain loops.
const char *bp_blas_check_failure(void);
/// Compares the given gemm functions with plain loops on small products of every kind;
/// returns 0 if all agree, else -1 with a description in `message`. The start-up check.
typedef void (*bp_sgemm_fn)(int, int, int, int, int, float, const float *, int, const float *, int,
                            float, float *, int);
typedef void (*bp_dgemm_fn)(int, int, int, int, int, double, const double *, int, const double *, int,
                            double, double *, int);
int bp_check_kernels(bp_sgemm_fn sgemm, bp_dgemm_fn dgemm, char *message, int messageLength);
/// Row-major gemm as plain loops: the safe kernel, and the reference of the check.
void bp_plain_sgemm(int transA, int transB, int m, int n, int k, float alpha,
                    const float *a, int lda, const float *b, int ldb,
                    float beta, float *c, int ldc);
void bp_plain_dgemm(int transA, int transB, int m, int n, int k, double alpha,
                    const double *a, int lda, const double *b, int ldb,
                    double beta, double *c, int ldc);

/// Runs body(context, i) for every i in 0..<count on the calling thread and
/// bp_parallel_threads() - 1 persistent workers (parallel.c), and returns when all have
/// run. Pieces are claimed in turn; if another loop is running, the caller runs them all.
void bp_parallel_for(int count, void (*body)(void *context, int index), void *context);
/// The threads of a parallel loop (and of a matrix product); OpenBLAS itself runs one.
int bp_parallel_threads(void);
void bp_parallel_set_threads(int count);
/// The CPUs this process may run on, at most 8.
int bp_parallel_default_threads(void);

/// Keeps up to `bytes` of freed memory for later allocations and serves allocations below
/// 32 MB from the heap (glibc's mallopt M_TRIM_THRESHOLD and M_MMAP_THRESHOLD); 1 if glibc
/// accepted both, 0 otherwise or without glibc (memory.c; ArrayKit's Memory.keepFreedMemory).
int bp_keep_freed_memory(long bytes);

/// Asks the CPU to start loading the cache line at `address`: a hint, no effect on results.
static inline void bp_prefetch(const void *address) { __builtin_prefetch(address, 0, 3); }

/// The correctly rounded square root, as the instruction computes it. Swift's `squareRoot()`
/// on Linux calls libm's `sqrtf`/`sqrt`, which may set errno: a test and a call per element
/// that keep a loop from vectorizing. This form never touches errno, so LLVM vectorizes it;
/// the results are the same bits (IEEE 754 rounds a square root correctly either way).
static inline float bp_sqrtf(float x) { return __builtin_elementwise_sqrt(x); }
static inline double bp_sqrt(double x) { return __builtin_elementwise_sqrt(x); }

#endif
