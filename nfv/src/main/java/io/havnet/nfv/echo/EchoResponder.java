package io.havnet.nfv.echo;

import io.havnet.dataplane.agent.Agent;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.net.ArpFlyweight;
import io.havnet.dataplane.net.Checksum;
import io.havnet.dataplane.net.EthernetFlyweight;
import io.havnet.dataplane.net.IcmpFlyweight;
import io.havnet.dataplane.net.Ipv4Flyweight;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.net.UdpFlyweight;
import io.havnet.dataplane.stats.CounterDef;
import io.havnet.dataplane.stats.Counters;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * A host's minimal network stack as one agent: answers ARP requests for its address, ICMP echo
 * requests to it (ping), and echoes UDP datagrams back to their sender (ports and addresses
 * swapped). Everything else addressed to it is counted and dropped. Replies are built in place
 * in the request's mbuf, with checksums patched incrementally (RFC 1624).
 */
public final class EchoResponder implements Agent {
    public static final int RX = 0;
    public static final int ARP_REPLIES = 1;
    public static final int ICMP_REPLIES = 2;
    public static final int UDP_ECHOES = 3;
    public static final int IGNORED = 4;
    public static final int TX_FULL = 5;
    public static final List<CounterDef> COUNTERS = List.of(
            new CounterDef("rx_packets", "frames", "frames received"),
            new CounterDef("arp_replies", "frames", "ARP requests answered"),
            new CounterDef("icmp_replies", "frames", "ICMP echo requests answered"),
            new CounterDef("udp_echoes", "frames", "UDP datagrams echoed"),
            new CounterDef("ignored", "frames", "frames not for this host or of no handled kind, dropped"),
            new CounterDef("tx_full", "frames", "replies dropped because the TX queue was full"));

    private final EthDev port;
    private final int ip;
    private final int burst;
    private final int[] pkts;
    private final int[] out;
    private final Counters counters = new Counters(COUNTERS);
    private final EthernetFlyweight eth = new EthernetFlyweight();
    private final ArpFlyweight arp = new ArpFlyweight();
    private final Ipv4Flyweight ip4 = new Ipv4Flyweight();
    private final IcmpFlyweight icmp = new IcmpFlyweight();
    private final UdpFlyweight udp = new UdpFlyweight();

    public EchoResponder(EthDev port, int ipv4, int burst) {
        this.port = port;
        this.ip = ipv4;
        this.burst = burst;
        this.pkts = new int[burst];
        this.out = new int[burst];
    }

    public Counters counters() {
        return counters;
    }

    @Override
    public String roleName() {
        return "echo " + Net.ipv4ToString(ip);
    }

    @Override
    public int doWork() {
        int n = port.rxBurst(0, pkts, 0, burst);
        if (n == 0) {
            return 0;
        }
        counters.add(RX, n);
        long mine = port.macAddress().value();
        int k = 0;
        for (int i = 0; i < n; i++) {
            int m = pkts[i];
            if (Mbuf.nbSegs(m) == 1 && answer(m, mine)) {
                out[k++] = m;
            } else {
                counters.add(IGNORED, 1);
                Mbuf.free(m);
            }
        }
        if (k > 0) {
            int sent = port.txBurst(0, out, 0, k);
            if (sent < k) {
                Mbuf.freeBulk(out, sent, k - sent);
                counters.add(TX_FULL, k - sent);
            }
        }
        return n;
    }

    /** Turns the request in {@code m} into its reply; false when there is nothing to answer. */
    private boolean answer(int m, long mine) {
        MemorySegment s = Mbuf.segment(m);
        long off = Mbuf.dataOffset(m);
        int len = Mbuf.dataLen(m);
        if (len < Net.ETHER_HDR_LEN) {
            return false;
        }
        eth.wrap(s, off);
        long dst = eth.dst();
        if (dst != mine && !MacAddress.isBroadcast(dst)) {
            return false;
        }
        int type = eth.etherType();
        if (type == Net.ETHER_TYPE_ARP && len >= 42) {
            arp.wrap(s, off + 14);
            if (!arp.isEthernetIpv4() || arp.oper() != ArpFlyweight.REQUEST || arp.tpa() != ip) {
                return false;
            }
            long sha = arp.sha();
            int spa = arp.spa();
            arp.oper(ArpFlyweight.REPLY).tha(sha).tpa(spa).sha(mine).spa(ip);
            eth.dst(sha).src(mine);
            counters.add(ARP_REPLIES, 1);
            return true;
        }
        if (type != Net.ETHER_TYPE_IPV4 || dst != mine || len < 34) {
            return false;
        }
        ip4.wrap(s, off + 14);
        int ihl = ip4.headerLength();
        if (ip4.version() != 4 || ihl < 20 || ip4.dst() != ip || ip4.isFragment() || 14 + ip4.totalLength() > len) {
            return false;
        }
        int src = ip4.src();
        long l4 = off + 14 + ihl;
        if (ip4.protocol() == Net.IPPROTO_ICMP && len >= 14 + ihl + 8) {
            icmp.wrap(s, l4);
            if (icmp.type() != IcmpFlyweight.ECHO_REQUEST || icmp.code() != 0) {
                return false;
            }
            icmp.type(IcmpFlyweight.ECHO_REPLY);
            icmp.checksum(Checksum.update16(icmp.checksum(), IcmpFlyweight.ECHO_REQUEST << 8, IcmpFlyweight.ECHO_REPLY << 8));
            counters.add(ICMP_REPLIES, 1);
        } else if (ip4.protocol() == Net.IPPROTO_UDP && len >= 14 + ihl + 8) {
            udp.wrap(s, l4);
            int sp = udp.srcPort();
            udp.srcPort(udp.dstPort()).dstPort(sp); // swapping two 16-bit words leaves the checksum as it is
            counters.add(UDP_ECHOES, 1);
        } else {
            return false;
        }
        // swap addresses: the IPv4 and pseudo-header sums are unchanged by a swap
        ip4.src(ip).dst(src);
        eth.dst(eth.src()).src(mine);
        return true;
    }
}
