package io.havnet.dataplane.ethdev;

import java.util.ArrayList;
import java.util.List;

/** Port ids ({@code rte_eth_dev_count_avail} and friends): every open {@link EthDev} has one. */
public final class EthDevs {
    /** RTE_MAX_ETHPORTS. */
    public static final int MAX_PORTS = 1024;
    private static final EthDev[] PORTS = new EthDev[MAX_PORTS];

    private EthDevs() {}

    static int attach(EthDev dev) {
        synchronized (PORTS) {
            for (int i = 0; i < MAX_PORTS; i++) {
                if (PORTS[i] == null) {
                    PORTS[i] = dev;
                    return i;
                }
            }
        }
        throw new IllegalStateException("all " + MAX_PORTS + " port ids are in use");
    }

    static void detach(EthDev dev) {
        synchronized (PORTS) {
            if (PORTS[dev.portId()] == dev) {
                PORTS[dev.portId()] = null;
            }
        }
    }

    /** The port with this id, or null. */
    public static EthDev get(int portId) {
        synchronized (PORTS) {
            return portId >= 0 && portId < MAX_PORTS ? PORTS[portId] : null;
        }
    }

    /** The open port named {@code name}, or null. */
    public static EthDev byName(String name) {
        synchronized (PORTS) {
            for (EthDev d : PORTS) {
                if (d != null && d.name().equals(name)) {
                    return d;
                }
            }
        }
        return null;
    }

    public static List<EthDev> all() {
        List<EthDev> l = new ArrayList<>();
        synchronized (PORTS) {
            for (EthDev d : PORTS) {
                if (d != null) {
                    l.add(d);
                }
            }
        }
        return l;
    }
}
