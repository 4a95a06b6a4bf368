package io.havnet.nfv.fwd;

import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.net.EthernetFlyweight;

/**
 * {@code mac}: rewrites the Ethernet source to the TX port's MAC and the destination to the
 * configured peer, like testpmd's {@code --eth-peer}.
 */
public final class MacFwd extends FwdEngine {
    private final EthernetFlyweight eth = new EthernetFlyweight();
    private final long peer;

    public MacFwd(EthDev rx, int rxq, EthDev tx, int txq, int burst, long peerMac) {
        super(rx, rxq, tx, txq, burst);
        this.peer = peerMac;
    }

    @Override
    public int doWork() {
        int n = receive();
        long src = txPort.macAddress().value();
        touched += Mbuf.prefetch(pkts, 0, n);
        for (int i = 0; i < n; i++) {
            int m = pkts[i];
            if (Mbuf.dataLen(m) >= EthernetFlyweight.LENGTH) {
                eth.wrap(Mbuf.segment(m), Mbuf.dataOffset(m)).dst(peer).src(src);
            }
        }
        send(n);
        return n;
    }

    @Override
    public String mode() {
        return "mac";
    }
}
