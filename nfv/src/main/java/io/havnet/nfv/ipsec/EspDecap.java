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
 * The inbound side of an IPsec gateway: ESP packets are found in the SAD by SPI, checked against
 * the SA's replay window (before the ICV), decrypted and authenticated, the window moved (after),
 * the padding checked and the ESP framing removed — restoring the inner packet (tunnel) or the
 * original protocol (transport). When the configuration has {@code in} policies, the restored
 * packet must match a {@code protect} policy naming the same SA, and clear-text packets are held
 * to the {@code in} policies too (a protect policy means they should have come encrypted).
 * Without {@code in} policies clear-text traffic passes. A frame the NIC already decrypted
 * ({@code RX_SEC_OFFLOAD}, inline IPsec) skips the crypto; one whose ICV the NIC rejected
 * ({@code RX_SEC_OFFLOAD_FAILED}) counts as an authentication failure.
 */
public final class EspDecap extends NfAgent {
    static final List<CounterDef> OWN = List.of(
            new CounterDef("decrypted", "frames", "ESP packets authenticated, decrypted and restored"),
            new CounterDef("bypassed", "frames", "clear-text packets let through"),
            new CounterDef("unknown_spi", "frames", "ESP packets for no SA here, dropped"),
            new CounterDef("malformed", "frames", "truncated or inconsistent packets, dropped"),
            new CounterDef("replayed", "frames", "sequence numbers seen before, dropped"),
            new CounterDef("too_old", "frames", "sequence numbers left of the replay window, dropped"),
            new CounterDef("auth_failed", "frames", "ICV did not verify, dropped"),
            new CounterDef("bad_padding", "frames", "padding or next header wrong after decryption, dropped"),
            new CounterDef("policy_mismatch", "frames", "decrypted packets no inbound protect policy for their SA matches, dropped"),
            new CounterDef("cleartext_discard", "frames", "clear-text packets an inbound policy wants protected, dropped"),
            new CounterDef("policy_discard", "frames", "packets an inbound discard policy dropped"),
            new CounterDef("no_policy", "frames", "clear-text packets no inbound policy matched, dropped"),
            new CounterDef("not_ipv4", "frames", "frames that are not IPv4, dropped"),
            new CounterDef("inline", "frames", "ESP packets the NIC had decrypted (inline IPsec)"));
    private static final int DECRYPTED = FIRST;
    private static final int BYPASSED = FIRST + 1;
    private static final int UNKNOWN_SPI = FIRST + 2;
    private static final int MALFORMED = FIRST + 3;
    private static final int REPLAYED = FIRST + 4;
    private static final int TOO_OLD = FIRST + 5;
    private static final int AUTH_FAILED = FIRST + 6;
    private static final int BAD_PADDING = FIRST + 7;
    private static final int POLICY_MISMATCH = FIRST + 8;
    private static final int CLEARTEXT = FIRST + 9;
    private static final int POLICY_DISCARD = FIRST + 10;
    private static final int NO_POLICY = FIRST + 11;
    private static final int NOT_IPV4 = FIRST + 12;
    private static final int INLINE = FIRST + 13;

    private final Spd spd;
    private final Sad sad;

    public EspDecap(EthDev rx, EthDev tx, int burst, GatewayConfig config, Sad sad) {
        super("esp-decap", rx, 0, tx, 0, burst, OWN,
                List.of("unknown_spi", "malformed", "replayed", "too_old", "auth_failed", "bad_padding", "policy_mismatch",
                        "cleartext_discard", "policy_discard", "no_policy", "not_ipv4"));
        this.spd = new Spd(config.policies(), Policy.Dir.IN);
        this.sad = sad;
    }

    private long nextHopSrc;
    private long nextHopDst;

    /**
     * Sends what this function outputs from {@code src} to {@code dst} (the gateway's own MAC and
     * its next hop), instead of keeping the frame's Ethernet addresses.
     */
    public EspDecap nextHop(long src, long dst) {
        this.nextHopSrc = src;
        this.nextHopDst = dst;
        return this;
    }

    public Sad sad() {
        return sad;
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
        int total = Short.toUnsignedInt(s.get(Net.BE16, ip + 2));
        int proto = s.get(Net.U8, ip + 9) & 0xFF;
        boolean fragment = (Short.toUnsignedInt(s.get(Net.BE16, ip + 6)) & 0x3FFF) != 0;
        if (proto != Net.IPPROTO_ESP || fragment) {
            return clear(s, ip, ihl, total, proto, fragment);
        }
        if (Mbuf.nbSegs(m) != 1) {
            return MALFORMED;
        }
        long esp = ip + ihl;
        int encLen = total - ihl - EspEncap.ESP_IV - 16;
        if (encLen < 2 || encLen % 4 != 0) {
            return MALFORMED;
        }
        Sa sa = sad.get(s.get(Net.BE32, esp));
        if (sa == null) {
            return UNKNOWN_SPI;
        }
        long seq = Integer.toUnsignedLong(s.get(Net.BE32, esp + 4));
        int w = sa.window().check(seq);
        if (w != ReplayWindow.OK) {
            return w == ReplayWindow.REPLAYED ? REPLAYED : TOO_OLD;
        }
        long enc = esp + EspEncap.ESP_IV;
        long flags = Mbuf.olFlags(m);
        if ((flags & OlFlags.RX_SEC_OFFLOAD) != 0) {
            if ((flags & OlFlags.RX_SEC_OFFLOAD_FAILED) != 0) {
                return AUTH_FAILED;
            }
            counters.add(INLINE, 1);
        } else if (!sa.gcm().open(s, esp, 8, esp + 8, enc, encLen, enc + encLen)) {
            return AUTH_FAILED;
        }
        sa.window().update(seq);
        return restore(m, s, sa, off, ihl, enc, encLen, flags);
    }

