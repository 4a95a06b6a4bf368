package io.havnet.hypervisor.virtio;

import io.havnet.dataplane.ethdev.DevInfo;
import io.havnet.dataplane.ethdev.EthConf;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.ethdev.LinkStatus;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufDescriptor;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.stats.Counters;

import java.lang.foreign.MemorySegment;
import java.lang.invoke.VarHandle;

import static io.havnet.hypervisor.virtio.VirtioNetBackend.IDX;
import static io.havnet.hypervisor.virtio.VirtioNetBackend.U16;
import static io.havnet.hypervisor.virtio.VirtioNetBackend.U32;
import static io.havnet.hypervisor.virtio.VirtioNetBackend.U64;

/**
 * The guest's virtio-net poll-mode driver ({@code net_virtio}), as DPDK's: virtqueues in guest
 * memory, RX buffers posted as mbufs with the virtio-net header landing in their headroom, TX
 * frames with the header prepended in the headroom, one descriptor per segment. Notifications
 * follow EVENT_IDX: the driver kicks the device (an MMIO write: a VM exit) only when the device
 * asked to be told; in poll mode it never asks for interrupts.
 */
public final class VirtioNetPmd extends EthDev {
    private static final LinkStatus DOWN = LinkStatus.down(null);
    private static final LinkStatus BROKEN = LinkStatus.down("virtio device needs reset");

    private final VirtioNetBackend dev;
    private final MemoryRegion mem;
    private final MemorySegment ram;
    private final boolean pollMode;
    private final long features;
    /** The link as the device config gave it when the driver probed the device (SPEED_DUPLEX): read once, as DPDK's driver does. */
    private final LinkStatus up;
    private Vq rx;
    private Vq tx;
    private Mempool rxPool;
    private final int[] refill = new int[64];
    private int refillLeft;

    /** A virtqueue as the driver sees it. */
    static final class Vq {
        int size;
        long desc;
        long avail;
        long used;
        int availIdx;
        int lastUsed;
        int[] sw;        // mbuf per head descriptor
        int[] chainLen;  // descriptors per head (TX)
        int freeHead;
        int freeCount;
    }

    private VirtioNetPmd(String name, VirtioNetBackend dev, MemoryRegion guestMemory, MacAddress mac, long features,
                         boolean pollMode, LinkStatus up) {
        super(name, new DevInfo("net_virtio", 1, 1, 0, io.havnet.dataplane.ethdev.Offloads.TX_MULTI_SEGS, 9728,
                32, VirtioNetBackend.MAX_QUEUE_SIZE), mac);
        this.dev = dev;
        this.mem = guestMemory;
        this.ram = guestMemory.segment();
        this.pollMode = pollMode;
        this.features = features;
        this.up = up;
    }

    /**
     * Probes the device (virtio 1.2 §3.1.1): reset, ACKNOWLEDGE, DRIVER, negotiate
     * VERSION_1 + MAC + MRG_RXBUF + EVENT_IDX + STATUS + SPEED_DUPLEX, FEATURES_OK, read the MAC and,
     * with SPEED_DUPLEX, the link's speed and duplex (a speed above 0x7fffffff is unknown, a duplex
     * other than half or full leaves full, as DPDK's driver does; without the feature the speed is
     * unknown).
     *
     * @throws IllegalStateException when the device refuses the features
     */
    public static VirtioNetPmd probe(String name, VirtioNetBackend dev, MemoryRegion guestMemory, boolean pollMode) {
        dev.setStatus(0);
        dev.setStatus(Virtio.STATUS_ACKNOWLEDGE);
        dev.setStatus(Virtio.STATUS_ACKNOWLEDGE | Virtio.STATUS_DRIVER);
        long wanted = 1L << Virtio.F_VERSION_1 | 1L << Virtio.F_NET_MAC | 1L << Virtio.F_NET_MRG_RXBUF
                | 1L << Virtio.F_RING_EVENT_IDX | 1L << Virtio.F_NET_STATUS | 1L << Virtio.F_NET_SPEED_DUPLEX;
        long f = dev.deviceFeatures() & wanted;
        dev.setDriverFeatures(f);
        dev.setStatus(Virtio.STATUS_ACKNOWLEDGE | Virtio.STATUS_DRIVER | Virtio.STATUS_FEATURES_OK);
        if ((dev.status() & Virtio.STATUS_FEATURES_OK) == 0) {
            dev.setStatus(Virtio.STATUS_FAILED);
            throw new IllegalStateException(name + ": the device refused features 0x" + Long.toHexString(f));
        }
        int speed = LinkStatus.SPEED_UNKNOWN;
        boolean full = true;
        if ((f & 1L << Virtio.F_NET_SPEED_DUPLEX) != 0) {
            int s = dev.speed();
            speed = s >= 0 ? s : LinkStatus.SPEED_UNKNOWN;
            int d = dev.duplex();
            full = d != Virtio.DUPLEX_HALF;
        }
        LinkStatus up = new LinkStatus(true, speed, full, null);
        return new VirtioNetPmd(name, dev, guestMemory, new MacAddress(dev.mac()), f, pollMode, up);
    }

