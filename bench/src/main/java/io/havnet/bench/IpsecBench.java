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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code havnet bench ipsec}: ESP encapsulation + decapsulation on one core (frames circulate
 * between an {@link EspEncap} and an {@link EspDecap} over ring ports, tunnel mode, AES-128-GCM),
 * next to the raw JDK AES-GCM it is built on — a fresh-IV {@code init}, AAD and {@code doFinal}
 * to encrypt, the same to decrypt, on byte arrays of the payload's size — measured in the same
 * run. The two sides take turns in slices of {@value #SLICE_MS} ms for the whole measured time,
 * so both see the same machine: on this kind of VM a side's rate moves by ±25 % from one second
 * to the next, which made separate rounds of a second or two disagree by as much. The ratio is
 * reported over the whole time and per third of it, so a reader sees how steady it was. Sizes
 * are Ethernet frames with FCS; IMIX is 7 × 64 : 4 × 576 : 1 × 1518.
 */
public final class IpsecBench {
    public static final int IMIX = 0;
    private static final int[] IMIX_SIZES = {64, 64, 576, 64, 64, 576, 64, 1518, 64, 576, 64, 576};
    /** How long one side runs before the other takes its turn. */
    static final int SLICE_MS = 25;
    private static final int BLOCKS = 3;
    private final double seconds;

    /** @param seconds measured time per side and size, in slices alternating with the other side */
    public IpsecBench(double seconds) {
        this.seconds = seconds;
    }

    /** One size with one backend: havnet's encap+decap and raw JDK AES-GCM seal+open. */
    public Map<String, Object> run(int frameSize, CryptoBackend backend) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("frame_size", frameSize == IMIX ? "imix" : frameSize);
        m.put("backend", backend.label());
        try (Havnet h = new Havnet(frameSize, backend)) {
            RawJdk raw = new RawJdk(frameSize);
            long slice = SLICE_MS * 1_000_000L;
            // warm-up, in turns as well, so both sides are compiled before the clock starts
            int warm = (int) Math.max(8, Math.min(40, seconds * 1000 / SLICE_MS / 2));
            for (int i = 0; i < warm; i++) {
                h.slice(slice);
                raw.slice(slice);
            }
            int perBlock = (int) Math.max(2, Math.round(seconds * 1000 / SLICE_MS / BLOCKS));
            Side hs = new Side(h);
            Side rs = new Side(raw);
            List<Double> blocks = new ArrayList<>();
            for (int b = 0; b < BLOCKS; b++) {
                long hp = hs.packets;
                long hn = hs.ns;
                long rp = rs.packets;
                long rn = rs.ns;
                for (int i = 0; i < perBlock; i++) {
                    hs.slice(slice);
                    rs.slice(slice);
                }
                blocks.add(Measure.r3((hs.packets - hp) / (double) (hs.ns - hn) / ((rs.packets - rp) / (double) (rs.ns - rn))));
            }
            h.checkNoDrops();
            m.put("havnet_mpps", Measure.r3(hs.pps() / 1e6));
            m.put("havnet_gbps", Measure.r3(hs.bytesPerSecond() * 8 / 1e9));
            m.put("havnet_alloc_bytes_per_pkt", Measure.r3(hs.allocPerPacket()));
            m.put("raw_jdk_mpps", Measure.r3(rs.pps() / 1e6));
            m.put("raw_jdk_gbps", Measure.r3(rs.bytesPerSecond() * 8 / 1e9));
            m.put("raw_jdk_alloc_bytes_per_pkt", Measure.r3(rs.allocPerPacket()));
            m.put("havnet_vs_raw_jdk", Measure.r3(hs.pps() / rs.pps()));
            m.put("havnet_vs_raw_jdk_by_third", blocks);
        }
        return m;
    }

    private static int size(int frameSize, int i) {
        return frameSize == IMIX ? IMIX_SIZES[i % IMIX_SIZES.length] : frameSize;
    }

    /** One side of the comparison. */
    private interface Runner {
        /** Runs for about {@code ns}; returns the packets that went through. */
        long slice(long ns);

        /** Plaintext bytes per packet, averaged over the sizes it cycles through. */
        double bytesPerPacket();
    }

    /** What one side did over its slices: packets, time and bytes allocated. */
    private static final class Side {
        final Runner runner;
        long packets;
        long ns;
        long alloc;

        Side(Runner runner) {
            this.runner = runner;
        }

        void slice(long sliceNs) {
            long a0 = Measure.allocatedBytes();
            long t0 = System.nanoTime();
            packets += runner.slice(sliceNs);
            ns += System.nanoTime() - t0;
            alloc += Measure.allocatedBytes() - a0;
        }

        double pps() {
            return packets * 1e9 / ns;
        }

        double bytesPerSecond() {
            return pps() * runner.bytesPerPacket();
        }

        double allocPerPacket() {
            return alloc / (double) Math.max(1, packets);
        }
    }

    /** havnet: 240 frames circulating through encap and decap on ring ports. */
    private static final class Havnet implements Runner, AutoCloseable {
        private final MemoryRegion region;
        private final Sad left;
        private final Sad right;
        private final Mempool pool;
        private final RingEthDev[] ports;
        private final NfAgent enc;
        private final NfAgent dec;
        private final double bytesPerPacket;

        Havnet(int frameSize, CryptoBackend backend) {
            TunnelFactory.Pair pair = TunnelFactory.create(0xCB007101, 0xCB007102, new int[] {0x0A010000, 16},
                    new int[] {0x0A020000, 16}, Aead.AES_128_GCM, 64, new SecureRandom());
            LcoreId.acquire();
            region = MemoryRegion.allocate("ipsec-bench", 32L << 20, HugePagePolicy.NEVER);
            left = new Sad(pair.left().sas(), backend);
            right = new Sad(pair.right().sas(), backend);
            pool = MbufPool.builder("ipsec-bench", region).count(4095).build();
            ports = RingEthDev.pair("ipsec-a", "ipsec-b", 1, 1024);
            long bytes = 0;
            for (int i = 0; i < 240; i++) {
                int s = size(frameSize, i);
                byte[] f = PacketBuilder.ethernet(2, 1).ipv4("10.1.0.1", "10.2.0.1").udp(40000, 33333).padTo(s - 4).build();
                bytes += f.length;
                if (!ports[0].rxRing(0).enqueue(Mbuf.fromBytes(pool, f))) {
                    throw new IllegalStateException("ring full");
                }
            }
            bytesPerPacket = bytes / 240.0;
            enc = new EspEncap(ports[0], ports[0], 32, pair.left(), left);
            dec = new EspDecap(ports[1], ports[1], 32, pair.right(), right);
        }

        /** Packets that went through encap and decap. */
        @Override
        public long slice(long ns) {
            long end = System.nanoTime() + ns;
            long d0 = dec.counters().get(NfAgent.TX);
            while (System.nanoTime() < end) {
                for (int i = 0; i < 16; i++) {
                    enc.doWork();
                    dec.doWork();
                }
            }
            return dec.counters().get(NfAgent.TX) - d0;
        }

        @Override
        public double bytesPerPacket() {
            return bytesPerPacket;
        }

        void checkNoDrops() {
            if (enc.dropped() + dec.dropped() != 0) {
                throw new IllegalStateException("ESP bench dropped frames: " + enc.counters().snapshot() + " "
                        + dec.counters().snapshot());
            }
        }

        @Override
        public void close() {
            try {
                for (RingEthDev d : ports) {
                    int m;
                    while ((m = d.rxRing(0).dequeue()) != -1) {
                        Mbuf.free(m);
                    }
                    d.close();
                }
                pool.close();
                left.close();
                right.close();
                region.close();
            } finally {
                LcoreId.release();
            }
        }
    }

    /** The JDK alone: seal then open the payload ESP would encrypt (inner IPv4 packet + 2 trailer bytes). */
    private static final class RawJdk implements Runner {
        private final SecretKeySpec key;
        private final Cipher c;
        private final byte[] iv = new byte[12];
        private final byte[] aad = new byte[8];
        private final byte[][] pt = new byte[IMIX_SIZES.length][];
        private final byte[] ct = new byte[2048];
        private final byte[] back = new byte[2048];
        private final double bytesPerPacket;
        private long counter;

        RawJdk(int frameSize) {
            byte[] k = new byte[16];
            new SecureRandom().nextBytes(k);
            key = new SecretKeySpec(k, "AES");
            try {
                c = Cipher.getInstance("AES/GCM/NoPadding");
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
            long bytes = 0;
            for (int i = 0; i < pt.length; i++) {
                pt[i] = new byte[size(frameSize, i) - 4 - 14 + 2];
                bytes += pt[i].length + 14 - 2;
            }
            bytesPerPacket = bytes / (double) pt.length;
        }

        @Override
        public long slice(long ns) {
            long end = System.nanoTime() + ns;
            long n = 0;
            try {
                while (System.nanoTime() < end) {
                    for (int i = 0; i < 64; i++) {
                        byte[] p = pt[(int) (counter % pt.length)];
                        counter++;
                        for (int b = 0; b < 8; b++) {
                            iv[4 + b] = (byte) (counter >>> (56 - 8 * b));
                        }
                        c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
                        c.updateAAD(aad);
                        int len = c.doFinal(p, 0, p.length, ct, 0);
                        c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, iv));
                        c.updateAAD(aad);
                        c.doFinal(ct, 0, len, back, 0);
                        n++;
                    }
                }
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
            return n;
        }

        @Override
        public double bytesPerPacket() {
            return bytesPerPacket;
        }
    }
}
