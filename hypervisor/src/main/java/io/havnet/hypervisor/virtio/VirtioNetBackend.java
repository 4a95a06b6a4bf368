package io.havnet.hypervisor.virtio;

import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.stats.CounterDef;
import io.havnet.dataplane.stats.Counters;
import io.havnet.hypervisor.accounting.Component;
import io.havnet.hypervisor.memory.GuestMemory;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The host side of a virtio-net device (virtio 1.2 §5.1): the device model the guest's driver
 * programs through the transport (features, status, queue addresses, notify), and the data path
 * the hypervisor runs — {@link #fromGuest} empties the TX virtqueue into host mbufs,
 * {@link #toGuest} copies host frames into the buffers the guest posted on the RX virtqueue.
 * Every guest address is checked against guest RAM; a ring that lies (bad index, descriptor
 * loop, address outside RAM) puts the device in NEEDS_RESET and it stops touching that guest.
 *
 * <p>Transport accesses are MMIO: each one is a VM exit, counted on the VM's component; the
 * notify register is the one the data path uses. Interrupts the device raises are counted too.
 */
public final class VirtioNetBackend {
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final VarHandle IDX = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.LITTLE_ENDIAN).varHandle();

    public static final long OFFERED_FEATURES = 1L << Virtio.F_VERSION_1 | 1L << Virtio.F_NET_MAC
            | 1L << Virtio.F_NET_MRG_RXBUF | 1L << Virtio.F_RING_EVENT_IDX | 1L << Virtio.F_NET_STATUS
            | 1L << Virtio.F_NET_SPEED_DUPLEX;
    public static final int MAX_QUEUE_SIZE = 1024;
    /** The most RX buffers one frame may take (MRG_RXBUF). */
    private static final int MAX_RX_BUFFERS = 64;

    public static final int DROP_RX_NO_BUFFER = 0;
    public static final int DROP_RX_BROKEN = 1;
    public static final int DROP_TX_BAD_DESC = 2;
    public static final int DROP_RX_TOO_LONG = 3;
    public static final int DROP_RX_LINK_DOWN = 4;
    public static final int DROP_TX_LINK_DOWN = 5;
    public static final List<CounterDef> DROPS = List.of(
            new CounterDef("guest_rx_no_buffer", "frames", "frames for a guest that had posted no RX buffer"),
            new CounterDef("guest_rx_device_broken", "frames", "frames for a virtio device in NEEDS_RESET"),
            new CounterDef("guest_tx_bad_descriptor", "frames", "guest frames whose descriptors were invalid"),
            new CounterDef("guest_rx_too_long", "frames", "frames longer than the guest's buffers can take"),
            new CounterDef("guest_rx_link_down", "frames", "frames for a guest whose link the hypervisor set down"),
            new CounterDef("guest_tx_link_down", "frames", "frames a guest sent while the hypervisor had its link down"));

    /** One virtqueue as the device sees it. */
    static final class Queue {
        int size;
        long desc;
        long avail;
        long used;
        boolean enabled;
        int lastAvail;
        int usedIdx;
    }

    private final String name;
    private final GuestMemory mem;
    private final MemorySegment ram;
    private final long mac;
    private final Component vm;
    private final Component hypervisor;
    private final Counters drops = new Counters(DROPS);
    private final Queue[] queues = {new Queue(), new Queue()};
    private volatile int status;
    private long driverFeatures;
    private volatile boolean linkUp = true;
    private volatile int speed = Virtio.SPEED_UNKNOWN;
    private volatile int duplex = Virtio.DUPLEX_UNKNOWN;
    private volatile String brokenReason;
    private long rxCopiedBytes;
    private long txCopiedBytes;
    private long rxFrames;
    private long txFrames;
    private volatile Runnable resetHook;
    private int peekedHead = -1;
    // what one walk over guest descriptors found, read once: checked values are the values used
    private final long[] pieceAddr = new long[MAX_QUEUE_SIZE];
    private final int[] pieceLen = new int[MAX_QUEUE_SIZE];
    private int chainFrameLen;
    private final int[] rxIds = new int[MAX_RX_BUFFERS + 1];
    private final long[] rxAddrs = new long[MAX_RX_BUFFERS + 1];
    private final int[] rxLens = new int[MAX_RX_BUFFERS + 1];
    private int bufId;
    private long bufAddr;
    private int bufLen;
    private int bufFlags;

    public VirtioNetBackend(String name, GuestMemory mem, long mac, Component vm, Component hypervisor) {
        this.name = name;
        this.mem = mem;
        this.ram = mem.segment();
        this.mac = mac;
        this.vm = vm;
        this.hypervisor = hypervisor;
        vm.addDrops(name, drops);
    }

    public String name() {
        return name;
    }

    public Counters drops() {
        return drops;
    }

    // ------------------------------------------------------------------ transport (MMIO: each access is a VM exit)

    private void exit() {
        vm.counters().add(Component.VM_EXITS, 1);
    }

    public long deviceFeatures() {
        exit();
        return OFFERED_FEATURES;
    }

    public void setDriverFeatures(long f) {
        exit();
        driverFeatures = f;
    }

    public int status() {
        exit();
        return status;
    }

    /** Writing 0 resets the device; FEATURES_OK is refused (not kept) when the features are not a subset. */
    public void setStatus(int s) {
        exit();
        if (s == 0) {
            reset();
            return;
        }
        if ((s & Virtio.STATUS_FEATURES_OK) != 0 && (status & Virtio.STATUS_FEATURES_OK) == 0) {
            boolean subset = (driverFeatures & ~OFFERED_FEATURES) == 0;
            boolean modern = (driverFeatures & 1L << Virtio.F_VERSION_1) != 0;
            if (!subset || !modern) {
                s &= ~Virtio.STATUS_FEATURES_OK;
            }
        }
        status = s | (status & Virtio.STATUS_NEEDS_RESET);
    }

    public int maxQueueSize() {
        exit();
        return MAX_QUEUE_SIZE;
    }

    /** queue_size/queue_desc/queue_driver/queue_device/queue_enable for queue {@code q}. */
    public void setQueue(int q, int size, long descGpa, long availGpa, long usedGpa) {
        exit();
        if (q < 0 || q > 1 || Integer.bitCount(size) != 1 || size > MAX_QUEUE_SIZE) {
            throw new IllegalArgumentException(name + ": bad queue " + q + " size " + size);
        }
        Queue v = queues[q];
        // the rings themselves must lie in guest RAM (virtio 1.2 §2.7: 16-, 2- and 4-byte aligned),
        // or the device would read and write host memory on the guest's say-so
        if (mem.checkedOffset(descGpa, 16L * size) < 0 || mem.checkedOffset(availGpa, 6 + 2L * size) < 0
                || mem.checkedOffset(usedGpa, 6 + 8L * size) < 0 || (descGpa & 15) != 0 || (availGpa & 1) != 0
                || (usedGpa & 3) != 0) {
            v.enabled = false;
            broken(String.format("queue %d: rings at 0x%x/0x%x/0x%x for %d entries outside guest RAM or misaligned", q,
                    descGpa, availGpa, usedGpa, size));
            return;
        }
        v.size = size;
        v.desc = descGpa;
        v.avail = availGpa;
        v.used = usedGpa;
        v.lastAvail = 0;
        v.usedIdx = 0;
        v.enabled = true;
    }

    /** The device config's MAC (VIRTIO_NET_F_MAC). */
    public long mac() {
        exit();
        return mac;
    }

    /** The device config's status (VIRTIO_NET_F_STATUS: link up). */
    public boolean linkUp() {
        exit();
        return linkUp;
    }

    /**
     * The hypervisor sets the link up or down (QEMU's {@code set_link}, libvirt's {@code
     * domif-setlink}): the config's status says so (VIRTIO_NET_F_STATUS), and while it is down the
     * device takes the guest's frames and the frames for it and drops them, counted
     * ({@code guest_tx_link_down}, {@code guest_rx_link_down}) — as a NIC whose cable is out.
     */
    public void setLinkUp(boolean up) {
        linkUp = up;
    }

    /** Whether the hypervisor has the link up: the device's own view (no exit), for its data path and relays. */
    public boolean carrier() {
        return linkUp;
    }

    /** The device config's link speed in Mbit/s (VIRTIO_NET_F_SPEED_DUPLEX), {@link Virtio#SPEED_UNKNOWN} until set. */
    public int speed() {
        exit();
        return speed;
    }

    /** The device config's duplex (VIRTIO_NET_F_SPEED_DUPLEX): half, full or {@link Virtio#DUPLEX_UNKNOWN} until set. */
    public int duplex() {
        exit();
        return duplex;
    }

    /**
     * What the hypervisor exports as the link's speed and duplex (QEMU's {@code speed=} and {@code
     * duplex=} of virtio-net): {@code mbps} 0..{@link Integer#MAX_VALUE} or {@link Virtio#SPEED_UNKNOWN},
     * {@code duplex} {@link Virtio#DUPLEX_HALF}, {@link Virtio#DUPLEX_FULL} or {@link Virtio#DUPLEX_UNKNOWN}.
     * A driver reads them when it probes the device.
     */
    public void setSpeedDuplex(int mbps, int duplex) {
        if (mbps < 0 && mbps != Virtio.SPEED_UNKNOWN) {
            throw new IllegalArgumentException(name + ": link speed " + Integer.toUnsignedString(mbps)
                    + " Mbit/s is neither 0.." + Integer.MAX_VALUE + " nor unknown");
        }
        if (duplex != Virtio.DUPLEX_HALF && duplex != Virtio.DUPLEX_FULL && duplex != Virtio.DUPLEX_UNKNOWN) {
            throw new IllegalArgumentException(name + ": duplex 0x" + Integer.toHexString(duplex)
                    + " is neither half (0), full (1) nor unknown (0xff)");
        }
        this.speed = mbps;
        this.duplex = duplex;
    }

    /** The notify register: the guest kicks queue {@code q}. A trap — counted as a VM exit. */
    public void notifyQueue(int q) {
        exit();
    }

    private void reset() {
        Runnable h = resetHook;
        if (h != null) {
            h.run(); // a device that lent guest buffers to hardware takes them back before it forgets its queues
        }
        status = 0;
        driverFeatures = 0;
        brokenReason = null;
        for (Queue v : queues) {
            v.enabled = false;
            v.lastAvail = 0;
            v.usedIdx = 0;
        }
    }

    /** NEEDS_RESET: the device stops using this guest's rings until the driver resets it. */
    private void broken(String why) {
        if (brokenReason == null) {
            brokenReason = why;
        }
        status |= Virtio.STATUS_NEEDS_RESET;
    }

    /** Why the device is in NEEDS_RESET, or null. */
    public String brokenReason() {
        return brokenReason;
    }

    public boolean ready() {
        int s = status;
        return (s & Virtio.STATUS_DRIVER_OK) != 0 && (s & Virtio.STATUS_NEEDS_RESET) == 0 && queues[0].enabled
                && queues[1].enabled;
    }

    public boolean eventIdx() {
        return (driverFeatures & 1L << Virtio.F_RING_EVENT_IDX) != 0;
    }

    // ------------------------------------------------------------------ data path (hypervisor thread)

    private int availIdx(Queue v) {
        return Short.toUnsignedInt((short) IDX.getAcquire(ram, v.avail + Virtio.RING_IDX));
    }

    private void publishUsed(Queue v) {
        IDX.setRelease(ram, v.used + Virtio.RING_IDX, (short) v.usedIdx);
    }

    private void putUsed(Queue v, int id, int len) {
        long e = v.used + Virtio.RING_ENTRIES + 8L * (v.usedIdx & (v.size - 1));
        ram.set(U32, e, id);
        ram.set(U32, e + 4, len);
        v.usedIdx = (v.usedIdx + 1) & 0xFFFF;
    }

    /** After publishing used entries from {@code oldUsed}: interrupt the guest if it asked (§2.7.7, §2.7.10). */
    private void maybeInterrupt(Queue v, int oldUsed, Counters vmCounters) {
        boolean want;
        if (eventIdx()) {
            int usedEvent = Short.toUnsignedInt(ram.get(U16, v.avail + Virtio.usedEventOffset(v.size)));
            want = Virtio.needEvent(usedEvent, v.usedIdx, oldUsed);
        } else {
            want = (ram.get(U16, v.avail + Virtio.RING_FLAGS) & Virtio.AVAIL_F_NO_INTERRUPT) == 0;
        }
        if (want) {
            vmCounters.add(Component.INTERRUPTS, 1);
        }
    }

    /** Asks the guest to notify when it adds past what the device has seen (the device is going idle). */
    private void armNotify(Queue v) {
        if (eventIdx()) {
            ram.set(U16, v.used + Virtio.availEventOffset(v.size), (short) v.lastAvail);
        }
    }

    /**
     * The head of the next chain the guest posted on TX queue {@code v} (the guest published up to
     * {@code avail}), or -1 after putting the device in NEEDS_RESET when the guest's index is more
     * than a ring ahead.
     */
    private int nextTxHead(Queue v, int avail) {
        if (((avail - v.lastAvail) & 0xFFFF) > v.size) {
            broken("TX avail index " + avail + " is more than a ring ahead of " + v.lastAvail);
            return -1;
        }
        return Short.toUnsignedInt(ram.get(U16, v.avail + Virtio.RING_ENTRIES + 2L * (v.lastAvail & (v.size - 1))));
    }

    /**
     * Link down: takes up to {@code max} frames the guest posted and drops them, counted, as a
     * device whose cable is out (QEMU drops them the same way, uncounted), for every way out of the
     * device ({@link #fromGuest}, {@link #peekTx}). Returns them to the guest.
     */
    private void dropTx(int max) {
        Queue v = queues[Virtio.TX_QUEUE];
        int avail = availIdx(v);
        int oldUsed = v.usedIdx;
        int k = 0;
        while (k < max && v.lastAvail != avail) {
            int head = nextTxHead(v, avail);
            if (head < 0) {
                break;
            }
            if (head >= v.size) {
                broken("TX descriptor head " + head + " outside a ring of " + v.size);
                break;
            }
            v.lastAvail = (v.lastAvail + 1) & 0xFFFF;
            putUsed(v, head, 0);
            k++;
        }
        if (k > 0) {
            drops.add(DROP_TX_LINK_DOWN, k);
            publishUsed(v);
            maybeInterrupt(v, oldUsed, vm.counters());
        } else {
            armNotify(v);
        }
    }

    /**
     * Moves up to {@code n} frames the guest transmitted into host mbufs from {@code pool}.
     *
     * @return frames placed in {@code out[off..)}
     */
    public int fromGuest(int[] out, int off, int n, Mempool pool) {
        if (!ready()) {
            return 0;
        }
        if (!linkUp) {
            dropTx(n);
            return 0;
        }
        Queue v = queues[Virtio.TX_QUEUE];
        int avail = availIdx(v);
        if (avail == v.lastAvail) {
            armNotify(v);
            return 0;
        }
        int oldUsed = v.usedIdx;
        int k = 0;
        long bytes = 0;
        while (k < n && v.lastAvail != avail) {
            int head = nextTxHead(v, avail);
            if (head < 0) {
                break;
            }
            int m = copyChainOut(v, head, pool);
            if (m == NO_MBUF) {
                break; // left in the ring: retried next round, not lost
            }
            v.lastAvail = (v.lastAvail + 1) & 0xFFFF;
            putUsed(v, head, 0);
            if (m == BAD) {
                drops.add(DROP_TX_BAD_DESC, 1);
                if (brokenReason != null) {
                    break;
                }
                continue;
            }
            bytes += Mbuf.pktLen(m);
            out[off + k++] = m;
        }
        if (v.usedIdx != oldUsed) {
            publishUsed(v);
            maybeInterrupt(v, oldUsed, vm.counters());
        }
        if (k > 0) {
            txFrames += k;
            txCopiedBytes += bytes;
        }
        return k;
    }

    private static final int NO_MBUF = -2;
    private static final int BAD = -3;

    /**
     * Walks the TX chain at {@code head} once: every descriptor inside the ring, readable, inside
     * guest RAM, no loop, no longer than a frame can be (otherwise the device breaks). Its pieces
     * — the virtio-net header skipped, empty ones left out — go to {@code addr}/{@code len} as far
     * as {@code max} allows, and the frame's length to {@link #chainFrameLen}: read once, so a
     * guest changing a descriptor after the check cannot change what is used.
     *
     * @return pieces (may exceed {@code max}: the rest were not stored), or -1 when the chain lies
     */
    private int walkTxChain(Queue v, int head, long[] addr, int[] len, int max) {
        int mask = v.size - 1;
        if (head > mask) {
            broken("TX descriptor index " + head + " outside a ring of " + v.size);
            return -1;
        }
        int skip = Virtio.NET_HDR_LEN;
        int total = 0;
        int n = 0;
        int id = head;
        for (int hops = 0; ; hops++) {
            if (hops >= v.size) {
                broken("TX descriptor chain from " + head + " loops");
                return -1;
            }
            long d = v.desc + (long) Virtio.DESC_SIZE * id;
            long a = ram.get(U64, d + Virtio.DESC_ADDR);
            int l = ram.get(U32, d + Virtio.DESC_LEN);
            int flags = Short.toUnsignedInt(ram.get(U16, d + Virtio.DESC_FLAGS));
            if ((flags & (Virtio.DESC_F_WRITE | Virtio.DESC_F_INDIRECT)) != 0 || l < 0 || mem.checkedOffset(a, l) < 0) {
                broken(String.format("TX descriptor %d: address 0x%x length %d outside guest RAM or not readable", id,
                        a, l));
                return -1;
            }
            total += l;
            if (total > 65535 + Virtio.NET_HDR_LEN) {
                broken("TX chain from " + head + " longer than a frame can be");
                return -1;
            }
            int from = Math.min(skip, l);
            skip -= from;
            if (l > from) {
                if (n < max) {
                    addr[n] = a + from;
                    len[n] = l - from;
                }
                n++;
            }
            if ((flags & Virtio.DESC_F_NEXT) == 0) {
                break;
            }
            id = Short.toUnsignedInt(ram.get(U16, d + Virtio.DESC_NEXT));
            if (id > mask) {
                broken("TX descriptor next " + id + " outside a ring of " + v.size);
                return -1;
            }
        }
        chainFrameLen = total - Virtio.NET_HDR_LEN;
        return n;
    }

    /** Copies the chain at {@code head} (virtio-net header, then the frame) into a host mbuf. */
    private int copyChainOut(Queue v, int head, Mempool pool) {
        int n = walkTxChain(v, head, pieceAddr, pieceLen, pieceAddr.length); // a chain has < size ≤ 1024 pieces
        if (n < 0) {
            return BAD;
        }
        if (chainFrameLen < 14) {
            return BAD; // shorter than an Ethernet header: counted, the device stays usable
        }
        int m = Mbuf.alloc(pool);
        if (m == Mbuf.NONE) {
            return NO_MBUF;
        }
        int seg = m;
        for (int i = 0; i < n; i++) {
            long src = pieceAddr[i];
            int left = pieceLen[i];
            while (left > 0) {
                int room = Mbuf.tailroom(seg);
                if (room == 0) {
                    int nseg = Mbuf.alloc(pool);
                    if (nseg == Mbuf.NONE) {
                        Mbuf.free(m);
                        return NO_MBUF;
                    }
                    Mbuf.chain(m, nseg);
                    seg = nseg;
                    room = Mbuf.tailroom(seg);
                }
                int c = Math.min(room, left);
                long dst = Mbuf.append(m, c);
                MemorySegment.copy(ram, src, Mbuf.segment(seg), dst, c);
                src += c;
                left -= c;
            }
        }
        return m;
    }

    /**
     * Copies {@code n} host frames into the guest's posted RX buffers and frees them (a frame that
     * finds no buffer is dropped and counted).
     *
     * @return frames delivered
     */
    public int toGuest(int[] frames, int off, int n) {
        if (!ready() || !linkUp) {
            if (n > 0) {
                drops.add(ready() ? DROP_RX_LINK_DOWN : DROP_RX_BROKEN, n);
                Mbuf.freeBulk(frames, off, n);
            }
            return 0;
        }
        Queue v = queues[Virtio.RX_QUEUE];
        int avail = availIdx(v);
        int oldUsed = v.usedIdx;
        int delivered = 0;
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            int m = frames[off + i];
            int r = copyIn(v, m, avail);
            if (r >= 0) {
                delivered++;
                bytes += r;
            } else if (r == NO_BUFFER) {
                drops.add(DROP_RX_NO_BUFFER, 1);
            } else if (r == TOO_LONG) {
                drops.add(DROP_RX_TOO_LONG, 1);
            } else {
                drops.add(DROP_RX_BROKEN, 1);
            }
        }
        Mbuf.freeBulk(frames, off, n);
        if (v.usedIdx != oldUsed) {
            publishUsed(v);
            maybeInterrupt(v, oldUsed, vm.counters());
        }
        if (delivered < n) {
            armNotify(v); // out of buffers: ask to be told when the guest posts more
        }
        rxFrames += delivered;
        rxCopiedBytes += bytes;
        return delivered;
    }

    private static final int NO_BUFFER = -1;
    private static final int TOO_LONG = -4;
    private static final int BROKEN = -5;

    /**
     * Reads and checks the RX buffer the guest made available at slot {@code slot}: its head
     * inside the ring, writable, inside guest RAM. Sets {@link #bufId}, {@link #bufAddr},
     * {@link #bufLen}, {@link #bufFlags}; false when the ring lies (the device is then broken).
     */
    private boolean rxBuffer(Queue v, int slot) {
        int mask = v.size - 1;
        int head = Short.toUnsignedInt(ram.get(U16, v.avail + Virtio.RING_ENTRIES + 2L * (slot & mask)));
        if (head > mask) {
            broken("RX descriptor index " + head + " outside a ring of " + v.size);
            return false;
        }
        long d = v.desc + (long) Virtio.DESC_SIZE * head;
        long addr = ram.get(U64, d + Virtio.DESC_ADDR);
        int blen = ram.get(U32, d + Virtio.DESC_LEN);
        int flags = Short.toUnsignedInt(ram.get(U16, d + Virtio.DESC_FLAGS));
        if ((flags & Virtio.DESC_F_WRITE) == 0 || blen <= 0 || mem.checkedOffset(addr, blen) < 0) {
            broken(String.format("RX descriptor %d: address 0x%x length %d outside guest RAM or not writable", head,
                    addr, blen));
            return false;
        }
        bufId = head;
        bufAddr = addr;
        bufLen = blen;
        bufFlags = flags;
        return true;
    }

    /** Copies one frame into as many RX buffers as it needs (MRG_RXBUF); returns bytes or a negative code. */
    private int copyIn(Queue v, int m, int avail) {
        int len = Mbuf.pktLen(m);
        int need = len + Virtio.NET_HDR_LEN;
        boolean mergeable = mergeableRx();
        // gather buffers, each read and checked once
        int buffers = 0;
        int capacity = 0;
        int la = v.lastAvail;
        while (capacity < need) {
            if (la == avail) {
                return NO_BUFFER;
            }
            if (((avail - la) & 0xFFFF) > v.size) {
                broken("RX avail index " + avail + " is more than a ring ahead of " + la);
                return BROKEN;
            }
            if (!rxBuffer(v, la)) {
                return BROKEN;
            }
            if (buffers == 0 && bufLen < Virtio.NET_HDR_LEN) {
                broken("RX buffer " + bufId + " smaller than the virtio-net header");
                return BROKEN;
            }
            rxIds[buffers] = bufId;
            rxAddrs[buffers] = bufAddr;
            rxLens[buffers] = bufLen;
            capacity += bufLen;
            buffers++;
            la = (la + 1) & 0xFFFF;
            if (!mergeable && capacity < need) {
                return TOO_LONG; // without MRG_RXBUF one buffer must hold the frame
            }
            if (buffers > MAX_RX_BUFFERS) {
                return TOO_LONG;
            }
        }
        // copy: header in the first buffer, then data
        int pos = 0;
        int seg = m;
        int segPos = 0;
        for (int b = 0; b < buffers; b++) {
            long addr = rxAddrs[b];
            int blen = rxLens[b];
            int written = 0;
            if (b == 0) {
                rxHeader(addr, buffers);
                written = Virtio.NET_HDR_LEN;
            }
            while (written < blen && pos < len) {
                int segLeft = Mbuf.dataLen(seg) - segPos;
                if (segLeft == 0) {
                    seg = Mbuf.next(seg);
                    segPos = 0;
                    continue;
                }
                int c = Math.min(segLeft, blen - written);
                MemorySegment.copy(Mbuf.segment(seg), Mbuf.dataOffset(seg) + segPos, ram, addr + written, c);
                written += c;
                segPos += c;
                pos += c;
            }
            putUsed(v, rxIds[b], written);
        }
        v.lastAvail = la;
        return len;
    }

    // ------------------------------------------------------------------ zero-copy data path (hypervisor thread)
    //
    // For a device whose frames hardware reads and writes in guest RAM directly (the VMDq relay):
    // the device lends the guest's buffers to a NIC queue and completes them when the NIC is done.

    /**
     * Runs {@code hook} whenever the driver resets the device (status 0), before the device
     * forgets its queues: a relay that lent guest buffers to a NIC queue stops the queue there,
     * so that no DMA lands in a buffer the driver reclaims.
     */
    public void onReset(Runnable hook) {
        this.resetHook = hook;
    }

    /** Whether the driver accepted mergeable RX buffers (a frame may span several of them). */
    public boolean mergeableRx() {
        return (driverFeatures & 1L << Virtio.F_NET_MRG_RXBUF) != 0;
    }

    /** RX buffers the guest has posted that the device has not taken (0 when not ready or lying). */
    public int rxAvailable() {
        if (!ready()) {
            return 0;
        }
        Queue v = queues[Virtio.RX_QUEUE];
        int n = (availIdx(v) - v.lastAvail) & 0xFFFF;
        if (n > v.size) {
            broken("RX avail index is more than a ring ahead of " + v.lastAvail);
            return 0;
        }
        return n;
    }

    /**
     * Takes the next RX buffer the guest posted, for hardware to fill: one writable descriptor of
     * at least {@code minLen} bytes inside guest RAM (anything else puts the device in NEEDS_RESET,
     * naming why). Call only while {@link #rxAvailable()} says there is one.
     *
     * @return {@code gpa << 16 | descriptor id}, or -1 when the buffer was refused
     */
    public long takeRxBuffer(int minLen) {
        Queue v = queues[Virtio.RX_QUEUE];
        if (!rxBuffer(v, v.lastAvail)) {
            return -1;
        }
        if ((bufFlags & (Virtio.DESC_F_NEXT | Virtio.DESC_F_INDIRECT)) != 0 || bufLen < minLen) {
            broken(String.format("RX descriptor %d: a VMDq queue fills single buffers of at least %d bytes"
                    + " (header included); this one is %d bytes%s", bufId, minLen, bufLen,
                    (bufFlags & Virtio.DESC_F_NEXT) != 0 ? " and chained" : ""));
            return -1;
        }
        v.lastAvail = (v.lastAvail + 1) & 0xFFFF;
        return bufAddr << 16 | bufId;
    }

    /** Writes the virtio-net header of a frame the hardware placed after it in the buffer at {@code gpa}. */
    public void rxHeader(long gpa, int numBuffers) {
        ram.set(U64, gpa, 0L);
        ram.set(U32, gpa + 8, 0);
        ram.set(U16, gpa + Virtio.NET_HDR_NUM_BUFFERS, (short) numBuffers);
    }

    /** Returns RX buffer {@code id} to the guest with {@code len} bytes written. */
    public void rxUsed(int id, int len) {
        putUsed(queues[Virtio.RX_QUEUE], id, len);
    }

    /** Publishes the RX buffers returned since the last call ({@code frames} frames) and interrupts if asked. */
    public void rxPublish(int oldUsed, int frames, long copiedBytes) {
        Queue v = queues[Virtio.RX_QUEUE];
        if (v.usedIdx != oldUsed) {
            publishUsed(v);
            maybeInterrupt(v, oldUsed, vm.counters());
        }
        rxFrames += frames;
        rxCopiedBytes += copiedBytes;
    }

    /** The RX used index now (pass it to {@link #rxPublish} after returning buffers). */
    public int rxUsedIdx() {
        return queues[Virtio.RX_QUEUE].usedIdx;
    }

    /** The device has no RX buffer left: ask the guest to notify when it posts more. */
    public void rxIdle() {
        if (ready()) {
            armNotify(queues[Virtio.RX_QUEUE]);
        }
    }

    public static final int TX_NONE = 0;
    public static final int TX_BAD = -1;
    public static final int TX_TOO_MANY = -2;

    /**
     * Looks at the next frame the guest transmitted without taking it: its pieces (guest
     * addresses and lengths, the virtio-net header skipped, empty pieces left out) go to
     * {@code addr}/{@code len}. A chain that lies (outside RAM, loops, not readable) puts the
     * device in NEEDS_RESET; one too short for an Ethernet header is returned used and counted,
     * as in {@link #fromGuest}.
     *
     * @return pieces (≥ 1; the head is {@link #peekedHead()}), {@link #TX_NONE}, {@link #TX_BAD}
     *         (counted and returned to the guest; go on) or {@link #TX_TOO_MANY} (more than
     *         {@code max} pieces; the caller takes it and decides)
     */
    public int peekTx(long[] addr, int[] len, int max) {
        if (!ready()) {
            return TX_NONE;
        }
        if (!linkUp) {
            dropTx(Integer.MAX_VALUE); // the device drops them: a relay hands the NIC nothing
            return TX_NONE;
        }
        Queue v = queues[Virtio.TX_QUEUE];
        int avail = availIdx(v);
        if (avail == v.lastAvail) {
            armNotify(v);
            return TX_NONE;
        }
        int head = nextTxHead(v, avail);
        if (head < 0) {
            return TX_NONE;
        }
        peekedHead = head;
        int n = walkTxChain(v, head, addr, len, max);
        if (n < 0) {
            return TX_NONE;
        }
        if (chainFrameLen < 14) {
            int oldUsed = v.usedIdx;
            v.lastAvail = (v.lastAvail + 1) & 0xFFFF;
            putUsed(v, head, 0);
            publishUsed(v);
            maybeInterrupt(v, oldUsed, vm.counters());
            drops.add(DROP_TX_BAD_DESC, 1);
            return TX_BAD;
        }
        return n > max ? TX_TOO_MANY : n;
    }

    /** The head of the chain {@link #peekTx} looked at last. */
    public int peekedHead() {
        return peekedHead;
    }

    /** Takes the chain {@link #peekTx} looked at: it is with the hardware until {@link #txUsed}. */
    public void takeTx() {
        Queue v = queues[Virtio.TX_QUEUE];
        v.lastAvail = (v.lastAvail + 1) & 0xFFFF;
    }

    /** The TX used index now (pass it to {@link #txPublish} after returning chains). */
    public int txUsedIdx() {
        return queues[Virtio.TX_QUEUE].usedIdx;
    }

    /** Returns TX chain {@code head} to the guest (the hardware has sent it, or it was dropped). */
    public void txUsed(int head) {
        putUsed(queues[Virtio.TX_QUEUE], head, 0);
    }

    /** Publishes the TX chains returned since {@code oldUsed} and interrupts if asked; counts frames handed over. */
    public void txPublish(int oldUsed, int frames) {
        Queue v = queues[Virtio.TX_QUEUE];
        if (v.usedIdx != oldUsed) {
            publishUsed(v);
            maybeInterrupt(v, oldUsed, vm.counters());
        }
        txFrames += frames;
    }

    /** Frames and bytes copied each way since start (for the hypervisor's accounting). */
    public long rxFrames() {
        return rxFrames;
    }

    public long txFrames() {
        return txFrames;
    }

    public long rxCopiedBytes() {
        return rxCopiedBytes;
    }

    public long txCopiedBytes() {
        return txCopiedBytes;
    }

    public Component hypervisor() {
        return hypervisor;
    }
}
