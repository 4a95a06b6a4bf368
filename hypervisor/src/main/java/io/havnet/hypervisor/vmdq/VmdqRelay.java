package io.havnet.hypervisor.vmdq;

import io.havnet.dataplane.agent.Agent;
import io.havnet.dataplane.stats.CounterDef;
import io.havnet.dataplane.stats.Counters;
import io.havnet.hypervisor.accounting.Component;
import io.havnet.hypervisor.memory.GuestMemory;
import io.havnet.hypervisor.virtio.Virtio;
import io.havnet.hypervisor.virtio.VirtioNetBackend;
import io.havnet.nic.desc.AdvRxDescriptor;
import io.havnet.nic.desc.AdvTxDescriptor;
import io.havnet.nic.driver.VmdqQueuePair;
import io.havnet.nic.vmdq.PoolConfig;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * VMDq's hypervisor side, zero-copy: the NIC has already sorted frames into this VM's own pool,
 * and the relay lends the guest's virtio buffers to the pool's queue pair, so the NIC writes
 * received frames straight into guest RAM and reads the guest's frames straight from it. The
 * hypervisor moves descriptors, not bytes: no lookup and no copy (the DPDK vhost sample's
 * VMDq zero-copy mode, Xen's netchannel2 with VMDq).
 *
 * <p>Per received frame the relay writes the 12-byte virtio-net header in front of the data the
 * NIC placed 12 bytes into the buffer, and returns the buffer on the used ring; a frame longer
 * than one buffer (jumbo, with mergeable RX buffers) has its later parts moved back over the
 * header room those buffers left — the only bytes it copies. Per transmitted frame it checks the
 * guest's chain (inside guest RAM, readable, no loop), posts its pieces as TX data descriptors
 * and returns the chain once the NIC has sent it.
 *
 * <p>Isolation: every address the relay gives the NIC was checked against the VM's RAM and
 * translated by the hypervisor (the PF's DMA is not confined by the IOMMU the way a VF's is).
 * Before the guest's driver resets the device, and when the device breaks or the VM goes, the
 * relay stops the queue pair — which returns once the NIC no longer touches a lent buffer —
 * and counts what the NIC still held.
 */
public final class VmdqRelay implements Agent {
    public static final int DROP_TX_TOO_LONG = 0;
    public static final int DROP_TX_TOO_MANY_PIECES = 1;
    public static final int DROP_RX_TOO_LONG = 2;
    public static final int DROP_RX_ON_STOP = 3;
    public static final int DROP_TX_ON_STOP = 4;
    public static final int DROP_RX_LINK_DOWN = 5;
    public static final List<CounterDef> DROPS = List.of(
            new CounterDef("vmdq_tx_too_long", "frames", "guest frames longer than the NIC's largest frame"),
            new CounterDef("vmdq_tx_too_many_pieces", "frames",
                    "guest frames in more pieces than a NIC frame's " + AdvTxDescriptor.MAX_DESC_PER_FRAME + " descriptors"),
            new CounterDef("vmdq_rx_too_long", "frames",
                    "frames that needed several guest buffers from a driver without mergeable RX buffers"),
            new CounterDef("vmdq_rx_dropped_on_stop", "frames",
                    "frames the NIC had written into lent buffers when the queue was stopped (reset, broken device, VM gone)"),
            new CounterDef("vmdq_tx_dropped_on_stop", "frames",
                    "guest frames posted to the NIC that it had not sent when the queue was stopped"),
            new CounterDef("vmdq_rx_link_down", "frames", "frames for a guest whose link the hypervisor set down"));
    /** Frames per direction per round. */
    private static final int BURST = 32;
    /** Pieces of one received frame: a 9.5 KiB frame over 2 KiB buffers takes 5. */
    private static final int MAX_RX_PIECES = 16;

    private final String name;
    private final VmdqQueuePair queues;
    private final VirtioNetBackend virtio;
    private final MemorySegment ram;
    private final long hpaBase;
    private final Component hypervisor;
    private final Counters drops = new Counters(DROPS);
    private final int minRxBuffer;
    private final long[] txAddr = new long[AdvTxDescriptor.MAX_DESC_PER_FRAME];
    private final int[] txLen = new int[AdvTxDescriptor.MAX_DESC_PER_FRAME];
    private final long[] txDone = new long[BURST * 2];
    // a received frame whose last part the NIC has not written yet
    private final long[] rxPieceCookie = new long[MAX_RX_PIECES];
    private final int[] rxPieceLen = new int[MAX_RX_PIECES];
    private int rxPieces;
    /** Chains the last round returned to the guest once the NIC had sent them (work, not frames handled). */
    private int txCompleted;
    private boolean rxPiecesOverflow;
    private boolean stopped;

    public VmdqRelay(String name, VmdqQueuePair queues, GuestMemory guest, VirtioNetBackend virtio, Component hypervisor) {
        this.name = name;
        this.queues = queues;
        this.virtio = virtio;
        this.ram = guest.segment();
        this.hpaBase = guest.hostPhysicalBase();
        this.hypervisor = hypervisor;
        this.minRxBuffer = queues.bufferSize() + Virtio.NET_HDR_LEN;
        hypervisor.addDrops(name, drops);
        virtio.onReset(this::park);
    }

    @Override
    public String roleName() {
        return name;
    }

    public Counters drops() {
        return drops;
    }

    /** Stops relaying for good (VM being destroyed): the NIC gives back every lent buffer first. */
    public synchronized void stop() {
        park();
        stopped = true;
    }

    /**
     * Takes every lent buffer back from the NIC (the queue pair stops; it returns once the NIC no
     * longer touches them) and counts what the NIC held: frames it had written and nobody
     * delivered, frames the guest sent that never left. The guest's TX chains the NIC held go
     * back to it on the used ring (sent or not), so its driver counts none of them again. The
     * next round starts afresh once the device is ready.
     */
    private synchronized void park() {
        if (!queues.isStarted()) {
            return;
        }
        queues.stop();
        long[] lost = new long[2];
        int oldUsed = virtio.txUsedIdx();
        queues.forEachLeft(new VmdqQueuePair.Left() {
            @Override
            public void rx(long cookie, int status) {
                if ((status & (AdvRxDescriptor.STAT_DD | AdvRxDescriptor.STAT_EOP | AdvRxDescriptor.ERR_RXE))
                        == (AdvRxDescriptor.STAT_DD | AdvRxDescriptor.STAT_EOP)) {
                    lost[0]++;
                }
            }

            @Override
            public void tx(long cookie, boolean sent) {
                if (!sent) {
                    lost[1]++;
                }
                virtio.txUsed((int) cookie);
            }
        });
        virtio.txPublish(oldUsed, 0);
        rxPieces = 0;
        rxPiecesOverflow = false;
        drops.add(DROP_RX_ON_STOP, lost[0]);
        drops.add(DROP_TX_ON_STOP, lost[1]);
    }

    @Override
    public synchronized int doWork() {
        if (stopped) {
            return 0;
        }
        if (!virtio.ready()) {
            if (queues.isStarted()) {
                park(); // NEEDS_RESET or not set up: the device stops using this guest's buffers
            }
            return 0;
        }
        if (!queues.isStarted()) {
            queues.start();
        }
        int rx = receive();
        int tx = transmit();
        if (rx + tx > 0) {
            hypervisor.counters().addAtomic(Component.FRAMES, rx + tx);
        }
        return rx + tx + txCompleted;
    }

    /** NIC → guest: completes the buffers the NIC filled, then lends the guest's new buffers. */
    private int receive() {
        VmdqQueuePair q = queues;
        VirtioNetBackend v = virtio;
        int oldUsed = v.rxUsedIdx();
        int frames = 0;
        long copied = 0;
        int copies = 0;
        while (frames < BURST) {
            int st = q.rxStatus();
            if (st == 0) {
                break;
            }
            long cookie = q.rxCookie();
            int len = q.rxLength();
            q.rxAdvance();
            if ((st & AdvRxDescriptor.ERR_RXE) != 0) {
                // the NIC could not store the frame (counted there): the buffer goes straight back to it
                relend(cookie);
                dropPieces();
                continue;
            }
            if (rxPieces < MAX_RX_PIECES) {
                rxPieceCookie[rxPieces] = cookie;
                rxPieceLen[rxPieces] = len;
            } else {
                relend(cookie);
                rxPiecesOverflow = true;
            }
            rxPieces++;
            if ((st & AdvRxDescriptor.STAT_EOP) == 0) {
                continue;
            }
            int n = rxPieces;
            if (!v.carrier()) { // link down: the frame goes nowhere, its buffers back to the NIC
                drops.add(DROP_RX_LINK_DOWN, 1);
                dropPieces();
                continue;
            }
            if (rxPiecesOverflow || n > 1 && !v.mergeableRx()) {
                drops.add(DROP_RX_TOO_LONG, 1);
                dropPieces();
                continue;
            }
            // header in the first buffer, in the room the NIC left; later parts move back over theirs
            long first = rxPieceCookie[0] >>> 16;
            v.rxHeader(first, n);
            v.rxUsed((int) (rxPieceCookie[0] & 0xFFFF), rxPieceLen[0] + Virtio.NET_HDR_LEN);
            for (int i = 1; i < n; i++) {
                long gpa = rxPieceCookie[i] >>> 16;
                MemorySegment.copy(ram, gpa + Virtio.NET_HDR_LEN, ram, gpa, rxPieceLen[i]);
                copied += rxPieceLen[i];
                v.rxUsed((int) (rxPieceCookie[i] & 0xFFFF), rxPieceLen[i]);
            }
            if (n > 1) {
                copies++;
            }
            rxPieces = 0;
            frames++;
        }
        if (frames > 0) {
            v.rxPublish(oldUsed, frames, copied);
            if (copies > 0) {
                hypervisor.counters().addAtomic(Component.BYTES_COPIED, copied);
                hypervisor.counters().addAtomic(Component.COPIES, copies);
            }
        }
        lend();
        return frames;
    }

    /** Lends the NIC the RX buffers the guest posted since the last round. */
    private void lend() {
        VmdqQueuePair q = queues;
        int n = Math.min(q.rxRoom(), virtio.rxAvailable());
        for (int i = 0; i < n; i++) {
            long cookie = virtio.takeRxBuffer(minRxBuffer);
            if (cookie < 0) {
                break; // the device is broken now: the next round parks the queue
            }
            q.rxPost(hpaBase + (cookie >>> 16) + Virtio.NET_HDR_LEN, cookie);
        }
        q.rxFlush();
        if (q.rxPosted() == 0) {
            virtio.rxIdle();
        }
    }

    /**
     * Starts the queue pair and lends it the buffers the guest has posted, so that frames that
     * arrive before the relay's first round find them (called once the guest's driver is up).
     */
    public synchronized void start() {
        if (!stopped && virtio.ready() && !queues.isStarted()) {
            queues.start();
            lend();
        }
    }

    /** Puts a buffer taken back from the NIC (unused for the guest) at the end of its ring again. */
    private void relend(long cookie) {
        queues.rxPost(hpaBase + (cookie >>> 16) + Virtio.NET_HDR_LEN, cookie);
    }

    /** The pieces of the frame in progress go back to the NIC unused. */
    private void dropPieces() {
        int n = Math.min(rxPieces, MAX_RX_PIECES);
        for (int i = 0; i < n; i++) {
            relend(rxPieceCookie[i]);
        }
        rxPieces = 0;
        rxPiecesOverflow = false;
    }

    /** Guest → NIC: returns the chains the NIC has sent, then posts the guest's new frames. */
    private int transmit() {
        VmdqQueuePair q = queues;
        VirtioNetBackend v = virtio;
        int oldUsed = v.txUsedIdx();
        int done = q.txReap(txDone, 0, txDone.length);
        for (int i = 0; i < done; i++) {
            v.txUsed((int) txDone[i]);
        }
        int frames = 0;
        int bad = 0;
        while (frames < BURST) {
            int n = v.peekTx(txAddr, txLen, txAddr.length);
            if (n == VirtioNetBackend.TX_NONE) {
                break;
            }
            if (n == VirtioNetBackend.TX_BAD) {
                continue;
            }
            int head = v.peekedHead();
            if (n == VirtioNetBackend.TX_TOO_MANY) {
                v.takeTx();
                v.txUsed(head);
                drops.add(DROP_TX_TOO_MANY_PIECES, 1);
                bad++;
                continue;
            }
            int total = 0;
            for (int i = 0; i < n; i++) {
                total += txLen[i];
            }
            if (total > PoolConfig.MAX_FRAME_LIMIT) {
                v.takeTx();
                v.txUsed(head);
                drops.add(DROP_TX_TOO_LONG, 1);
                bad++;
                continue;
            }
            if (n > q.txRoom()) {
                break; // the NIC's ring is full: the frame waits in the guest's ring
            }
            v.takeTx();
            for (int i = 0; i < n; i++) {
                boolean last = i == n - 1;
                q.txPost(hpaBase + txAddr[i], txLen[i], last, last ? head : -1);
            }
            frames++;
        }
        q.txFlush();
        if (done > 0 || bad > 0 || frames > 0) {
            v.txPublish(oldUsed, frames);
        }
        txCompleted = done;
        return frames + bad;
    }

    /** Whether the queue pair is stopped (device not ready, reset, or the relay stopped). */
    public synchronized boolean parked() {
        return !queues.isStarted();
    }
}
