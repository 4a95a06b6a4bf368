package io.havnet.nic.engine;

import io.havnet.dataplane.stats.CounterDef;
import io.havnet.dataplane.stats.Counters;

import java.util.List;

/**
 * The NIC's frame accounting. Every frame that enters the switch (from the wire or looped back
 * by the VEB) is counted once as delivered (placed in at least one queue) or once under exactly
 * one drop reason; every frame fetched from a TX queue is counted once as sent (to the wire,
 * looped back, or both) or under one TX drop reason. Hence:
 * {@code rx_wire + rx_veb = rx_delivered + Σ rx drops} and
 * {@code tx_fetched = tx_sent + Σ tx drops}.
 */
public final class NicCounters {
    public static final int RX_WIRE = 0;
    public static final int RX_VEB = 1;
    public static final int RX_DELIVERED = 2;
    public static final int RX_DROP_BAD_FRAME = 3;
    public static final int RX_DROP_TOO_LONG = 4;
    public static final int RX_DROP_NO_POOL = 5;
    public static final int RX_DROP_POOL_DOWN = 6;
    public static final int RX_DROP_QUEUE_FULL = 7;
    public static final int RX_DROP_IOMMU_FAULT = 8;
    public static final int RX_REPLICAS = 9;
    public static final int RX_IPSEC = 10;
    public static final int RX_IPSEC_AUTH_FAILED = 11;
    public static final int RX_LINE_BUSY = 12;

    public static final int TX_FETCHED = 0;
    public static final int TX_SENT = 1;
    public static final int TX_WIRE = 2;
    public static final int TX_LOOPBACK = 3;
    public static final int TX_DROP_SPOOF = 4;
    public static final int TX_DROP_MALFORMED = 5;
    public static final int TX_DROP_IOMMU_FAULT = 6;
    public static final int TX_DROP_LINK_DOWN = 7;
    public static final int TX_DROP_POOL_DISABLED = 8;
    public static final int TX_DROP_TOO_LONG = 9;
    public static final int TX_DROP_VEB_FULL = 10;
    public static final int TX_DROP_IPSEC = 11;
    public static final int TX_RATE_LIMITED = 12;
    public static final int TX_IPSEC = 13;
    public static final int TX_DROP_RESET = 14;
    public static final int TX_LINE_BUSY = 15;

    public static final List<CounterDef> RX = List.of(
            new CounterDef("rx_wire", "frames", "frames received from the physical port"),
            new CounterDef("rx_veb", "frames", "frames looped back by the VEB from a local pool"),
            new CounterDef("rx_delivered", "frames", "frames placed in at least one queue"),
            new CounterDef("rx_drop_bad_frame", "frames", "runts shorter than an Ethernet header"),
            new CounterDef("rx_drop_too_long", "frames", "frames longer than the port or pool allows"),
            new CounterDef("rx_drop_no_pool", "frames", "frames no filter matched, with no default pool"),
            new CounterDef("rx_drop_pool_down", "frames", "frames for pools that are reset, disabled or link-down"),
            new CounterDef("rx_drop_queue_full", "frames", "frames whose queue had no free descriptor"),
            new CounterDef("rx_drop_iommu_fault", "frames", "frames whose DMA into the pool's memory was refused"),
            new CounterDef("rx_replicas", "frames", "copies placed in queues (a broadcast counts once per pool)"),
            new CounterDef("rx_ipsec", "frames", "ESP frames the inline IPsec engine decrypted and authenticated"),
            new CounterDef("rx_ipsec_auth_failed", "frames", "ESP frames whose ICV failed in the NIC (delivered flagged)"),
            new CounterDef("rx_line_busy", "events", "times frames on the wire waited for the port's paced line"));

    public static final List<CounterDef> TX = List.of(
            new CounterDef("tx_fetched", "frames", "frames fetched from TX queues"),
            new CounterDef("tx_sent", "frames", "frames sent to the wire, looped back, or both"),
            new CounterDef("tx_wire", "frames", "frames handed to the physical port"),
            new CounterDef("tx_loopback", "frames", "frames switched to local pools by the VEB"),
            new CounterDef("tx_drop_spoof", "frames", "frames dropped by anti-spoofing (source MAC or VLAN)"),
            new CounterDef("tx_drop_malformed", "frames", "frames from malformed descriptors"),
            new CounterDef("tx_drop_iommu_fault", "frames", "frames whose DMA read was refused"),
            new CounterDef("tx_drop_link_down", "frames", "frames from a link-down VF or to a link-down port"),
            new CounterDef("tx_drop_pool_disabled", "frames", "frames from a pool disabled by malicious driver detection"),
            new CounterDef("tx_drop_too_long", "frames", "frames longer than the largest frame"),
            new CounterDef("tx_drop_veb_full", "frames", "frames the VEB loopback path had no room for"),
            new CounterDef("tx_drop_ipsec", "frames", "frames asking for inline IPsec with an SA that is not theirs, or too short"),
            new CounterDef("tx_rate_limited", "events", "times a queue waited on its rate limiter"),
            new CounterDef("tx_ipsec", "frames", "frames the inline IPsec engine encrypted"),
            new CounterDef("tx_drop_reset", "frames", "frames a VF had queued and the NIC had not fetched when the VF was reset (FLR)"),
            new CounterDef("tx_line_busy", "events", "times frames for the wire waited for the port's paced line"));

    private final Counters rx = new Counters(RX);
    private final Counters tx = new Counters(TX);

    /** Written by the RX engine only. */
    public Counters rx() {
        return rx;
    }

    /** Written by the TX engine only. */
    public Counters tx() {
        return tx;
    }

    /** Frames that entered the switch and are not accounted for (0 when conservation holds). */
    public long rxUnaccounted() {
        long in = rx.get(RX_WIRE) + rx.get(RX_VEB);
        long out = rx.get(RX_DELIVERED);
        for (int i = RX_DROP_BAD_FRAME; i <= RX_DROP_IOMMU_FAULT; i++) {
            out += rx.get(i);
        }
        return in - out;
    }

    /** Frames fetched from TX queues and not accounted for (0 when conservation holds). */
    public long txUnaccounted() {
        long out = tx.get(TX_SENT);
        for (int i = TX_DROP_SPOOF; i <= TX_DROP_IPSEC; i++) {
            out += tx.get(i);
        }
        return tx.get(TX_FETCHED) - out;
    }

    /** RX drops summed over reasons. */
    public long rxDrops() {
        long d = 0;
        for (int i = RX_DROP_BAD_FRAME; i <= RX_DROP_IOMMU_FAULT; i++) {
            d += rx.get(i);
        }
        return d;
    }
}
