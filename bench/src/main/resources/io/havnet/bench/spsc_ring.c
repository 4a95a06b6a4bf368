/*
 * The native peer of `havnet bench ring`: havnet's SPSC ring protocol written in C, in the harness
 * of `havnet bench ring`, so the Java ring can be read against what the same two CPUs allow
 * (docs/performance.md, "Filled lines demoted to the shared cache"). `bench ring` compiles it
 * with the machine's C compiler (NativeRing.java) and runs it after its own variants; by hand:
 *   cc -O2 -march=native -pthread -o /tmp/spsc_ring bench/src/main/resources/io/havnet/bench/spsc_ring.c
 *   /tmp/spsc_ring 4096 32 50000000 5 256 0 1
 * (bench ring's capacity, burst, handles per round, rounds, idle pauses, producer and consumer CPUs).
 *
 * Ring: int slots, 64-byte aligned with a free line before and after; producer and consumer
 * counters on their own 128-byte spans; each side keeps a private copy of the other's tail and
 * reads the real one (acquire) only when the copy shows too little; burst semantics on both sides
 * (take what there is, up to the burst); tails published with release.
 * Harness: the producer hands over a 16,384-handle array made once, burst by burst, summing it;
 * the consumer copies each burst into its own array and sums it; a side that moved nothing waits
 * PAUSES pause instructions; a round's sums must agree. Variants add what Java cannot issue:
 *   c-spsc                    the protocol as is
 *   c-spsc-prefetch           consumer prefetches published lines PREFETCH_LINES ahead
 *   c-spsc-cldemote           producer demotes each burst's lines to the shared cache (CLDEMOTE)
 *   c-spsc-prefetch-cldemote  both
 * CLDEMOTE is emitted as bytes (0F 1C /0): a CPU without it executes a NOP.
 *
 * usage: spsc_ring CAPACITY BURST HANDLES ROUNDS PAUSES PRODUCER_CPU CONSUMER_CPU
 * prints one line per variant: name burst median_ns_per_handle best_ns_per_handle
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK 16384
#define LINE 64
#define PREFETCH_LINES 8

struct ring {
    char pad0[128];
    int prod_tail; /* written by the producer */
    char pad1[128 - sizeof(int)];
    int cons_tail; /* written by the consumer */
    char pad2[128 - sizeof(int)];
    int *slots;
    int mask, capacity;
};

struct variant { const char *name; int prefetch, demote; };
static const struct variant VARIANTS[] = {
    {"c-spsc", 0, 0},
    {"c-spsc-prefetch", 1, 0},
#if defined(__x86_64__)
    {"c-spsc-cldemote", 0, 1},
    {"c-spsc-prefetch-cldemote", 1, 1},
#endif
};
#define NVARIANTS ((int) (sizeof VARIANTS / sizeof VARIANTS[0]))

static int handles_src[CHUNK];
static int capacity, burst, pauses, cpu_p, cpu_c;

struct round {
    struct ring *r;
    const struct variant *v;
    long n;
    long sum_p, sum_c;
    struct timespec end;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int go;
};

static void pause_n(int n) {
    for (int i = 0; i < n; i++) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#else
        __asm__ __volatile__("" ::: "memory");
#endif
    }
}

static void demote(const void *p) {
#if defined(__x86_64__)
    __asm__ __volatile__(".byte 0x0f, 0x1c, 0x07" ::"D"(p) : "memory");
#else
    (void) p;
#endif
}

static void pin(int cpu) {
    if (cpu < 0) return;
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    sched_setaffinity(0, sizeof s, &s);
}

static void await_go(struct round *rd) {
    pthread_mutex_lock(&rd->lock);
    while (!rd->go) pthread_cond_wait(&rd->cond, &rd->lock);
    pthread_mutex_unlock(&rd->lock);
}

static void copy_in(struct ring *r, int head, const int *src, int n) {
    int idx = head & r->mask;
    int first = n < r->capacity - idx ? n : r->capacity - idx;
    memcpy(r->slots + idx, src, 4u * first);
    if (n > first) memcpy(r->slots, src + first, 4u * (n - first));
}

static void copy_out(struct ring *r, int head, int *dst, int n) {
    int idx = head & r->mask;
    int first = n < r->capacity - idx ? n : r->capacity - idx;
    memcpy(dst, r->slots + idx, 4u * first);
    if (n > first) memcpy(dst + first, r->slots, 4u * (n - first));
}

static void *producer(void *arg) {
    struct round *rd = arg;
    struct ring *r = rd->r;
    int demoting = rd->v->demote;
    pin(cpu_p);
    await_go(rd);
    int head = 0, cons_cache = 0;
    long sum = 0;
    for (long done = 0; done < rd->n; done += CHUNK) {
        int i = 0;
        while (i < CHUNK) {
            int k = burst < CHUNK - i ? burst : CHUNK - i;
            for (int j = i; j < i + k; j++) sum += handles_src[j];
            int end = i + k;
            while (i < end) {
                int want = end - i;
                int free = r->capacity + cons_cache - head;
                if (free < want) {
                    cons_cache = __atomic_load_n(&r->cons_tail, __ATOMIC_ACQUIRE);
                    free = r->capacity + cons_cache - head;
                }
                int sent = free < want ? free : want;
                if (sent == 0) {
                    pause_n(pauses);
                    continue;
                }
                copy_in(r, head, handles_src + i, sent);
                if (demoting) {
                    for (int s = 0; s < sent; s += LINE / 4) demote(r->slots + ((head + s) & r->mask));
                }
                head += sent;
                __atomic_store_n(&r->prod_tail, head, __ATOMIC_RELEASE);
                i += sent;
            }
        }
    }
    rd->sum_p = sum;
    return NULL;
}