    /** Guest-physical addresses of the virtqueues: {desc, avail, used} (diagnostics, hostile-guest tests). */
    public long[] queueAddresses(int queue) {
        Vq v = queue == Virtio.RX_QUEUE ? rx : tx;
        return new long[] {v.desc, v.avail, v.used, v.size, v.availIdx};
    }

    public long negotiatedFeatures() {
        return features;
    }

    private boolean eventIdx() {
        return (features & 1L << Virtio.F_RING_EVENT_IDX) != 0;
    }

    private Vq allocate(int size) {
        if (Integer.bitCount(size) != 1) {
            throw new IllegalArgumentException(name() + ": virtqueue size " + size + " is not a power of two");
        }
        Vq v = new Vq();
        v.size = size;
        v.desc = mem.iovaOfOffset(mem.allocate(Virtio.descTableBytes(size), 16));
        v.avail = mem.iovaOfOffset(mem.allocate(Virtio.availBytes(size), 2));
        v.used = mem.iovaOfOffset(mem.allocate(Virtio.usedBytes(size), 4));
        v.sw = new int[size];
        v.chainLen = new int[size];
        return v;
    }

    @Override
    protected void doConfigure(int nbRx, int nbTx, EthConf c) {
        if (nbRx != 1 || nbTx != 1) {
            throw new IllegalArgumentException(name() + ": net_virtio here has one queue pair");
        }
    }

    @Override
    protected void doRxQueueSetup(int q, int nbDesc, Mempool pool) {
        if (pool == null) {
            throw new IllegalArgumentException(name() + ": RX queue needs a mempool");
        }
        if (rx == null || rx.size != nbDesc) {
            rx = allocate(nbDesc);
        }
        rxPool = pool;
    }

    @Override
    protected void doTxQueueSetup(int q, int nbDesc) {
        if (tx == null || tx.size != nbDesc) {
            tx = allocate(nbDesc);
        }
    }

    @Override
    protected void doStart() {
        for (Vq v : new Vq[] {rx, tx}) {
            ram.asSlice(v.desc, Virtio.descTableBytes(v.size)).fill((byte) 0);
            ram.asSlice(v.avail, Virtio.availBytes(v.size)).fill((byte) 0);
            ram.asSlice(v.used, Virtio.usedBytes(v.size)).fill((byte) 0);
            v.availIdx = 0;
            v.lastUsed = 0;
            java.util.Arrays.fill(v.sw, Mbuf.NONE);
        }
        // TX free list: all descriptors, linked through next
        for (int i = 0; i < tx.size; i++) {
            ram.set(U16, tx.desc + (long) Virtio.DESC_SIZE * i + Virtio.DESC_NEXT, (short) ((i + 1) % tx.size));
        }
        tx.freeHead = 0;
        tx.freeCount = tx.size;
        dev.setQueue(Virtio.RX_QUEUE, rx.size, rx.desc, rx.avail, rx.used);
        dev.setQueue(Virtio.TX_QUEUE, tx.size, tx.desc, tx.avail, tx.used);
        // post every RX buffer
        if (Mbuf.allocBulk(rxPool, rx.sw, 0, rx.size) != rx.size) {
            throw new IllegalStateException(name() + ": mempool " + rxPool.name() + " cannot fill the RX virtqueue ("
                    + rx.size + " mbufs)");
        }
        for (int i = 0; i < rx.size; i++) {
            postRx(i, rx.sw[i]);
            ram.set(U16, rx.avail + Virtio.RING_ENTRIES + 2L * i, (short) i);
        }
        rx.availIdx = rx.size & 0xFFFF;
        suppressInterrupts(rx);
        suppressInterrupts(tx);
        IDX.setRelease(ram, rx.avail + Virtio.RING_IDX, (short) rx.availIdx);
        dev.setStatus(Virtio.STATUS_ACKNOWLEDGE | Virtio.STATUS_DRIVER | Virtio.STATUS_FEATURES_OK
                | Virtio.STATUS_DRIVER_OK);
    }

