package io.havnet.bench;

import io.havnet.dataplane.agent.LcoreId;
import io.havnet.dataplane.crypto.CryptoBackend;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.pmd.RingEthDev;
import io.havnet.nfv.NfAgent;
import io.havnet.nfv.ipsec.Aead;
import io.havnet.nfv.ipsec.EspDecap;
import io.havnet.nfv.ipsec.EspEncap;
import io.havnet.nfv.ipsec.Sad;
import io.havnet.nfv.ipsec.TunnelFactory;

import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code havnet bench ipsec}: ESP encapsulation + decapsulation on one core (frames circulate
 * between an {@link EspEncap} and an {@link EspDecap} over ring ports, tunnel mode, AES-128-GCM),
 * next to the raw JDK AES-GCM it is built on — a fresh-IV {@code init}, AAD and {@code doFinal}
 * to encrypt, the same to decrypt, on byte arrays of the payload's size — measured in the same
 * run: three interleaved rounds of each, the median round reported. Sizes are Ethernet frames
 * with FCS; IMIX is 7 × 64 : 4 × 576 : 1 × 1518.
 */
public final class IpsecBench {
    public static final int IMIX = 0;
    private static final int[] IMIX_SIZES = {64, 64, 576, 64, 64, 576, 64, 1518, 64, 576, 64, 576};
    private final double seconds;

    /** @param seconds measured time per side and size, split over three interleaved rounds */
    public IpsecBench(double seconds) {
        this.seconds = seconds / 3;
    }