static void *consumer(void *arg) {
    struct round *rd = arg;
    struct ring *r = rd->r;
    int prefetching = rd->v->prefetch;
    int *buf = malloc(sizeof(int) * burst);
    pin(cpu_c);
    await_go(rd);
    int head = 0, prod_cache = 0;
    long sum = 0;
    for (long done = 0; done < rd->n; done += CHUNK) {
        int left = CHUNK;
        while (left > 0) {
            int want = burst < left ? burst : left;
            int avail = prod_cache - head;
            if (avail < want) {
                prod_cache = __atomic_load_n(&r->prod_tail, __ATOMIC_ACQUIRE);
                avail = prod_cache - head;
            }
            int k = avail < want ? avail : want;
            if (k == 0) {
                pause_n(pauses);
                continue;
            }
            if (prefetching && avail >= k + PREFETCH_LINES * (LINE / 4)) {
                for (int s = 0; s < k; s += LINE / 4) {
                    __builtin_prefetch(r->slots + ((head + PREFETCH_LINES * (LINE / 4) + s) & r->mask));
                }
            }
            copy_out(r, head, buf, k);
            head += k;
            __atomic_store_n(&r->cons_tail, head, __ATOMIC_RELEASE);
            __asm__ __volatile__("" : : "r"(buf) : "memory"); /* the burst is read from buf, as in Java */
            for (int i = 0; i < k; i++) sum += buf[i];
            left -= k;
        }
    }
    rd->sum_c = sum;
    clock_gettime(CLOCK_MONOTONIC, &rd->end);
    free(buf);
    return NULL;
}

/* One round on a fresh ring; returns ns per handle, or -1 when the sums differ. */
static double run_round(const struct variant *v, long n) {
    struct ring *r = aligned_alloc(128, sizeof *r);
    memset(r, 0, sizeof *r);
    char *mem = aligned_alloc(LINE, 4u * capacity + 2 * LINE);
    memset(mem, 0, 4u * capacity + 2 * LINE);
    r->slots = (int *) (mem + LINE);
    r->capacity = capacity;
    r->mask = capacity - 1;
    struct round rd = {.r = r, .v = v, .n = n, .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    pthread_t tp, tc;
    pthread_create(&tp, NULL, producer, &rd);
    pthread_create(&tc, NULL, consumer, &rd);
    struct timespec nap = {0, 20 * 1000 * 1000}, t0;
    nanosleep(&nap, NULL); /* let both threads pin and wait */
    pthread_mutex_lock(&rd.lock);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rd.go = 1;
    pthread_cond_broadcast(&rd.cond);
    pthread_mutex_unlock(&rd.lock);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    free(mem);
    free(r);
    if (rd.sum_p != rd.sum_c) return -1;
    double ns = (rd.end.tv_sec - t0.tv_sec) * 1e9 + (rd.end.tv_nsec - t0.tv_nsec);
    return ns / n;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "usage: %s CAPACITY BURST HANDLES ROUNDS PAUSES PRODUCER_CPU CONSUMER_CPU\n", argv[0]);
        return 2;
    }
    capacity = atoi(argv[1]);
    burst = atoi(argv[2]);
    long handles = atol(argv[3]) / CHUNK * CHUNK;
    int rounds = atoi(argv[4]);
    pauses = atoi(argv[5]);
    cpu_p = atoi(argv[6]);
    cpu_c = atoi(argv[7]);
    if (capacity < 64 || (capacity & (capacity - 1)) || burst < 1 || burst > capacity || handles < CHUNK
            || rounds < 1 || rounds > 100 || pauses < 0) {
        fprintf(stderr, "spsc_ring: bad arguments\n");
        return 2;
    }
    for (int i = 0; i < CHUNK; i++) handles_src[i] = i;
    long warm = handles < (4L << 20) ? handles : (4L << 20);
    for (int v = 0; v < NVARIANTS; v++) {
        for (int w = 0; w < 2; w++) {
            if (run_round(&VARIANTS[v], warm / CHUNK * CHUNK) < 0) {
                fprintf(stderr, "spsc_ring: %s: the consumer's sum differs from the producer's\n", VARIANTS[v].name);
                return 1;
            }
        }
    }
    double ns[NVARIANTS][100];
    for (int k = 0; k < rounds; k++) { /* the variants take turns, round by round */
        for (int v = 0; v < NVARIANTS; v++) {
            ns[v][k] = run_round(&VARIANTS[v], handles);
            if (ns[v][k] < 0) {
                fprintf(stderr, "spsc_ring: %s: the consumer's sum differs from the producer's\n", VARIANTS[v].name);
                return 1;
            }
        }
    }
    for (int v = 0; v < NVARIANTS; v++) {
        qsort(ns[v], rounds, sizeof(double), cmp);
        double med = rounds % 2 ? ns[v][rounds / 2] : (ns[v][rounds / 2 - 1] + ns[v][rounds / 2]) / 2;
        printf("%s %d %.4f %.4f\n", VARIANTS[v].name, burst, med, ns[v][0]);
    }
    return 0;
}
