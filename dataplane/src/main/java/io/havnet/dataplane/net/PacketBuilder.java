package io.havnet.dataplane.net;

import io.havnet.dataplane.memory.OffHeap;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds frames for control paths, generators and tests: stack layers outermost first, then
 * {@link #build()} fills in lengths, EtherTypes, protocol numbers and checksums.
 * <pre>
 *   byte[] f = PacketBuilder.ethernet(dst, src).vlan(100).ipv4("10.0.0.1", "10.0.0.2").udp(1234, 80)
 *           .payload(new byte[18]).build();
 * </pre>
 * Not for the fast path: it allocates.
 */
public final class PacketBuilder {
    private sealed interface Layer permits Eth, Vlan, Ip4, Ip6, Ip6Ext, Udp, Tcp, Icmp, Arp, Esp, Vxlan, Raw {}

    private record Eth(long dst, long src) implements Layer {}

    private record Vlan(int tpid, int tci) implements Layer {}

    private record Ip4(int src, int dst, int ttl, int tos, int id, int flagsFrag, int protocol) implements Layer {}

    private record Ip6(byte[] src, byte[] dst, int hopLimit) implements Layer {}

    private record Ip6Ext(int type, int fragOffsetFlags) implements Layer {}

    private record Udp(int src, int dst, boolean checksum) implements Layer {}

    private record Tcp(int src, int dst, int flags, int seq) implements Layer {}

    private record Icmp(int type, int code, int id, int seq) implements Layer {}

    private record Arp(int op, long sha, int spa, long tha, int tpa) implements Layer {}

    private record Esp(int spi, int seq) implements Layer {}

    private record Vxlan(int vni) implements Layer {}

    private record Raw(byte[] bytes) implements Layer {}

    private final List<Layer> layers = new ArrayList<>();
    private int padTo;

    private PacketBuilder() {}

    public static PacketBuilder ethernet(long dst, long src) {
        PacketBuilder b = new PacketBuilder();
        b.layers.add(new Eth(dst, src));
        return b;
    }

    public static PacketBuilder ethernet(String dst, String src) {
        return ethernet(MacAddress.parse(dst).value(), MacAddress.parse(src).value());
    }

    /** An 802.1Q C-tag. */
    public PacketBuilder vlan(int tci) {
        layers.add(new Vlan(Net.ETHER_TYPE_VLAN, tci));
        return this;
    }

    /** An 802.1ad S-tag (put it before the C-tag for QinQ). */
    public PacketBuilder qinq(int tci) {
        layers.add(new Vlan(Net.ETHER_TYPE_QINQ, tci));
        return this;
    }

    public PacketBuilder ipv4(String src, String dst) {
        return ipv4(Net.parseIpv4(src), Net.parseIpv4(dst), 64);
    }

    public PacketBuilder ipv4(int src, int dst, int ttl) {
        layers.add(new Ip4(src, dst, ttl, 0, 0, 0x4000, -1));
        return this;
    }

    /** IPv4 with every field chosen (flagsFrag: flags:3 | offset:13; protocol -1 = from the next layer). */
    public PacketBuilder ipv4(int src, int dst, int ttl, int tos, int id, int flagsFrag, int protocol) {
        layers.add(new Ip4(src, dst, ttl, tos, id, flagsFrag, protocol));
        return this;
    }

    public PacketBuilder ipv6(String src, String dst) {
        try {
            return ipv6(java.net.InetAddress.getByName(src).getAddress(), java.net.InetAddress.getByName(dst).getAddress());
        } catch (java.net.UnknownHostException e) {
            throw new IllegalArgumentException("bad IPv6 address: " + e.getMessage());
        }
    }

    public PacketBuilder ipv6(byte[] src, byte[] dst) {
        if (src.length != 16 || dst.length != 16) {
            throw new IllegalArgumentException("IPv6 addresses are 16 bytes");
        }
        layers.add(new Ip6(src.clone(), dst.clone(), 64));
        return this;
    }

    /** An IPv6 hop-by-hop options header (8 bytes, PadN). */
    public PacketBuilder ipv6HopByHop() {
        layers.add(new Ip6Ext(Net.IPPROTO_HOPOPTS, 0));
        return this;
    }

    /** An IPv6 fragment header with the given offset/flags field. */
    public PacketBuilder ipv6Fragment(int offsetFlags) {
        layers.add(new Ip6Ext(Net.IPPROTO_FRAGMENT, offsetFlags));
        return this;
    }

    public PacketBuilder udp(int src, int dst) {
        layers.add(new Udp(src, dst, true));
        return this;
    }

    /** UDP with checksum 0 ("not computed", allowed over IPv4). */
    public PacketBuilder udpNoChecksum(int src, int dst) {
        layers.add(new Udp(src, dst, false));
        return this;
    }

    public PacketBuilder tcp(int src, int dst, int flags) {
        layers.add(new Tcp(src, dst, flags, 1));
        return this;
    }

    public PacketBuilder icmpEcho(boolean request, int id, int seq) {
        layers.add(new Icmp(request ? IcmpFlyweight.ECHO_REQUEST : IcmpFlyweight.ECHO_REPLY, 0, id, seq));
        return this;
    }

    public PacketBuilder icmpv6Echo(boolean request, int id, int seq) {
        layers.add(new Icmp(request ? IcmpFlyweight.V6_ECHO_REQUEST : IcmpFlyweight.V6_ECHO_REPLY, 0, id, seq));
        return this;
    }

    public PacketBuilder arp(int op, long sha, int spa, long tha, int tpa) {
        layers.add(new Arp(op, sha, spa, tha, tpa));
        return this;
    }

    /** An ESP header (SPI, sequence); the payload that follows is taken as is. */
    public PacketBuilder esp(int spi, int seq) {
        layers.add(new Esp(spi, seq));
        return this;
    }

    /** A VXLAN header; follow it with {@link #payload} holding the inner frame. */
    public PacketBuilder vxlan(int vni) {
        layers.add(new Vxlan(vni));
        return this;
    }

    public PacketBuilder payload(byte[] bytes) {
        layers.add(new Raw(bytes.clone()));
        return this;
    }

    /** Pads the frame with zeros up to {@code size} bytes (FCS not included). */
    public PacketBuilder padTo(int size) {
        this.padTo = size;
        return this;
    }

    public byte[] build() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int[] offsets = new int[layers.size()];
        for (int i = 0; i < layers.size(); i++) {
            offsets[i] = out.size();
            out.writeBytes(layers.get(i) instanceof Raw r ? r.bytes() : new byte[headerLength(layers.get(i))]);
        }
        int end = out.size();
        byte[] f = out.toByteArray();
        if (padTo > f.length) {
            f = java.util.Arrays.copyOf(f, padTo);
        }
        MemorySegment s = OffHeap.copyOf(f);
        // fill from the innermost layer outwards so lengths and checksums see final contents
        for (int i = layers.size() - 1; i >= 0; i--) {
            Layer l = layers.get(i);
            int off = offsets[i];
            Layer next = i + 1 < layers.size() ? layers.get(i + 1) : null;
            int len = end - off;
            switch (l) {
                case Eth e -> new EthernetFlyweight().wrap(s, off).dst(e.dst()).src(e.src()).etherType(etherTypeOf(next));
                case Vlan v -> {
                    // the TPID belongs to the previous header's type field, written by it
                    new VlanFlyweight().wrap(s, off).tci(v.tci()).innerType(etherTypeOf(next));
                }
                case Ip4 ip -> {
                    Ipv4Flyweight h = new Ipv4Flyweight().wrap(s, off);
                    h.versionAndHeaderLength(20).tos(ip.tos()).totalLength(len).id(ip.id())
                            .flagsAndFragment(ip.flagsFrag()).ttl(ip.ttl())
                            .protocol(ip.protocol() >= 0 ? ip.protocol() : protocolOf(next)).src(ip.src()).dst(ip.dst())
                            .updateChecksum();
                    fixL4Checksum(s, i, off, true, end);
                }
                case Ip6 ip -> {
                    Ipv6Flyweight h = new Ipv6Flyweight().wrap(s, off);
                    h.vtcFlow(6 << 28).payloadLength(len - 40).nextHeader(protocolOf(next)).hopLimit(ip.hopLimit());
                    MemorySegment.copy(ip.src(), 0, s, Net.U8, off + Ipv6Flyweight.SRC, 16);
                    MemorySegment.copy(ip.dst(), 0, s, Net.U8, off + Ipv6Flyweight.DST, 16);
                    fixL4Checksum(s, i, off, false, end);
                }
                case Ip6Ext x -> {
                    s.set(Net.U8, off, (byte) protocolOf(next));
                    s.set(Net.U8, off + 1, (byte) 0);
                    if (x.type() == Net.IPPROTO_FRAGMENT) {
                        s.set(Net.BE16, off + 2, (short) x.fragOffsetFlags());
                        s.set(Net.BE32, off + 4, 0x12345678);
                    } else {
                        s.set(Net.U8, off + 2, (byte) 1); // PadN
                        s.set(Net.U8, off + 3, (byte) 4);
                    }
                }
                case Udp u -> new UdpFlyweight().wrap(s, off).srcPort(u.src()).dstPort(u.dst()).length(len).checksum(0);
                case Tcp t -> new TcpFlyweight().wrap(s, off).srcPort(t.src()).dstPort(t.dst()).seq(t.seq()).ack(0)
                        .headerLength(20).flags(t.flags()).window(65535).checksum(0);
                case Icmp c -> {
                    IcmpFlyweight h = new IcmpFlyweight().wrap(s, off).type(c.type()).code(c.code()).identifier(c.id())
                            .sequence(c.seq()).checksum(0);
                    if (c.type() < 128) {
                        h.checksum(Checksum.finish(Checksum.sum(s, off, len, 0)));
                    }
                }
                case Arp a -> new ArpFlyweight().wrap(s, off).ethernetIpv4().oper(a.op()).sha(a.sha()).spa(a.spa())
                        .tha(a.tha()).tpa(a.tpa());
                case Esp e -> new EspFlyweight().wrap(s, off).spi(e.spi()).seq(e.seq());
                case Vxlan v -> new VxlanFlyweight().wrap(s, off).vni(v.vni());
                case Raw r -> { }
            }
        }
        return s.toArray(Net.U8);
    }

    /** Computes the UDP/TCP/ICMPv6 checksum of the layer after the IP layer at index {@code ipIndex}. */
    private void fixL4Checksum(MemorySegment s, int ipIndex, int ipOff, boolean v4, int end) {
        int j = ipIndex + 1;
        while (j < layers.size() && layers.get(j) instanceof Ip6Ext) {
            j++;
        }
        if (j >= layers.size()) {
            return;
        }
        Layer l4 = layers.get(j);
        int l4Off = ipOff + (v4 ? 20 : 40) + 8 * (j - ipIndex - 1);
        int len = end - l4Off;
        int proto;
        int csumAt;
        boolean udp = false;
        switch (l4) {
            case Udp u -> {
                if (!u.checksum()) {
                    return;
                }
                proto = Net.IPPROTO_UDP;
                csumAt = UdpFlyweight.CHECKSUM;
                udp = true;
            }
            case Tcp t -> {
                proto = Net.IPPROTO_TCP;
                csumAt = TcpFlyweight.CHECKSUM;
            }
            case Icmp c when !v4 -> {
                proto = Net.IPPROTO_ICMPV6;
                csumAt = IcmpFlyweight.CHECKSUM;
            }
            default -> {
                return;
            }
        }
        s.set(Net.BE16, l4Off + csumAt, (short) 0);
        long pseudo = v4 ? Checksum.ipv4PseudoHeader(s, ipOff, proto, len) : Checksum.ipv6PseudoHeader(s, ipOff, proto, len);
        s.set(Net.BE16, l4Off + csumAt, (short) Checksum.l4(s, l4Off, len, pseudo, udp));
    }

    private static int headerLength(Layer l) {
        return switch (l) {
            case Eth e -> 14;
            case Vlan v -> 4;
            case Ip4 i -> 20;
            case Ip6 i -> 40;
            case Ip6Ext x -> 8;
            case Udp u -> 8;
            case Tcp t -> 20;
            case Icmp c -> 8;
            case Arp a -> 28;
            case Esp e -> 8;
            case Vxlan v -> 8;
            case Raw r -> r.bytes().length;
        };
    }

    private static int etherTypeOf(Layer next) {
        return switch (next) {
            case Vlan v -> v.tpid();
            case Ip4 i -> Net.ETHER_TYPE_IPV4;
            case Ip6 i -> Net.ETHER_TYPE_IPV6;
            case Arp a -> Net.ETHER_TYPE_ARP;
            case null, default -> 0x88B5; // IEEE local experimental
        };
    }

    private static int protocolOf(Layer next) {
        return switch (next) {
            case Udp u -> Net.IPPROTO_UDP;
            case Tcp t -> Net.IPPROTO_TCP;
            case Icmp c -> c.type() >= 128 ? Net.IPPROTO_ICMPV6 : Net.IPPROTO_ICMP;
            case Esp e -> Net.IPPROTO_ESP;
            case Ip4 i -> Net.IPPROTO_IPIP;
            case Ip6 i -> Net.IPPROTO_IPV6;
            case Ip6Ext x -> x.type();
            case null, default -> Net.IPPROTO_NONE;
        };
    }
}
