package io.havnet.nfv.l3;

import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.net.Checksum;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.stats.CounterDef;
import io.havnet.nfv.NfAgent;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * IPv4 forwarding as DPDK's l3fwd does it: check the header, look the destination up in the
 * {@link Lpm}, decrement the TTL (RFC 1624 incremental checksum), rewrite the MACs from the static
 * neighbour table. Frames that cannot be forwarded are dropped with their reason.
 */
public final class L3Fwd extends NfAgent {
    static final List<CounterDef> OWN = List.of(
            new CounterDef("forwarded", "frames", "packets routed"),
            new CounterDef("not_ipv4", "frames", "frames that are not IPv4, dropped"),
            new CounterDef("malformed", "frames", "truncated or inconsistent IPv4 headers, dropped"),
            new CounterDef("bad_checksum", "frames", "IPv4 header checksum wrong, dropped"),
            new CounterDef("ttl_exceeded", "frames", "TTL 1 or 0 on arrival, dropped"),
            new CounterDef("no_route", "frames", "no route covers the destination, dropped"));
    private static final int FORWARDED = FIRST;
    private static final int NOT_IPV4 = FIRST + 1;
    private static final int MALFORMED = FIRST + 2;
    private static final int BAD_CHECKSUM = FIRST + 3;
    private static final int TTL = FIRST + 4;
    private static final int NO_ROUTE = FIRST + 5;

    private final Lpm lpm;
    private final long[] neighbourMacs;
    private final long mac;

    public L3Fwd(EthDev rx, EthDev tx, int burst, RouteTable table) {
        this(rx, tx, burst, table.toLpm(), table.neighbours().stream().mapToLong(m -> m.value()).toArray(),
                table.mac().value());
    }

    public L3Fwd(EthDev rx, EthDev tx, int burst, Lpm lpm, long[] neighbourMacs, long mac) {
        super("l3fwd", rx, 0, tx, 0, burst, OWN,
                List.of("not_ipv4", "malformed", "bad_checksum", "ttl_exceeded", "no_route"));
        this.lpm = lpm;
        this.neighbourMacs = neighbourMacs.clone();
        this.mac = mac;
    }

    @Override
    protected int process(int m) {
        int len = Mbuf.dataLen(m);
        MemorySegment s = Mbuf.segment(m);
        long off = Mbuf.dataOffset(m);
        int ihl = ipv4HeaderLength(s, off, len);
        if (ihl < 0) {
            return ihl == NOT_IPV4_FRAME ? NOT_IPV4 : MALFORMED;
        }
        long ip = off + 14;
        if (Checksum.ipv4Header(s, ip, ihl) != 0) {
            return BAD_CHECKSUM;
        }
        int ttl = s.get(Net.U8, ip + 8) & 0xFF;
        if (ttl <= 1) {
            return TTL;
        }
        int nh = lpm.lookup(s.get(Net.BE32, ip + 16));
        if (nh < 0) {
            return NO_ROUTE;
        }
        int oldWord = Short.toUnsignedInt(s.get(Net.BE16, ip + 8));
        int newWord = oldWord - 0x100;
        s.set(Net.BE16, ip + 8, (short) newWord);
        s.set(Net.BE16, ip + 10, (short) Checksum.update16(Short.toUnsignedInt(s.get(Net.BE16, ip + 10)), oldWord,
                newWord));
        long dst = neighbourMacs[nh];
        s.set(Net.BE64, off, dst << 16 | mac >>> 32);
        s.set(Net.BE32, off + 8, (int) mac);
        counters.add(FORWARDED, 1);
        return FORWARD;
    }

    public Lpm lpm() {
        return lpm;
    }
}
