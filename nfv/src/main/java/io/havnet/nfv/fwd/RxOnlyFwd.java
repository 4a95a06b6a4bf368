package io.havnet.nfv.fwd;

import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;

/** {@code rxonly}: receives and frees — a sink. */
public final class RxOnlyFwd extends FwdEngine {
    public RxOnlyFwd(EthDev rx, int rxq, int burst) {
        super(rx, rxq, null, 0, burst);
    }

    @Override
    public int doWork() {
        int n = receive();
        if (n > 0) {
            Mbuf.freeBulk(pkts, 0, n);
        }
        return n;
    }

    @Override
    public String mode() {
        return "rxonly";
    }
}
