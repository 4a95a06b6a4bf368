package io.havnet.dataplane.pmd;

import io.havnet.dataplane.ethdev.DevInfo;
import io.havnet.dataplane.ethdev.EthConf;
import io.havnet.dataplane.ethdev.LinkStatus;
import io.havnet.dataplane.ethdev.Offloads;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.net.VlanTags;
import io.havnet.dataplane.os.Libc;
import io.havnet.dataplane.os.Posix;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A Linux interface as a port, through AF_PACKET (DPDK's {@code net_af_packet}): per RX queue a
 * socket with a TPACKET_V2 ring (DPDK's choice too): the kernel hands each frame over as it
 * arrives, by its own status word, so a lone frame waits for nothing (a TPACKET_V3 ring hands
 * over whole blocks, when full or when its retire timer fires: 1-4 ms on a 250 Hz kernel). Per
 * TX queue a socket with a PACKET_TX_RING (TPACKET_V2, one {@code send} kick per burst,
 * PACKET_QDISC_BYPASS). Several RX queues share the traffic through PACKET_FANOUT (hash). The
 * socket ignores what this host sends (PACKET_IGNORE_OUTGOING); a VLAN tag the kernel took out of
 * the frame is put back. Frames are copied between the rings and mbufs. Errors are one line:
 * {@code af_packet:eth9: no such interface}, {@code ... operation not permitted (needs CAP_NET_RAW)}.
 */
public final class AfPacketEthDev extends io.havnet.dataplane.ethdev.EthDev {
    static final int SOL_PACKET = 263;
    static final int PACKET_ADD_MEMBERSHIP = 1;
    static final int PACKET_RX_RING = 5;
    static final int PACKET_STATISTICS = 6;
    static final int PACKET_VERSION = 10;
    static final int PACKET_TX_RING = 13;
    static final int PACKET_FANOUT = 18;
    static final int PACKET_QDISC_BYPASS = 20;
    static final int PACKET_IGNORE_OUTGOING = 23;
    static final int TPACKET_V2 = 1;
    static final int PACKET_MR_PROMISC = 1;
    static final int ETH_P_ALL_BE = 0x0300; // htons(ETH_P_ALL)
    static final int TP_STATUS_USER = 1;
    static final int TP_STATUS_VLAN_VALID = 0x10;
    static final int TP_STATUS_VLAN_TPID_VALID = 0x40;
    static final int TX_AVAILABLE = 0;
    static final int TX_SEND_REQUEST = 1;
    static final int TX_WRONG_FORMAT = 4;
    /** The RX ring: 16 MiB of frames, 8,192 of 2 KiB (fewer, larger ones for an interface with a larger MTU). */
    static final long RX_RING_BYTES = 16L << 20;
    /** The ring's blocks (slots never straddle two). */
    static final int RX_BLOCK = 1 << 16;
    /** Slots in the ring at the least, whatever the MTU. */
    static final int RX_MIN_FRAMES = 512;
    /** Frame slots (RX and TX) are at least this big and a power of two. */
    static final int MIN_FRAME = 2048;
    /** Room before the frame in its slot: the kernel puts it at offset 66 (tpacket2_hdr, sockaddr_ll, aligned). */
    static final int RX_FRAME_OVERHEAD = 64 + 32;
    static final int TX_DATA = 32; // TPACKET_ALIGN(sizeof(tpacket2_hdr))
    /** The TX ring's blocks, and the ring: 2 MiB (1,024 slots of 2 KiB), at least 256 slots whatever the MTU. */
    static final int TX_BLOCK = 1 << 20;
    static final long TX_RING_BYTES = 2L << 20;
    static final int TX_MIN_FRAMES = 256;
    private static final VarHandle INT = ValueLayout.JAVA_INT.varHandle();

    private final String ifname;
    private final int ifindex;
    private final Posix ctl = new Posix();
    private final int fanoutId;
    private PacketRing[] rxq = new PacketRing[0];
    private PacketRing[] txq = new PacketRing[0];
    private volatile String downReason;
    private long linkCheckedAt;
    private LinkStatus lastLink = LinkStatus.down(null);
    private long kernelDrops;

    /** One queue's socket and its mapped TPACKET_V2 ring (PACKET_RX_RING or PACKET_TX_RING). */
    private final class PacketRing {
        final Posix sys = new Posix();
        int fd = -1;
        long ring;
        long ringLen;
        MemorySegment seg;
        int frameSize; // the slot stride
        int frames;    // slots in the ring
        int head;      // the next slot to look at

        /** Opens the socket, TPACKET_V2. */
        void open(int protocol) {
            fd = sys.socket(Posix.AF_PACKET, Posix.SOCK_RAW | Posix.SOCK_CLOEXEC, protocol);
            if (fd < 0) {
                throw problem(fail("socket", sys));
            }
            check(sys.setsockoptInt(fd, SOL_PACKET, PACKET_VERSION, TPACKET_V2), "TPACKET_V2", sys);
        }

        /**
         * Asks for the ring ({@code option}: PACKET_RX_RING or PACKET_TX_RING) of {@code frames}
         * slots of {@code frameSize} in blocks of at least {@code minBlock} bytes — a multiple of
         * the page and of the slot, so the slots lie back to back — and maps it.
         */
        void map(int option, String what, int frameSize, int frames, int minBlock) {
            this.frameSize = frameSize;
            this.frames = frames;
            this.head = 0;
            this.ringLen = (long) frameSize * frames;
            int block = Math.max(frameSize, minBlock);
            MemorySegment req = sys.scratch();
            req.set(ValueLayout.JAVA_INT, 0, block);
            req.set(ValueLayout.JAVA_INT, 4, (int) (ringLen / block));
            req.set(ValueLayout.JAVA_INT, 8, frameSize);
            req.set(ValueLayout.JAVA_INT, 12, frames);
            check(sys.setsockopt(fd, SOL_PACKET, option, req.address(), 16), what, sys);
            ring = sys.mmapShared(fd, ringLen);
            if (ring == -1) {
                throw problem(fail("mmap " + what, sys));
            }
            seg = MemorySegment.ofAddress(ring).reinterpret(ringLen);
        }

        void close() {
            if (fd >= 0) {
                ctl.munmap(ring, ringLen);
                ctl.close(fd);
                fd = -1;
            }
        }
    }

    private AfPacketEthDev(String name, String ifname, int ifindex, MacAddress mac) {
        super(name, new DevInfo("net_af_packet", 16, 16, Offloads.RX_SCATTER, Offloads.TX_MULTI_SEGS, 9000, 1, 8192), mac);
        this.ifname = ifname;
        this.ifindex = ifindex;
        this.fanoutId = portId() & 0xFFFF;
    }

    /**
     * Opens {@code ifname}; the port is not configured yet.
     *
     * @throws IllegalArgumentException when there is no such interface (one line naming it)
     */
    public static AfPacketEthDev open(String name, String ifname) {
        Posix.checkIfName("af_packet", ifname);
        if (!Posix.supported()) {
            throw new IllegalStateException("af_packet:" + ifname + ": AF_PACKET needs Linux");
        }
        Posix p = new Posix();
        int idx = p.ifNameToIndex(ifname);
        if (idx == 0) {
            throw new IllegalArgumentException("af_packet:" + ifname + ": no such interface");
        }
        return new AfPacketEthDev(name, ifname, idx, readMac(ifname));
    }

    static MacAddress readMac(String ifname) {
        try {
            String s = Files.readString(Path.of("/sys/class/net", ifname, "address")).strip();
            if (s.matches("([0-9a-f]{2}:){5}[0-9a-f]{2}")) {
                return MacAddress.parse(s);
            }
        } catch (IOException | IllegalArgumentException e) {
            // fall through: a locally administered placeholder
        }
        return MacAddress.local(0xAF0000L | (ifname.hashCode() & 0xFFFF));
    }

    public String interfaceName() {
        return ifname;
    }

    private String fail(String what, Posix p) {
        int e = p.errno();
        String why = e == Libc.EPERM || e == Libc.EACCES ? "operation not permitted (needs CAP_NET_RAW)"
                : e == Libc.ENODEV || e == Libc.ENXIO ? "no such interface" : p.error();
        return "af_packet:" + ifname + ": " + what + ": " + why;
    }

    @Override
    protected void doConfigure(int nbRx, int nbTx, EthConf c) {
        closeSockets();
        rxq = new PacketRing[nbRx];
        txq = new PacketRing[nbTx];
        for (int q = 0; q < nbRx; q++) {
            rxq[q] = new PacketRing();
        }
        for (int q = 0; q < nbTx; q++) {
            txq[q] = new PacketRing();
        }
    }

    @Override
    protected void doRxQueueSetup(int q, int nbDesc, Mempool pool) {
        if (pool == null) {
            throw new IllegalArgumentException(name() + ": RX queue " + q + " needs a mempool");
        }
        PacketRing r = rxq[q];
        Posix s = r.sys;
        r.open(ETH_P_ALL_BE);
        s.setsockoptInt(r.fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1); // kernels before 4.20: outgoing frames come back
        int slot = rxFrameSize(readMtu(ifname));
        r.map(PACKET_RX_RING, "PACKET_RX_RING", slot, slots(RX_RING_BYTES, slot, RX_MIN_FRAMES), RX_BLOCK);
        bind(r.fd, s);
        if (rxq.length > 1) {
            check(s.setsockoptInt(r.fd, SOL_PACKET, PACKET_FANOUT, fanoutId), "PACKET_FANOUT", s);
        }
        if (promiscuous()) {
            promisc(r.fd, s);
        }
    }

    /** The RX slot for an interface of this MTU: room for the headers, the frame and a VLAN tag. */
    static int rxFrameSize(int mtu) {
        return slotSize(RX_FRAME_OVERHEAD, mtu);
    }

    /** The TX slot for an interface of this MTU: the header, the frame and a VLAN tag. */
    static int txFrameSize(int mtu) {
        return slotSize(TX_DATA, mtu);
    }

    /** {@code overhead} + the largest frame of {@code mtu} with a VLAN tag, as a power of two of 2 KiB or more. */
    private static int slotSize(int overhead, int mtu) {
        int need = overhead + Math.max(mtu, 1500) + 14 + 4;
        return Math.max(MIN_FRAME, Integer.highestOneBit(need - 1) << 1);
    }

    /** Slots in the RX ring: 16 MiB of them, and never fewer than 512 (64 MiB for loopback's 64 KiB MTU). */
    static int rxFrames(int frameSize) {
        return slots(RX_RING_BYTES, frameSize, RX_MIN_FRAMES);
    }

    private static int slots(long ringBytes, int frameSize, int min) {
        return (int) Math.max(ringBytes / frameSize, min);
    }

    /** The interface's MTU from sysfs, or 1500 when it cannot be read. */
    static int readMtu(String ifname) {
        try {
            int mtu = Integer.parseInt(Files.readString(Path.of("/sys/class/net", ifname, "mtu")).strip());
            return mtu > 0 && mtu <= 65536 ? mtu : 1500;
        } catch (IOException | NumberFormatException e) {
            return 1500;
        }
    }

    @Override
    protected void doTxQueueSetup(int q, int nbDesc) {
        PacketRing t = txq[q];
        Posix s = t.sys;
        t.open(0);
        s.setsockoptInt(t.fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1);
        int slot = txFrameSize(readMtu(ifname));
        t.map(PACKET_TX_RING, "PACKET_TX_RING", slot, slots(TX_RING_BYTES, slot, TX_MIN_FRAMES), TX_BLOCK);
        // bind with protocol 0: this socket sends only, it never receives
        MemorySegment sa = s.scratch();
        sa.fill((byte) 0);
        sa.set(ValueLayout.JAVA_SHORT, 0, (short) Posix.AF_PACKET);
        sa.set(ValueLayout.JAVA_INT, 4, ifindex);
        if (s.bind(t.fd, sa.address(), 20) != 0) {
            throw problem(fail("bind", s));
        }
    }

    private void bind(int fd, Posix s) {
        MemorySegment sa = s.scratch();
        sa.fill((byte) 0);
        sa.set(ValueLayout.JAVA_SHORT, 0, (short) Posix.AF_PACKET);
        sa.set(ValueLayout.JAVA_SHORT, 2, (short) ETH_P_ALL_BE);
        sa.set(ValueLayout.JAVA_INT, 4, ifindex);
        if (s.bind(fd, sa.address(), 20) != 0) {
            throw problem(fail("bind", s));
        }
    }

    private void promisc(int fd, Posix s) {
        MemorySegment mr = s.scratch();
        mr.fill((byte) 0);
        mr.set(ValueLayout.JAVA_INT, 0, ifindex);
        mr.set(ValueLayout.JAVA_SHORT, 4, (short) PACKET_MR_PROMISC);
        check(s.setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, mr.address(), 16), "promiscuous mode", s);
    }

    private void check(int rc, String what, Posix s) {
        if (rc != 0) {
            throw problem(fail(what, s));
        }
    }

    @Override
    public void setPromiscuous(boolean on) {
        super.setPromiscuous(on);
        if (on) {
            for (PacketRing r : rxq) {
                if (r != null && r.fd >= 0) {
                    promisc(r.fd, r.sys);
                }
            }
        }
    }

    /**
     * A failure the user fixes in their setup (privileges, a missing interface) is an
     * IllegalArgumentException — one line, exit 2 at the command line; anything else IllegalStateException.
     */
    private static RuntimeException problem(String message) {
        return message.contains("operation not permitted") || message.contains("no such interface")
                || message.contains("no /dev/net/tun") ? new IllegalArgumentException(message) : new IllegalStateException(message);
    }

    @Override
    public LinkStatus link() {
        String r = downReason;
        if (r != null) {
            return LinkStatus.down(r);
        }
        if (!isStarted()) {
            return LinkStatus.down(null);
        }
        long now = System.nanoTime();
        if (now - linkCheckedAt > 100_000_000L) {
            linkCheckedAt = now;
            try {
                String state = Files.readString(Path.of("/sys/class/net", ifname, "operstate")).strip();
                lastLink = state.equals("up") || state.equals("unknown") ? LinkStatus.up(10_000)
                        : LinkStatus.down(ifname + " is " + state);
            } catch (IOException e) {
                downReason = "af_packet:" + ifname + ": the interface is gone";
                return LinkStatus.down(downReason);
            }
        }
        return lastLink;
    }

    @Override
    public int rxBurst(int q, int[] pkts, int off, int n) {
        if (!isStarted() || downReason != null) {
            return 0;
        }
        PacketRing r = rxq[q];
        MemorySegment ring = r.seg;
        Mempool pool = rxPool(q);
        int k = 0;
        long bytes = 0;
        while (k < n) {
            long p = (long) r.head * r.frameSize;
            int st = (int) INT.getAcquire(ring, p);
            if ((st & TP_STATUS_USER) == 0) {
                break; // the kernel has not filled this slot yet
            }
            // tpacket2_hdr: status, len, snaplen, mac, net, sec, nsec, vlan_tci, vlan_tpid
            int len = ring.get(ValueLayout.JAVA_INT, p + 4);
            int snap = ring.get(ValueLayout.JAVA_INT, p + 8);
            int mac = Short.toUnsignedInt(ring.get(ValueLayout.JAVA_SHORT, p + 12));
            int m = snap == len ? Mbuf.fromBytes(pool, ring, p + mac, snap) : Mbuf.NONE;
            if (snap != len) {
                rxCounters(q).add(RXQ_ERRORS, 1); // truncated by the ring: never delivered half a frame
            } else if (m == Mbuf.NONE) {
                rxCounters(q).add(RXQ_NOMBUF, 1);
            } else {
                if ((st & TP_STATUS_VLAN_VALID) != 0) {
                    int tci = Short.toUnsignedInt(ring.get(ValueLayout.JAVA_SHORT, p + 24));
                    int tpid = (st & TP_STATUS_VLAN_TPID_VALID) != 0
                            ? Short.toUnsignedInt(ring.get(ValueLayout.JAVA_SHORT, p + 26)) : 0x8100;
                    if (!VlanTags.insert(m, tpid, tci)) {
                        Mbuf.free(m);
                        rxCounters(q).add(RXQ_ERRORS, 1);
                        m = Mbuf.NONE;
                    }
                }
                if (m != Mbuf.NONE) {
                    Mbuf.setPort(m, portId());
                    pkts[off + k++] = m;
                    bytes += Mbuf.pktLen(m);
                }
            }
            INT.setRelease(ring, p, 0); // TP_STATUS_KERNEL: the slot goes back
            r.head = r.head + 1 == r.frames ? 0 : r.head + 1;
        }
        if (k > 0) {
            rxCounters(q).add(RXQ_PACKETS, k);
            rxCounters(q).add(RXQ_BYTES, bytes);
        }
        return k;
    }

    @Override
    public int txBurst(int q, int[] pkts, int off, int n) {
        if (!isStarted() || downReason != null || n == 0) {
            return 0;
        }
        PacketRing t = txq[q];
        MemorySegment ring = t.seg;
        int k = 0;
        long bytes = 0;
        while (k < n) {
            long f = (long) t.head * t.frameSize;
            int status = (int) INT.getAcquire(ring, f);
            if (status == TX_WRONG_FORMAT) {
                txCounters(q).add(TXQ_ERRORS, 1);
                INT.setRelease(ring, f, TX_AVAILABLE);
                status = TX_AVAILABLE;
            }
            if (status != TX_AVAILABLE) {
                break; // the kernel has not sent this slot yet: the ring is full
            }
            int m = pkts[off + k];
            int len = Mbuf.pktLen(m);
            if (len > t.frameSize - TX_DATA || len < 14) {
                txCounters(q).add(TXQ_ERRORS, 1); // too long for the ring's frames: taken, counted, freed below
                k++;
                continue;
            }
            long at = f + TX_DATA;
            for (int s = m; s != Mbuf.NONE; s = Mbuf.next(s)) {
                int l = Mbuf.dataLen(s);
                MemorySegment.copy(Mbuf.segment(s), Mbuf.dataOffset(s), ring, at, l);
                at += l;
            }
            ring.set(ValueLayout.JAVA_INT, f + 4, len);
            ring.set(ValueLayout.JAVA_INT, f + 8, len);
            INT.setRelease(ring, f, TX_SEND_REQUEST);
            t.head = t.head + 1 == t.frames ? 0 : t.head + 1;
            bytes += len;
            k++;
        }
        if (k > 0) {
            Mbuf.freeBulk(pkts, off, k); // copied into the ring: the mbufs go back now
            long rc = t.sys.sendto(t.fd, 0L, 0L, Posix.MSG_DONTWAIT, 0L, 0);
            if (rc < 0) {
                int e = t.sys.errno();
                if (e == Libc.ENXIO || e == Libc.ENODEV || e == Libc.ENETDOWN) {
                    downReason = "af_packet:" + ifname + ": " + Libc.describe(e);
                }
                // EAGAIN/ENOBUFS: the frames stay in the ring and go with the next kick
            }
            txCounters(q).add(TXQ_PACKETS, k);
            txCounters(q).add(TXQ_BYTES, bytes);
        }
        return k;
    }

    /** Frames the kernel dropped because an RX ring was full (PACKET_STATISTICS), so far. */
    public long kernelDrops() {
        for (PacketRing r : rxq) {
            if (r == null || r.fd < 0) {
                continue;
            }
            MemorySegment s = ctl.scratch();
            s.set(ValueLayout.JAVA_INT, 64, 12);
            if (ctl.getsockopt(r.fd, SOL_PACKET, PACKET_STATISTICS, s.address(), s.address() + 64) == 0) {
                long drops = Integer.toUnsignedLong(s.get(ValueLayout.JAVA_INT, 4));
                kernelDrops += drops;
                if (drops > 0) {
                    countPortMissed(drops);
                }
            }
        }
        return kernelDrops;
    }

    @Override
    protected void doStop() {
        kernelDrops();
    }

    @Override
    protected void doClose() {
        closeSockets();
    }

    private void closeSockets() {
        for (PacketRing[] rings : new PacketRing[][] {rxq, txq}) {
            for (PacketRing r : rings) {
                if (r != null) {
                    r.close();
                }
            }
        }
    }

    @Override
    public String toString() {
        return "af_packet:" + ifname;
    }
}
