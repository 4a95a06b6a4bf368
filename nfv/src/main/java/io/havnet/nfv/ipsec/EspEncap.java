package io.havnet.nfv.ipsec;

import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.OlFlags;
import io.havnet.dataplane.net.Checksum;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.stats.CounterDef;
import io.havnet.nfv.NfAgent;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The outbound side of an IPsec gateway (RFC 4301/4303, AES-GCM per RFC 4106): each IPv4 packet
 * is matched against the {@code out} policies; {@code bypass} sends it on, {@code discard} and no
 * policy drop it, {@code protect} wraps it in ESP with the policy's SA.
 * <ul>
 *   <li>tunnel mode: Ethernet | new IPv4 (SA endpoints, TOS and DF copied, TTL 64) | ESP | IV |
 *       encrypted (inner packet | padding | pad length | next header 4) | ICV;</li>
 *   <li>transport mode: the ESP header goes between the IPv4 header and its payload (next
 *       header = the original protocol).</li>
 * </ul>
 * The sequence number starts at 1 and doubles as the IV (unique per SA); an SA whose counter
 * would wrap drops instead (RFC 4303 §3.3.3). With {@code inline} the frame leaves with its ESP
 * header, IV, trailer and room for the ICV in place, flagged {@code TX_SEC_OFFLOAD} with the
 * NIC's SA index in the mbuf: the NIC encrypts (see the NIC's inline IPsec).
 */
public final class EspEncap extends NfAgent {
    static final List<CounterDef> OWN = List.of(
            new CounterDef("protected", "frames", "packets wrapped in ESP"),
            new CounterDef("bypassed", "frames", "packets a bypass policy let through in clear"),
            new CounterDef("policy_discard", "frames", "packets a discard policy dropped"),
            new CounterDef("no_policy", "frames", "packets no outbound policy matched, dropped"),
            new CounterDef("not_ipv4", "frames", "frames that are not IPv4, dropped"),
            new CounterDef("malformed", "frames", "truncated or inconsistent IPv4 packets, dropped"),
            new CounterDef("seq_overflow", "frames", "packets for an SA whose sequence number space is used up, dropped"),
            new CounterDef("no_room", "frames", "packets without head- or tailroom for ESP, or chained, dropped"),
            new CounterDef("offloaded", "frames", "packets handed to the NIC for inline encryption"));
    private static final int PROTECTED = FIRST;
    private static final int BYPASSED = FIRST + 1;
    private static final int POLICY_DISCARD = FIRST + 2;
    private static final int NO_POLICY = FIRST + 3;
    private static final int NOT_IPV4 = FIRST + 4;
    private static final int MALFORMED = FIRST + 5;
    private static final int SEQ_OVERFLOW = FIRST + 6;
    private static final int NO_ROOM = FIRST + 7;
    private static final int OFFLOADED = FIRST + 8;

    /** ESP header + IV. */
    public static final int ESP_IV = Net.ESP_HDR_LEN + 8;

    private final Spd spd;
    private final Sad sad;
    private final Sa[] bySpd;
    private final int[] inlineIndex;

    /**
     * @param inlineSaIndex for inline offload: SPI → the NIC's TX SA index; null for software crypto
     */
    public EspEncap(EthDev rx, EthDev tx, int burst, GatewayConfig config, Sad sad,
                    java.util.Map<Integer, Integer> inlineSaIndex) {
        super("esp-encap", rx, 0, tx, 0, burst, OWN,
                List.of("policy_discard", "no_policy", "not_ipv4", "malformed", "seq_overflow", "no_room"));
        this.spd = new Spd(config.policies(), Policy.Dir.OUT);
        this.sad = sad;
        this.bySpd = new Sa[spd.size()];
        this.inlineIndex = new int[spd.size()];
        for (int i = 0; i < spd.size(); i++) {
            inlineIndex[i] = -1;
            if (spd.action(i) == Policy.Action.PROTECT) {
                bySpd[i] = sad.get(spd.spi(i));
                if (bySpd[i] == null) {
                    throw new IllegalArgumentException(String.format("policy %s: no SA with SPI 0x%x", spd.policy(i),
                            spd.spi(i)));
                }
                if (inlineSaIndex != null) {
                    Integer x = inlineSaIndex.get(spd.spi(i));
                    if (x == null) {
                        throw new IllegalArgumentException(String.format("SA 0x%x has no NIC SA index", spd.spi(i)));
                    }
                    inlineIndex[i] = x;
                }
            }
        }
    }

