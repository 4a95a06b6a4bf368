package io.havnet.nfv.fwd;

import io.havnet.dataplane.ethdev.EthDev;

/** {@code io}: forwards bursts untouched — the cost of RX and TX alone. */
public final class IoFwd extends FwdEngine {
    public IoFwd(EthDev rx, int rxq, EthDev tx, int txq, int burst) {
        super(rx, rxq, tx, txq, burst);
    }

    @Override
    public int doWork() {
        int n = receive();
        send(n);
        return n;
    }

    @Override
    public String mode() {
        return "io";
    }
}
