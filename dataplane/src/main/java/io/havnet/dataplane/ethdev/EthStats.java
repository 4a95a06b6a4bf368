package io.havnet.dataplane.ethdev;

import io.havnet.dataplane.stats.CounterDef;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of port statistics ({@code rte_eth_stats}), totals and per queue.
 *
 * @param ipackets  frames received and handed to the application
 * @param opackets  frames the port took for transmission
 * @param ibytes    bytes of received frames
 * @param obytes    bytes of transmitted frames
 * @param imissed   frames the port dropped because the application did not poll fast enough
 * @param ierrors   received frames dropped as erroneous (bad frame, too long, truncated capture)
 * @param oerrors   frames the port failed to transmit after taking them
 * @param rxNombuf  frames dropped for lack of an mbuf to receive into
 */
public record EthStats(long ipackets, long opackets, long ibytes, long obytes, long imissed, long ierrors,
                       long oerrors, long rxNombuf, long[] qIpackets, long[] qIbytes, long[] qOpackets,
                       long[] qObytes, long[] qErrors) {

    /** The counters every port declares, for CLI, JSON and metrics. */
    public static final List<CounterDef> PORT_COUNTERS = List.of(
            new CounterDef("ipackets", "frames", "frames received and handed to the application"),
            new CounterDef("opackets", "frames", "frames taken for transmission"),
            new CounterDef("ibytes", "bytes", "bytes received"),
            new CounterDef("obytes", "bytes", "bytes transmitted"),
            new CounterDef("imissed", "frames", "frames dropped because RX queues were full"),
            new CounterDef("ierrors", "frames", "received frames dropped as erroneous"),
            new CounterDef("oerrors", "frames", "frames that failed transmission"),
            new CounterDef("rx_nombuf", "frames", "frames dropped for lack of an mbuf"));

    /** Totals by counter name, in {@link #PORT_COUNTERS} order. */
    public Map<String, Long> totals() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("ipackets", ipackets);
        m.put("opackets", opackets);
        m.put("ibytes", ibytes);
        m.put("obytes", obytes);
        m.put("imissed", imissed);
        m.put("ierrors", ierrors);
        m.put("oerrors", oerrors);
        m.put("rx_nombuf", rxNombuf);
        return m;
    }
}