    /** Descriptor {@code id} of the RX queue points at mbuf {@code m}'s headroom tail: header, then data. */
    private void postRx(int id, int m) {
        long d = rx.desc + (long) Virtio.DESC_SIZE * id;
        ram.set(U64, d + Virtio.DESC_ADDR, Mbuf.dataIova(m) - Virtio.NET_HDR_LEN);
        ram.set(U32, d + Virtio.DESC_LEN, Mbuf.tailroom(m) + Virtio.NET_HDR_LEN);
        ram.set(U16, d + Virtio.DESC_FLAGS, (short) Virtio.DESC_F_WRITE);
        rx.sw[id] = m;
    }

    private void suppressInterrupts(Vq v) {
        if (!pollMode) {
            return;
        }
        if (eventIdx()) {
            ram.set(U16, v.avail + Virtio.usedEventOffset(v.size), (short) (v.lastUsed + 0x7FFF));
        } else {
            ram.set(U16, v.avail + Virtio.RING_FLAGS, (short) Virtio.AVAIL_F_NO_INTERRUPT);
        }
    }

    public static final int RX_DROPPED_ON_RESET = 0;
    public static final int TX_DROPPED_ON_RESET = 1;
    private final io.havnet.dataplane.stats.Counters resetDrops = new io.havnet.dataplane.stats.Counters(java.util.List.of(
            new io.havnet.dataplane.stats.CounterDef("virtio_rx_dropped_on_reset", "frames",
                    "frames the device delivered that the guest had not taken when the device was reset or stopped"),
            new io.havnet.dataplane.stats.CounterDef("virtio_tx_dropped_on_reset", "frames",
                    "frames the guest posted that the device had not sent when it was reset or stopped")));

    /** Frames lost to a stop or reset, by direction. */
    public io.havnet.dataplane.stats.Counters resetDrops() {
        return resetDrops;
    }

    @Override
    protected void doStop() {
        dev.setStatus(0);
        release();
    }

    @Override
    protected void doClose() {
        release();
    }

    private void release() {
        for (Vq v : new Vq[] {rx, tx}) {
            if (v == null) {
                continue;
            }
            // frames the device completed that the driver never took (RX), or posted that the device never sent (TX)
            int usedIdx = Short.toUnsignedInt((short) IDX.getAcquire(ram, v.used + Virtio.RING_IDX));
            int completed = (usedIdx - v.lastUsed) & 0xFFFF;
            v.lastUsed = usedIdx; // counted once: a second release finds nothing new
            if (v == rx) {
                resetDrops.add(RX_DROPPED_ON_RESET, completed);
            } else {
                int held = 0;
                for (int i = 0; i < v.size; i++) {
                    held += v.sw[i] != Mbuf.NONE ? 1 : 0;
                }
                resetDrops.add(TX_DROPPED_ON_RESET, Math.max(0, held - completed));
            }
            for (int i = 0; i < v.size; i++) {
                int m = v.sw[i];
                if (m != Mbuf.NONE) {
                    v.sw[i] = Mbuf.NONE; // forgotten first: a chain that cannot be freed is not tried again
                    Mbuf.free(m);
                }
            }
        }
        if (refillLeft > 0) {
            rxPool.putBulk(refill, 0, refillLeft);
            refillLeft = 0;
        }
    }

    @Override
    public LinkStatus link() {
        if (dev.brokenReason() != null) {
            return BROKEN;
        }
        if (!isStarted() || !dev.ready()) {
            return DOWN;
        }
        // VIRTIO_NET_F_STATUS: the config's status says whether the link is up (a config read: an exit)
        return (features & 1L << Virtio.F_NET_STATUS) == 0 || dev.linkUp() ? up : DOWN;
    }

