package io.havnet.nfv.fwd;

import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.net.EthernetFlyweight;

/** {@code macswap}: swaps Ethernet source and destination, sending each frame back where it came from. */
public final class MacSwapFwd extends FwdEngine {
    private final EthernetFlyweight eth = new EthernetFlyweight();

    public MacSwapFwd(EthDev rx, int rxq, EthDev tx, int txq, int burst) {
        super(rx, rxq, tx, txq, burst);
    }

    @Override
    public int doWork() {
        int n = receive();
        touched += Mbuf.prefetch(pkts, 0, n);
        for (int i = 0; i < n; i++) {
            int m = pkts[i];
            if (Mbuf.dataLen(m) >= EthernetFlyweight.LENGTH) {
                eth.wrap(Mbuf.segment(m), Mbuf.dataOffset(m)).swapMacs();
            }
        }
        send(n);
        return n;
    }

    @Override
    public String mode() {
        return "macswap";
    }
}
