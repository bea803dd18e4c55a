// The threads Backprop runs a loop on: the calling thread and a few persistent workers.
// See include/CBLAS.h.
//
// Work is cut into numbered pieces that every thread claims in turn, never assigned: a
// worker that is slow to wake (another process has its core) leaves its pieces to the
// caller, so a busy machine costs at most the speed of one thread, never a wait on a
// descheduled one. One loop runs at a time; a loop started while another runs (from
// another thread) runs on its caller alone.
#define _GNU_SOURCE
#include "CBLAS.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

enum { MaxThreads = 8 };

// How long a worker keeps polling for the next loop before it sleeps. A training step
// starts one every few tens of microseconds; waking a sleeping thread costs about as much
// as a small matrix product.
static const long SpinNanoseconds = 300000;

static pthread_mutex_t submit = PTHREAD_MUTEX_INITIALIZER;  // one loop at a time
static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static atomic_int threads = 1;
static int workers_started = 0;  // under `submit`
// The loop being run, written only while none of its pieces is in flight.
static void (*job_body)(void *, int);
static void *job_context;
// generation (32 bits) | piece count (16) | next piece to claim (16)
static _Atomic uint64_t ticket = 0;
static atomic_int finished = 0;
static atomic_int sleepers = 0;

static void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

static uint32_t generation_of(uint64_t t) { return (uint32_t)(t >> 32); }

// Claims and runs pieces of generation `generation` until none is left.
static void claim_pieces(uint32_t generation) {
    uint64_t t = atomic_load_explicit(&ticket, memory_order_acquire);
    for (;;) {
        if (generation_of(t) != generation) return;
        uint32_t count = (uint32_t)(t >> 16) & 0xffff, next = (uint32_t)t & 0xffff;
        if (next >= count) return;
        if (atomic_compare_exchange_weak_explicit(&ticket, &t, t + 1, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            job_body(job_context, (int)next);
            atomic_fetch_add_explicit(&finished, 1, memory_order_release);
            t = atomic_load_explicit(&ticket, memory_order_acquire);
        }
    }
}

static void *worker(void *unused) {
    (void)unused;
    uint32_t seen = generation_of(atomic_load(&ticket));
    for (;;) {
        long deadline = now_ns() + SpinNanoseconds;
        int spins = 0;
        while (generation_of(atomic_load_explicit(&ticket, memory_order_acquire)) == seen) {
            cpu_relax();
            if (++spins % 256 == 0 && now_ns() > deadline) {
                // Sleep until a loop is posted: `sleepers` is raised before the last
                // check, so a poster that missed this check sees it and wakes us.
                pthread_mutex_lock(&sleep_lock);
                atomic_fetch_add(&sleepers, 1);
                while (generation_of(atomic_load(&ticket)) == seen)
                    pthread_cond_wait(&wake, &sleep_lock);
                atomic_fetch_sub(&sleepers, 1);
                pthread_mutex_unlock(&sleep_lock);
            }
        }
        seen = generation_of(atomic_load_explicit(&ticket, memory_order_acquire));
        claim_pieces(seen);
    }
    return NULL;
}

int bp_parallel_default_threads(void) {
    int cpus = 1;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = CPU_COUNT(&set);
    else if (sysconf(_SC_NPROCESSORS_ONLN) > 0) cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
    return cpus < 1 ? 1 : cpus > MaxThreads ? MaxThreads : cpus;
}

int bp_parallel_threads(void) { return atomic_load(&threads); }

void bp_parallel_set_threads(int count) {
    atomic_store(&threads, count < 1 ? 1 : count > MaxThreads ? MaxThreads : count);
}

// Starts workers up to `wanted` threads in all (under `submit`); returns the threads there are.
static int ensure_workers(int wanted) {
    while (workers_started < wanted - 1) {
        pthread_t thread;
        pthread_attr_t attributes;
        pthread_attr_init(&attributes);
        pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attributes, worker, NULL);
        pthread_attr_destroy(&attributes);
        if (failed) break;
        workers_started++;
    }
    return workers_started + 1;
}

// When the caller had to wait for a worker longer than it worked itself, the worker was
// preempted mid-piece or woke late. Once is noise (a virtual machine's CPU can pause for a
// moment); three times in a row means another process wants the cores, and sharing then
// costs more than it gains. Loops then run on the caller alone for a while, a period that
// doubles while sharing keeps failing and halves while it works.
enum { FailuresBeforeSolo = 3, ShortestSoloPeriod = 64, LongestSoloPeriod = 4096 };
static int failures = 0;                     // under `submit`: shared loops in a row that waited
static int solo_loops = 0;                   // under `submit`: loops left to run alone
static int solo_period = ShortestSoloPeriod; // under `submit`

static void count_shared_loop(int paid) {
    if (paid) {
        failures = 0;
        solo_period = solo_period / 2 > ShortestSoloPeriod ? solo_period / 2 : ShortestSoloPeriod;
    } else if (++failures >= FailuresBeforeSolo) {
        failures = 0;
        solo_loops = solo_period;
        solo_period = solo_period * 2 < LongestSoloPeriod ? solo_period * 2 : LongestSoloPeriod;
    }
}

// Posts the loop to the workers, runs pieces here too, and waits for the last (under
// `submit`). Returns whether the wait was short enough for sharing to have paid.
static int run_shared(int count, void (*body)(void *, int), void *context) {
    job_body = body;
    job_context = context;
    atomic_store_explicit(&finished, 0, memory_order_relaxed);
    uint32_t generation = generation_of(atomic_load(&ticket)) + 1;
    long start = now_ns();
    atomic_store(&ticket, ((uint64_t)generation << 32) | ((uint64_t)count << 16));
    if (atomic_load(&sleepers) > 0) {
        pthread_mutex_lock(&sleep_lock);
        pthread_cond_broadcast(&wake);
        pthread_mutex_unlock(&sleep_lock);
    }
    claim_pieces(generation);
    long own = now_ns() - start;
    // The last pieces may still run on workers; they are short, so wait by polling.
    for (int spins = 0; atomic_load_explicit(&finished, memory_order_acquire) < count; spins++) {
        if (spins < 4096) cpu_relax(); else sched_yield();
    }
    long waited = now_ns() - start - own;
    return waited <= own;
}

void bp_parallel_for(int count, void (*body)(void *context, int index), void *context) {
    if (count > 1 && count <= 0xffff && atomic_load(&threads) >= 2 && pthread_mutex_trylock(&submit) == 0) {
        int shared = solo_loops == 0 && ensure_workers(atomic_load(&threads)) >= 2;
        if (shared) {
            count_shared_loop(run_shared(count, body, context));
        } else if (solo_loops > 0) {
            solo_loops--;
        }
        pthread_mutex_unlock(&submit);
        if (shared) return;
    }
    for (int i = 0; i < count; i++) body(context, i);
}