    /**
     * Refused, as DPDK's net_virtio does without VIRTIO_NET_F_CTRL_RX: the receive mode of a
     * virtio port is set through the control virtqueue, which this device does not offer (what
     * reaches the guest is the vSwitch's or the VMDq pool's choice).
     */
    @Override
    public void setPromiscuous(boolean on) {
        throw noControlQueue();
    }

    /** Refused as {@link #setPromiscuous} is. */
    @Override
    public void setAllMulticast(boolean on) {
        throw noControlQueue();
    }

    private UnsupportedOperationException noControlQueue() {
        return new UnsupportedOperationException(name() + ": no control virtqueue (VIRTIO_NET_F_CTRL_RX): "
                + "the receive mode cannot change");
    }

    /** Kicks queue {@code q} if the device asked (EVENT_IDX) or did not suppress notifications. */
    private void kick(Vq v, int q, int oldIdx) {
        boolean need;
        if (eventIdx()) {
            int availEvent = Short.toUnsignedInt((short) IDX.getAcquire(ram, v.used + Virtio.availEventOffset(v.size)));
            need = Virtio.needEvent(availEvent, v.availIdx, oldIdx);
        } else {
            need = (ram.get(U16, v.used + Virtio.RING_FLAGS) & Virtio.USED_F_NO_NOTIFY) == 0;
        }
        if (need) {
            dev.notifyQueue(q);
        }
    }

    @Override
    public int rxBurst(int q, int[] pkts, int off, int n) {
        if (!isStarted()) {
            return 0;
        }
        Vq v = rx;
        int usedIdx = Short.toUnsignedInt((short) IDX.getAcquire(ram, v.used + Virtio.RING_IDX));
        int mask = v.size - 1;
        int oldAvail = v.availIdx;
        int k = 0;
        long bytes = 0;
        int port = portId();
        Counters c = rxCounters(q);
        while (k < n && v.lastUsed != usedIdx) {
            long e = v.used + Virtio.RING_ENTRIES + 8L * (v.lastUsed & mask);
            int id = ram.get(U32, e);
            int len = ram.get(U32, e + 4);
            if (id < 0 || id > mask || v.sw[id] == Mbuf.NONE) {
                c.add(io.havnet.dataplane.ethdev.EthDev.RXQ_ERRORS, 1);
                v.lastUsed = (v.lastUsed + 1) & 0xFFFF;
                continue;
            }
            int m = v.sw[id];
            int numBuffers = Short.toUnsignedInt(ram.get(U16, Mbuf.dataIova(m) - Virtio.NET_HDR_LEN
                    + Virtio.NET_HDR_NUM_BUFFERS));
            if (numBuffers > 1 && ((usedIdx - v.lastUsed) & 0xFFFF) < numBuffers) {
                break; // the rest of this frame is not published yet
            }
            if (!takeRefills(numBuffers)) {
                c.add(RXQ_NOMBUF, 1);
                break;
            }
            int frameLen = len - Virtio.NET_HDR_LEN;
            Mbuf.setDataLen(m, frameLen);
            Mbuf.setPktLen(m, frameLen);
            repost(v, id);
            v.lastUsed = (v.lastUsed + 1) & 0xFFFF;
            for (int b = 1; b < numBuffers; b++) {
                long e2 = v.used + Virtio.RING_ENTRIES + 8L * (v.lastUsed & mask);
                int id2 = ram.get(U32, e2);
                int len2 = ram.get(U32, e2 + 4);
                int s = v.sw[id2];
                Mbuf.prepend(s, Virtio.NET_HDR_LEN); // its buffer starts where the header would have been
                Mbuf.setDataLen(s, len2);
                Mbuf.setPktLen(s, 0);
                Mbuf.chain(m, s);
                Mbuf.setPktLen(m, Mbuf.pktLen(m) + len2);
                repost(v, id2);
                v.lastUsed = (v.lastUsed + 1) & 0xFFFF;
            }
            Mbuf.setPort(m, port);
            bytes += Mbuf.pktLen(m);
            pkts[off + k++] = m;
        }
        if (v.availIdx != oldAvail) {
            IDX.setRelease(ram, v.avail + Virtio.RING_IDX, (short) v.availIdx);
            kick(v, 0, oldAvail);
        }
        suppressInterrupts(v);
        if (k > 0) {
            c.add(RXQ_PACKETS, k);
            c.add(RXQ_BYTES, bytes);
        }
        return k;
    }