    // The part after the crypto is a method of its own so that process stays small enough for
    // every JIT tier (see EspEncap.process).
    /** Checks the trailer, takes the ESP header and trailer (and in tunnel mode the outer header) off, checks the policy. */
    private int restore(int m, MemorySegment s, Sa sa, long off, int ihl, long enc, int encLen, long flags) {
        int padLen = s.get(Net.U8, enc + encLen - 2) & 0xFF;
        int nextHeader = s.get(Net.U8, enc + encLen - 1) & 0xFF;
        int payload = encLen - 2 - padLen;
        if (payload < 0) {
            return BAD_PADDING;
        }
        for (int i = 0; i < padLen; i++) {
            if ((s.get(Net.U8, enc + payload + i) & 0xFF) != i + 1) {
                return BAD_PADDING;
            }
        }
        sa.count(encLen);
        boolean tunnel = sa.config().mode() == SaConfig.Mode.TUNNEL;
        long inner;
        if (tunnel) {
            if (nextHeader != Net.IPPROTO_IPIP || payload < 20 || (s.get(Net.U8, enc) & 0xF0) != 0x40
                    || Short.toUnsignedInt(s.get(Net.BE16, enc + 2)) != payload) {
                return BAD_PADDING;
            }
            long front = enc - 14;
            MemorySegment.copy(s, off, s, front, 14);
            Mbuf.adj(m, (int) (front - off));
            Mbuf.trim(m, Mbuf.dataLen(m) - 14 - payload);
            inner = front + 14;
        } else {
            if (nextHeader == Net.IPPROTO_ESP || nextHeader == Net.IPPROTO_NONE && payload != 0) {
                return BAD_PADDING;
            }
            inner = transport(m, s, off, ihl, payload, nextHeader);
        }
        Mbuf.setOlFlags(m, flags & ~(OlFlags.RX_SEC_OFFLOAD | OlFlags.RX_SEC_OFFLOAD_FAILED));
        if (spd.size() > 0) {
            int iihl = (s.get(Net.U8, inner) & 0xF) * 4;
            int p = s.get(Net.U8, inner + 9) & 0xFF;
            int pi = match(s, inner, iihl, Short.toUnsignedInt(s.get(Net.BE16, inner + 2)), p);
            if (pi < 0 || spd.action(pi) != Policy.Action.PROTECT || spd.spi(pi) != sa.spi()) {
                return POLICY_MISMATCH;
            }
        }
        if (nextHopDst != 0) {
            long front = Mbuf.dataOffset(m);
            s.set(Net.BE64, front, nextHopDst << 16 | nextHopSrc >>> 32);
            s.set(Net.BE32, front + 8, (int) nextHopSrc);
        }
        counters.add(DECRYPTED, 1);
        return FORWARD;
    }

    /** Transport mode: the Ethernet and IPv4 headers move up over the ESP header, which gives its protocol back; returns the IPv4 header's offset. */
    private static long transport(int m, MemorySegment s, long off, int ihl, int payload, int nextHeader) {
        long front = off + EspEncap.ESP_IV;
        MemorySegment.copy(s, off, s, front, 14 + ihl);
        Mbuf.adj(m, EspEncap.ESP_IV);
        Mbuf.trim(m, Mbuf.dataLen(m) - 14 - ihl - payload);
        long inner = front + 14;
        s.set(Net.U8, inner + 9, (byte) nextHeader);
        s.set(Net.BE16, inner + 2, (short) (ihl + payload));
        s.set(Net.BE16, inner + 10, (short) 0);
        s.set(Net.BE16, inner + 10, (short) Checksum.ipv4Header(s, inner, ihl));
        return inner;
    }

    private int clear(MemorySegment s, long ip, int ihl, int total, int proto, boolean fragment) {
        if (spd.size() == 0) {
            counters.add(BYPASSED, 1);
            return FORWARD;
        }
        int pi = match(s, ip, ihl, total, fragment ? -2 : proto);
        if (pi < 0) {
            return NO_POLICY;
        }
        return switch (spd.action(pi)) {
            case BYPASS -> {
                counters.add(BYPASSED, 1);
                yield FORWARD;
            }
            case DISCARD -> POLICY_DISCARD;
            case PROTECT -> CLEARTEXT;
        };
    }

    /** The inbound policy matching the IPv4 packet at {@code ip}; {@code proto} -2: a fragment (no ports). */
    private int match(MemorySegment s, long ip, int ihl, int total, int proto) {
        int p = proto == -2 ? s.get(Net.U8, ip + 9) & 0xFF : proto;
        int sp = 0;
        int dp = 0;
        if (proto != -2 && (p == Net.IPPROTO_TCP || p == Net.IPPROTO_UDP) && total >= ihl + 4) {
            int w = s.get(Net.BE32, ip + ihl);
            sp = w >>> 16;
            dp = w & 0xFFFF;
        }
        return spd.match(s.get(Net.BE32, ip + 12), s.get(Net.BE32, ip + 16), p, sp, dp);
    }
}
