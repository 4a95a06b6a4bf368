package io.havnet.nfv.fwd;

import io.havnet.dataplane.clock.Clock;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mempool.Mempool;

/**
 * {@code flowgen}: like testpmd's, frees whatever arrives on the RX queue and transmits
 * generated multi-flow UDP traffic on the TX queue — a load generator that also drains replies.
 */
public final class FlowGenFwd extends FwdEngine {
    private final TxOnlyFwd gen;
    private final int[] rxPkts;

    public FlowGenFwd(EthDev rx, int rxq, EthDev tx, int txq, Mempool pool, int burst, int size, int flows,
                      long dstMac, Clock clock) {
        super(rx, rxq, tx, txq, burst);
        this.gen = new TxOnlyFwd(tx, txq, pool, burst, size, flows, 0, dstMac, clock, counters);
        this.rxPkts = new int[burst];
    }

    @Override
    public int doWork() {
        int r = rxPort.rxBurst(rxQueue, rxPkts, 0, burst);
        if (r > 0) {
            counters.add(RX_PACKETS, r);
            Mbuf.freeBulk(rxPkts, 0, r);
        }
        int t = gen.doWork();
        return r + t;
    }

    @Override
    public String mode() {
        return "flowgen";
    }
}