    private boolean takeRefills(int n) {
        if (refillLeft >= n) {
            return true;
        }
        int want = refill.length - refillLeft;
        if (Mbuf.allocBulk(rxPool, refill, refillLeft, want) == want) {
            refillLeft += want;
            return true;
        }
        return false;
    }

    /** Puts a fresh mbuf in descriptor {@code id} and makes it available again. */
    private void repost(Vq v, int id) {
        int nm = refill[--refillLeft];
        postRx(id, nm);
        ram.set(U16, v.avail + Virtio.RING_ENTRIES + 2L * (v.availIdx & (v.size - 1)), (short) id);
        v.availIdx = (v.availIdx + 1) & 0xFFFF;
    }

    @Override
    public int txBurst(int q, int[] pkts, int off, int n) {
        if (!isStarted() || n == 0 || !dev.ready()) {
            return 0;
        }
        Vq v = tx;
        reclaim(v);
        int mask = v.size - 1;
        int oldAvail = v.availIdx;
        int k = 0;
        long bytes = 0;
        while (k < n) {
            int m = pkts[off + k];
            int segs = Mbuf.nbSegs(m);
            if (segs > v.freeCount || Mbuf.headroom(m) < Virtio.NET_HDR_LEN) {
                break;
            }
            long hdr = Mbuf.prepend(m, Virtio.NET_HDR_LEN);
            Mbuf.segment(m).asSlice(hdr, Virtio.NET_HDR_LEN).fill((byte) 0);
            int head = v.freeHead;
            int id = head;
            int seg = m;
            for (int i = 0; i < segs; i++) {
                long d = v.desc + (long) Virtio.DESC_SIZE * id;
                int next = Short.toUnsignedInt(ram.get(U16, d + Virtio.DESC_NEXT));
                ram.set(U64, d + Virtio.DESC_ADDR, Mbuf.dataIova(seg));
                ram.set(U32, d + Virtio.DESC_LEN, Mbuf.dataLen(seg));
                boolean last = i == segs - 1;
                ram.set(U16, d + Virtio.DESC_FLAGS, (short) (last ? 0 : Virtio.DESC_F_NEXT));
                if (last) {
                    v.freeHead = next;
                } else {
                    id = next;
                }
                seg = Mbuf.next(seg);
            }
            v.freeCount -= segs;
            v.sw[head] = m;
            v.chainLen[head] = segs;
            ram.set(U16, v.avail + Virtio.RING_ENTRIES + 2L * (v.availIdx & mask), (short) head);
            v.availIdx = (v.availIdx + 1) & 0xFFFF;
            bytes += Mbuf.pktLen(m) - Virtio.NET_HDR_LEN;
            k++;
        }
        if (k > 0) {
            IDX.setRelease(ram, v.avail + Virtio.RING_IDX, (short) v.availIdx);
            kick(v, 1, oldAvail);
            Counters c = txCounters(q);
            c.add(TXQ_PACKETS, k);
            c.add(TXQ_BYTES, bytes);
        }
        return k;
    }

    /** Frees the mbufs of used TX chains and returns their descriptors to the free list. */
    private void reclaim(Vq v) {
        int usedIdx = Short.toUnsignedInt((short) IDX.getAcquire(ram, v.used + Virtio.RING_IDX));
        int mask = v.size - 1;
        while (v.lastUsed != usedIdx) {
            long e = v.used + Virtio.RING_ENTRIES + 8L * (v.lastUsed & mask);
            int head = ram.get(U32, e);
            v.lastUsed = (v.lastUsed + 1) & 0xFFFF;
            if (head < 0 || head > mask || v.sw[head] == Mbuf.NONE) {
                continue;
            }
            Mbuf.free(v.sw[head]);
            v.sw[head] = Mbuf.NONE;
            // return the chain: its last descriptor's next becomes the old free head
            int last = head;
            for (int i = 1; i < v.chainLen[head]; i++) {
                last = Short.toUnsignedInt(ram.get(U16, v.desc + (long) Virtio.DESC_SIZE * last + Virtio.DESC_NEXT));
            }
            ram.set(U16, v.desc + (long) Virtio.DESC_SIZE * last + Virtio.DESC_NEXT, (short) v.freeHead);
            v.freeHead = head;
            v.freeCount += v.chainLen[head];
        }
        suppressInterrupts(v);
    }


}