    public EspEncap(EthDev rx, EthDev tx, int burst, GatewayConfig config, Sad sad) {
        this(rx, tx, burst, config, sad, null);
    }

    private long nextHopSrc;
    private long nextHopDst;

    /**
     * Sends what this function outputs from {@code src} to {@code dst} (the gateway's own MAC and
     * its next hop), instead of keeping the frame's Ethernet addresses.
     */
    public EspEncap nextHop(long src, long dst) {
        this.nextHopSrc = src;
        this.nextHopDst = dst;
        return this;
    }

    public Sad sad() {
        return sad;
    }

    // process is split in four so that each part stays small enough for every JIT tier: as one
    // method (1,163 bytes of bytecode, with the segment accesses inlined) it overflowed C1's
    // register allocator, stayed in unprofiled code, and reached C2 only in some JVMs — the
    // benchmark then ran at 0.6 or 1.1 Mpps depending on the JVM.
    @Override
    protected int process(int m) {
        int len = Mbuf.dataLen(m);
        MemorySegment s = Mbuf.segment(m);
        long off = Mbuf.dataOffset(m);
        int ihl = ipv4HeaderLength(s, off, len);
        if (ihl < 0) {
            return ihl == NOT_IPV4_FRAME ? NOT_IPV4 : MALFORMED;
        }
        int pi = policy(s, off + 14, ihl);
        if (pi < 0) {
            return NO_POLICY;
        }
        switch (spd.action(pi)) {
            case BYPASS -> {
                counters.add(BYPASSED, 1);
                return FORWARD;
            }
            case DISCARD -> {
                return POLICY_DISCARD;
            }
            default -> {
                return protect(m, s, len, off + 14, ihl, pi);
            }
        }
    }

    /** The SPD entry for the IPv4 packet at {@code ip}, or -1. */
    private int policy(MemorySegment s, long ip, int ihl) {
        int total = Short.toUnsignedInt(s.get(Net.BE16, ip + 2));
        int proto = s.get(Net.U8, ip + 9) & 0xFF;
        int sp = 0;
        int dp = 0;
        if ((proto == Net.IPPROTO_TCP || proto == Net.IPPROTO_UDP)
                && (Short.toUnsignedInt(s.get(Net.BE16, ip + 6)) & 0x1FFF) == 0 && total >= ihl + 4) {
            int w = s.get(Net.BE32, ip + ihl);
            sp = w >>> 16;
            dp = w & 0xFFFF;
        }
        return spd.match(s.get(Net.BE32, ip + 12), s.get(Net.BE32, ip + 16), proto, sp, dp);
    }

