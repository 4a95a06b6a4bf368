package io.havnet.hypervisor.vmdq;

import io.havnet.dataplane.agent.Agent;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.stats.CounterDef;
import io.havnet.dataplane.stats.Counters;
import io.havnet.hypervisor.accounting.Component;
import io.havnet.hypervisor.virtio.VirtioNetBackend;

import java.util.List;

/**
 * VMDq's hypervisor side: the NIC has already sorted frames into this VM's own pool, so the
 * relay only moves them between the pool's queue pair and the VM's virtio rings — no lookup,
 * one copy each way (host buffer ↔ guest buffer).
 */
public final class VmdqRelay implements Agent {
    public static final List<CounterDef> DROPS = List.of(
            new CounterDef("vmdq_pool_tx_full", "frames", "guest frames the VM's pool TX queue did not take"));

    private final String name;
    private final EthDev pool;
    private final VirtioNetBackend virtio;
    private final Mempool hostPool;
    private final Component hypervisor;
    private final Counters drops = new Counters(DROPS);
    private final int[] buf = new int[32];
    private long copiedSeen;
    private long framesSeen;
    private volatile boolean stopped;

    public VmdqRelay(String name, EthDev pool, VirtioNetBackend virtio, Mempool hostPool, Component hypervisor) {
        this.name = name;
        this.pool = pool;
        this.virtio = virtio;
        this.hostPool = hostPool;
        this.hypervisor = hypervisor;
        hypervisor.addDrops(name, drops);
    }

    @Override
    public String roleName() {
        return name;
    }

    /** Stops relaying (VM being destroyed); takes effect at the next round. */
    public void stop() {
        stopped = true;
    }

    @Override
    public int doWork() {
        if (stopped) {
            return 0;
        }
        int n = pool.rxBurst(0, buf, 0, buf.length);
        if (n > 0) {
            virtio.toGuest(buf, 0, n);
        }
        int k = virtio.fromGuest(buf, 0, buf.length, hostPool);
        if (k > 0) {
            int sent = pool.txBurst(0, buf, 0, k);
            if (sent < k) {
                Mbuf.freeBulk(buf, sent, k - sent);
                drops.add(0, k - sent);
            }
        }
        int work = n + k;
        if (work > 0) {
            Counters hc = hypervisor.counters();
            hc.addAtomic(Component.FRAMES, work);
            long copied = virtio.rxCopiedBytes() + virtio.txCopiedBytes();
            long frames = virtio.rxFrames() + virtio.txFrames();
            hc.addAtomic(Component.BYTES_COPIED, copied - copiedSeen);
            hc.addAtomic(Component.COPIES, frames - framesSeen);
            copiedSeen = copied;
            framesSeen = frames;
        }
        return work;
    }
}