    /** One size with one backend: havnet's encap+decap and raw JDK AES-GCM seal+open. */
    public Map<String, Object> run(int frameSize, CryptoBackend backend) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("frame_size", frameSize == IMIX ? "imix" : frameSize);
        m.put("backend", backend.label());
        // interleaved rounds, medians: the two sides see the same machine noise
        int rounds = 3;
        double[][] hs = new double[rounds][];
        double[][] rs = new double[rounds][];
        for (int r = 0; r < rounds; r++) {
            hs[r] = havnet(frameSize, backend);
            rs[r] = rawJdk(frameSize);
        }
        double[] h = medianBy(hs);
        double[] raw = medianBy(rs);
        m.put("havnet_mpps", Measure.r3(h[0] / 1e6));
        m.put("havnet_gbps", Measure.r3(h[1] * 8 / 1e9));
        m.put("havnet_alloc_bytes_per_pkt", Measure.r3(h[2]));
        m.put("raw_jdk_mpps", Measure.r3(raw[0] / 1e6));
        m.put("raw_jdk_gbps", Measure.r3(raw[1] * 8 / 1e9));
        m.put("raw_jdk_alloc_bytes_per_pkt", Measure.r3(raw[2]));
        m.put("havnet_vs_raw_jdk", Measure.r3(h[0] / raw[0]));
        return m;
    }

    /** The round with the median packet rate. */
    private static double[] medianBy(double[][] rounds) {
        double[][] sorted = rounds.clone();
        java.util.Arrays.sort(sorted, java.util.Comparator.comparingDouble(a -> a[0]));
        return sorted[sorted.length / 2];
    }

    private static int size(int frameSize, int i) {
        return frameSize == IMIX ? IMIX_SIZES[i % IMIX_SIZES.length] : frameSize;
    }

    /** {packets/s, plaintext bytes/s, bytes allocated per packet} through encap + decap. */
    private double[] havnet(int frameSize, CryptoBackend backend) {
        TunnelFactory.Pair pair = TunnelFactory.create(0xCB007101, 0xCB007102, new int[] {0x0A010000, 16},
                new int[] {0x0A020000, 16}, Aead.AES_128_GCM, 64, new SecureRandom());
        LcoreId.acquire();
        try (MemoryRegion region = MemoryRegion.allocate("ipsec-bench", 32L << 20, HugePagePolicy.NEVER);
             Sad left = new Sad(pair.left().sas(), backend); Sad right = new Sad(pair.right().sas(), backend)) {
            Mempool pool = MbufPool.builder("ipsec-bench", region).count(4095).build();
            RingEthDev[] p = RingEthDev.pair("ipsec-a", "ipsec-b", 1, 1024);
            long bytesPerRound = 0;
            for (int i = 0; i < 240; i++) {
                int s = size(frameSize, i);
                byte[] f = PacketBuilder.ethernet(2, 1).ipv4("10.1.0.1", "10.2.0.1").udp(40000, 33333).padTo(s - 4).build();
                bytesPerRound += f.length;
                if (!p[0].rxRing(0).enqueue(Mbuf.fromBytes(pool, f))) {
                    throw new IllegalStateException("ring full");
                }
            }
            NfAgent enc = new EspEncap(p[0], p[0], 32, pair.left(), left);
            NfAgent dec = new EspDecap(p[1], p[1], 32, pair.right(), right);
            loop(enc, dec, Math.min(0.5, seconds / 2));
            long a0 = Measure.allocatedBytes();
            long t0 = System.nanoTime();
            long n = loop(enc, dec, seconds);
            long ns = System.nanoTime() - t0;
            long alloc = Measure.allocatedBytes() - a0;
            if (enc.dropped() + dec.dropped() != 0) {
                throw new IllegalStateException("ESP bench dropped frames: " + enc.counters().snapshot() + " "
                        + dec.counters().snapshot());
            }
            for (RingEthDev d : p) {
                int m;
                while ((m = d.rxRing(0).dequeue()) != -1) {
                    Mbuf.free(m);
                }
                d.close();
            }
            pool.close();
            double pps = n * 1e9 / ns;
            return new double[] {pps, pps * bytesPerRound / 240.0, alloc / (double) Math.max(1, n)};
        } finally {
            LcoreId.release();
        }
    }

    /** Packets that went through encap and decap in {@code secs}. */
    private static long loop(NfAgent enc, NfAgent dec, double secs) {
        long end = System.nanoTime() + (long) (secs * 1e9);
        long d0 = dec.counters().get(NfAgent.TX);
        while (System.nanoTime() < end) {
            for (int i = 0; i < 64; i++) {
                enc.doWork();
                dec.doWork();
            }
        }
        return dec.counters().get(NfAgent.TX) - d0;
    }

    /** The JDK alone: seal then open the payload ESP would encrypt (inner IPv4 packet + 2 trailer bytes). */
    private double[] rawJdk(int frameSize) {
        try {
            byte[] key = new byte[16];
            new SecureRandom().nextBytes(key);
            SecretKeySpec k = new SecretKeySpec(key, "AES");
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            byte[] iv = new byte[12];
            byte[] aad = new byte[8];
            byte[][] pt = new byte[IMIX_SIZES.length][];
            for (int i = 0; i < pt.length; i++) {
                pt[i] = new byte[size(frameSize, i) - 4 - 14 + 2];
            }
            byte[] ct = new byte[2048];
            byte[] back = new byte[2048];
            long counter = 0;
            long bytes = 0;
            long n = 0;
            long a0 = 0;
            long t0 = 0;
            for (int phase = 0; phase < 2; phase++) {
                double secs = phase == 0 ? Math.min(0.5, seconds / 2) : seconds;
                if (phase == 1) {
                    a0 = Measure.allocatedBytes();
                    t0 = System.nanoTime();
                    n = 0;
                    bytes = 0;
                }
                long end = System.nanoTime() + (long) (secs * 1e9);
                while (System.nanoTime() < end) {
                    for (int i = 0; i < 64; i++) {
                        byte[] p = pt[(int) (n % pt.length)];
                        counter++;
                        for (int b = 0; b < 8; b++) {
                            iv[4 + b] = (byte) (counter >>> (56 - 8 * b));
                        }
                        c.init(Cipher.ENCRYPT_MODE, k, new GCMParameterSpec(128, iv));
                        c.updateAAD(aad);
                        int len = c.doFinal(p, 0, p.length, ct, 0);
                        c.init(Cipher.DECRYPT_MODE, k, new GCMParameterSpec(128, iv));
                        c.updateAAD(aad);
                        c.doFinal(ct, 0, len, back, 0);
                        bytes += p.length + 14 - 2;
                        n++;
                    }
                }
            }
            long ns = System.nanoTime() - t0;
            double pps = n * 1e9 / ns;
            return new double[] {pps, bytes * 1e9 / ns, (Measure.allocatedBytes() - a0) / (double) n};
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