    /** Wraps the packet in ESP under SPD entry {@code pi}: headers, trailer, then the crypto (here or in the NIC). */
    private int protect(int m, MemorySegment s, int len, long ip, int ihl, int pi) {
        if (Mbuf.nbSegs(m) != 1) {
            return NO_ROOM;
        }
        int total = Short.toUnsignedInt(s.get(Net.BE16, ip + 2));
        if (14 + total < len) {
            Mbuf.trim(m, len - 14 - total); // Ethernet padding is not part of the packet
        }
        Sa sa = bySpd[pi];
        boolean tunnel = sa.config().mode() == SaConfig.Mode.TUNNEL;
        int payload = tunnel ? total : total - ihl;
        int pad = (4 - (payload + 2) % 4) % 4;
        int trailer = pad + 2 + 16;
        int grow = tunnel ? Net.IPV4_MIN_HDR_LEN + ESP_IV : ESP_IV;
        if (Mbuf.headroom(m) < grow || Mbuf.tailroom(m) < trailer) {
            return NO_ROOM;
        }
        long seq = sa.nextSeq();
        if (seq < 0) {
            return SEQ_OVERFLOW;
        }
        int nextHeader = tunnel ? Net.IPPROTO_IPIP : s.get(Net.U8, ip + 9) & 0xFF;
        int tos = s.get(Net.U8, ip + 1) & 0xFF;
        int df = Short.toUnsignedInt(s.get(Net.BE16, ip + 6)) & 0x4000;
        long start = Mbuf.prepend(m, grow);
        long esp = tunnel ? tunnelHeader(s, start, sa, tos, df, payload + trailer)
                : transportHeader(s, start, ihl, payload + trailer);
        s.set(Net.BE32, esp, sa.spi());
        s.set(Net.BE32, esp + 4, (int) seq);
        s.set(Net.BE64, esp + 8, seq);
        long tail = Mbuf.append(m, trailer);
        for (int i = 0; i < pad; i++) {
            s.set(Net.U8, tail + i, (byte) (i + 1));
        }
        s.set(Net.U8, tail + pad, (byte) pad);
        s.set(Net.U8, tail + pad + 1, (byte) nextHeader);
        int encLen = payload + pad + 2;
        sa.count(encLen);
        if (inlineIndex[pi] >= 0) {
            s.set(Net.BE64, tail + pad + 2, 0L);
            s.set(Net.BE64, tail + pad + 10, 0L);
            Mbuf.setSaIndex(m, inlineIndex[pi]);
            Mbuf.setTxOffload(m, 14, tunnel ? 20 : ihl, 0);
            Mbuf.addOlFlags(m, OlFlags.TX_SEC_OFFLOAD);
            counters.add(OFFLOADED, 1);
        } else {
            sa.gcm().seal(s, esp, 8, esp + 8, esp + ESP_IV, encLen, tail + pad + 2);
        }
        if (nextHopDst != 0) {
            long front = Mbuf.dataOffset(m);
            s.set(Net.BE64, front, nextHopDst << 16 | nextHopSrc >>> 32);
            s.set(Net.BE32, front + 8, (int) nextHopSrc);
        }
        counters.add(PROTECTED, 1);
        return FORWARD;
    }

    /** Tunnel mode: Ethernet header moved to the new front, a new outer IPv4 header; returns the ESP header's offset. */
    private static long tunnelHeader(MemorySegment s, long start, Sa sa, int tos, int df, int espPayload) {
        int grow = Net.IPV4_MIN_HDR_LEN + ESP_IV;
        MemorySegment.copy(s, start + grow, s, start, 14); // Ethernet header to the new front
        long oip = start + 14;
        s.set(Net.BE32, oip, 0x45000000 | tos << 16 | (20 + ESP_IV + espPayload));
        s.set(Net.BE32, oip + 4, sa.nextIpId() << 16 | df);
        s.set(Net.BE32, oip + 8, 64 << 24 | Net.IPPROTO_ESP << 16);
        s.set(Net.BE32, oip + 12, sa.config().tunnelSrc());
        s.set(Net.BE32, oip + 16, sa.config().tunnelDst());
        s.set(Net.BE16, oip + 10, (short) Checksum.ipv4Header(s, oip, 20));
        return oip + 20;
    }

    /** Transport mode: Ethernet and IPv4 headers moved to the new front, protocol ESP; returns the ESP header's offset. */
    private static long transportHeader(MemorySegment s, long start, int ihl, int espPayload) {
        MemorySegment.copy(s, start + ESP_IV, s, start, 14 + ihl); // Ethernet + IPv4 header to the new front
        long nip = start + 14;
        s.set(Net.U8, nip + 9, (byte) Net.IPPROTO_ESP);
        s.set(Net.BE16, nip + 2, (short) (ihl + ESP_IV + espPayload));
        s.set(Net.BE16, nip + 10, (short) 0);
        s.set(Net.BE16, nip + 10, (short) Checksum.ipv4Header(s, nip, ihl));
        return nip + ihl;
    }
}
