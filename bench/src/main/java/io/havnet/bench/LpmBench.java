package io.havnet.bench;

import io.havnet.nfv.l3.Lpm;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * {@code havnet bench lpm}: IPv4 longest-prefix-match lookups per second on one core — havnet's
 * DIR-24-8 table next to a binary trie (one node per prefix bit, the textbook structure) over the
 * same routes and addresses, measured in the same run. Routes: a default route and
 * {@code routes} prefixes shaped like an Internet table (60 % /24, the rest /8-/23 and a few
 * /25-/32); addresses: drawn from the routed prefixes, in bulks of 64.
 */
public final class LpmBench {
    private final int routes;
    private final double seconds;

    public LpmBench(int routes, double seconds) {
        this.routes = routes;
        this.seconds = seconds;
    }

    /** A binary trie: the peer. */
    static final class BinaryTrie {
        private int[] left = new int[1 << 16];
        private int[] right = new int[1 << 16];
        private int[] hop = new int[1 << 16];
        private int nodes = 1;

        BinaryTrie() {
            java.util.Arrays.fill(hop, -1);
        }

        void add(int prefix, int len, int nh) {
            int n = 0;
            for (int i = 0; i < len; i++) {
                boolean bit = (prefix >>> (31 - i) & 1) != 0;
                int next = bit ? right[n] : left[n];
                if (next == 0) {
                    next = newNode();
                    if (bit) {
                        right[n] = next;
                    } else {
                        left[n] = next;
                    }
                }
                n = next;
            }
            hop[n] = nh;
        }

        private int newNode() {
            if (nodes == left.length) {
                int size = left.length * 2;
                left = java.util.Arrays.copyOf(left, size);
                right = java.util.Arrays.copyOf(right, size);
                int old = hop.length;
                hop = java.util.Arrays.copyOf(hop, size);
                java.util.Arrays.fill(hop, old, size, -1);
            }
            return nodes++;
        }

        int lookup(int addr) {
            int n = 0;
            int best = hop[0];
            for (int i = 0; i < 32; i++) {
                n = (addr >>> (31 - i) & 1) != 0 ? right[n] : left[n];
                if (n == 0) {
                    break;
                }
                if (hop[n] >= 0) {
                    best = hop[n];
                }
            }
            return best;
        }
    }

    public Map<String, Object> run() {
        Random rnd = new Random(1);
        Lpm lpm = new Lpm(8192);
        BinaryTrie trie = new BinaryTrie();
        lpm.add(0, 0, 0);
        trie.add(0, 0, 0);
        int[] prefixes = new int[routes];
        int[] lens = new int[routes];
        for (int i = 0; i < routes; i++) {
            double u = rnd.nextDouble();
            int len = u < 0.6 ? 24 : u < 0.97 ? 8 + rnd.nextInt(16) : 25 + rnd.nextInt(8);
            int mask = -1 << (32 - len);
            int p = (rnd.nextInt() | 0x01000000) & mask;
            prefixes[i] = p;
            lens[i] = len;
            lpm.add(p, len, 1 + i % 1000);
            trie.add(p, len, 1 + i % 1000);
        }
        int[] addrs = new int[1 << 20];
        for (int i = 0; i < addrs.length; i++) {
            int r = rnd.nextInt(routes);
            addrs[i] = prefixes[r] | (lens[r] == 32 ? 0 : rnd.nextInt() >>> lens[r]);
        }
        for (int i = 0; i < 100_000; i++) {
            if (lpm.lookup(addrs[i]) != trie.lookup(addrs[i])) {
                throw new IllegalStateException("DIR-24-8 and the trie disagree on " + Integer.toHexString(addrs[i]));
            }
        }
        int[] out = new int[64];
        double[] l = measure(() -> {
            long sum = 0;
            for (int off = 0; off < addrs.length; off += 64) {
                for (int j = 0; j < 64; j++) {
                    out[j] = lpm.lookup(addrs[off + j]);
                }
                sum += out[off & 63];
            }
            return sum;
        }, addrs.length);
        double[] t = measure(() -> {
            long sum = 0;
            for (int off = 0; off < addrs.length; off += 64) {
                for (int j = 0; j < 64; j++) {
                    out[j] = trie.lookup(addrs[off + j]);
                }
                sum += out[off & 63];
            }
            return sum;
        }, addrs.length);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("routes", routes + 1);
        m.put("tbl8_groups", lpm.groupsInUse());
        m.put("dir24_8_mlookups_per_s", Measure.r3(l[0] / 1e6));
        m.put("dir24_8_alloc_bytes_per_lookup", Measure.r3(l[1]));
        m.put("binary_trie_mlookups_per_s", Measure.r3(t[0] / 1e6));
        m.put("speedup", Measure.r3(l[0] / t[0]));
        return m;
    }

    private double[] measure(java.util.function.LongSupplier pass, int perPass) {
        long sink = 0;
        long end = System.nanoTime() + (long) (Math.min(1.0, seconds / 2) * 1e9);
        while (System.nanoTime() < end) {
            sink += pass.getAsLong();
        }
        long a0 = Measure.allocatedBytes();
        long t0 = System.nanoTime();
        long n = 0;
        end = t0 + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            sink += pass.getAsLong();
            n += perPass;
        }
        long ns = System.nanoTime() - t0;
        long alloc = Measure.allocatedBytes() - a0;
        if (sink == 42) {
            System.out.print("");
        }
        return new double[] {n * 1e9 / ns, alloc / (double) n};
    }
}
