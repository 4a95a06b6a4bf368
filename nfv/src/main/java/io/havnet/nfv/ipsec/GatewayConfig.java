package io.havnet.nfv.ipsec;

import io.havnet.dataplane.net.Net;
import io.havnet.nfv.config.ConfigNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An IPsec gateway's configuration — its SAs and policies — as a YAML file:
 * <pre>
 * sas:
 *   - spi: 0x1000
 *     mode: tunnel                 # or transport
 *     aead: aes-128-gcm            # or aes-256-gcm
 *     key: 00112233445566778899aabbccddeeffcafebabe   # key + 4-byte salt, hex
 *     tunnel: {src: 203.0.113.1, dst: 203.0.113.2}
 *     replay_window: 64            # 64-4096, multiple of 64
 * policies:
 *   - {src: 10.1.0.0/16, dst: 10.2.0.0/16, action: protect, spi: 0x1000}            # dir: out (default)
 *   - {dir: in, src: 10.2.0.0/16, dst: 10.1.0.0/16, action: protect, spi: 0x2000}
 *   - {src: 10.1.0.0/16, dst: 192.0.2.0/24, proto: udp, dport: 53, action: bypass}
 * </pre>
 * Checked whole: key lengths, SPIs (unique, not reserved), tunnel endpoints for tunnel mode,
 * protect policies naming an existing SA, and no two policies of one direction whose selectors
 * overlap (which one applied would then depend on their order).
 */
public record GatewayConfig(List<SaConfig> sas, List<Policy> policies) {
    static final Set<String> SA_KEYS = Set.of("spi", "mode", "aead", "key", "tunnel", "replay_window");
    static final Set<String> POLICY_KEYS = Set.of("dir", "src", "dst", "proto", "sport", "dport", "action", "spi");

    public static GatewayConfig load(Path file) {
        return parse(ConfigNode.load(file));
    }

    public static GatewayConfig parse(String name, String text) {
        return parse(ConfigNode.parse(name, text));
    }

    private static GatewayConfig parse(ConfigNode root) {
        Map<String, ConfigNode> top = root.map(Set.of("sas", "policies"));
        List<SaConfig> sas = new ArrayList<>();
        Map<Integer, ConfigNode> spis = new HashMap<>();
        if (top.containsKey("sas")) {
            for (ConfigNode n : top.get("sas").list()) {
                Map<String, ConfigNode> m = n.map(SA_KEYS);
                for (String k : List.of("spi", "aead", "key")) {
                    if (!m.containsKey(k)) {
                        throw n.error(k + ": required");
                    }
                }
                int spi = (int) m.get("spi").asLong(256, 0xFFFFFFFFL);
                if (spis.put(spi, n) != null) {
                    throw m.get("spi").error(String.format("SPI 0x%x is used by two SAs", spi));
                }
                SaConfig.Mode mode = m.containsKey("mode")
                        ? SaConfig.Mode.valueOf(m.get("mode").oneOf("tunnel", "transport").toUpperCase()) : SaConfig.Mode.TUNNEL;
                Aead aead = Aead.parse(m.get("aead").oneOf("aes-128-gcm", "aes-256-gcm"));
                byte[] key;
                String hex = m.get("key").text().replace(":", "");
                hex = hex.startsWith("0x") ? hex.substring(2) : hex;
                try {
                    key = HexFormat.of().parseHex(hex);
                } catch (IllegalArgumentException e) {
                    throw m.get("key").error("not hex");
                }
                if (key.length != aead.keyMaterialLength()) {
                    throw m.get("key").error(aead.label() + " needs " + aead.keyMaterialLength() + " bytes ("
                            + aead.keyLength() + "-byte key + 4-byte salt), got " + key.length);
                }
                int src = 0;
                int dst = 0;
                if (mode == SaConfig.Mode.TUNNEL) {
                    if (!m.containsKey("tunnel")) {
                        throw n.error("tunnel: required in tunnel mode ({src: A, dst: B})");
                    }
                    Map<String, ConfigNode> t = m.get("tunnel").map(Set.of("src", "dst"));
                    if (!t.containsKey("src") || !t.containsKey("dst")) {
                        throw m.get("tunnel").error("needs src and dst");
                    }
                    src = t.get("src").asIpv4();
                    dst = t.get("dst").asIpv4();
                } else if (m.containsKey("tunnel")) {
                    throw m.get("tunnel").error("only for mode tunnel");
                }
                int window = m.containsKey("replay_window") ? m.get("replay_window").asInt(64, 4096) : 64;
                if (window % 64 != 0) {
                    throw m.get("replay_window").error(window + " is not a multiple of 64");
                }
                sas.add(new SaConfig(spi, mode, aead, key, src, dst, window));
            }
        }
        List<Policy> policies = new ArrayList<>();
        List<ConfigNode> policyNodes = new ArrayList<>();
        if (top.containsKey("policies")) {
            for (ConfigNode n : top.get("policies").list()) {
                Map<String, ConfigNode> m = n.map(POLICY_KEYS);
                if (!m.containsKey("action")) {
                    throw n.error("action: required (protect, bypass, discard)");
                }
                Policy.Dir dir = m.containsKey("dir") ? Policy.Dir.valueOf(m.get("dir").oneOf("out", "in").toUpperCase())
                        : Policy.Dir.OUT;
                int[] src = m.containsKey("src") ? m.get("src").asIpv4Prefix() : new int[] {0, 0};
                int[] dst = m.containsKey("dst") ? m.get("dst").asIpv4Prefix() : new int[] {0, 0};
                int proto = m.containsKey("proto") ? m.get("proto").asIpProtocol() : -1;
                int[] sp = m.containsKey("sport") ? m.get("sport").asPortRange() : new int[] {0, 65535};
                int[] dp = m.containsKey("dport") ? m.get("dport").asPortRange() : new int[] {0, 65535};
                if ((m.containsKey("sport") || m.containsKey("dport")) && proto != Net.IPPROTO_TCP && proto != Net.IPPROTO_UDP) {
                    throw n.error("ports need proto tcp or udp");
                }
                Policy.Action action = Policy.Action.valueOf(m.get("action").oneOf("protect", "bypass", "discard").toUpperCase());
                int spi = 0;
                if (action == Policy.Action.PROTECT) {
                    if (!m.containsKey("spi")) {
                        throw n.error("spi: required for action protect");
                    }
                    spi = (int) m.get("spi").asLong(256, 0xFFFFFFFFL);
                    if (!spis.containsKey(spi)) {
                        throw m.get("spi").error(String.format("no SA has SPI 0x%x", spi));
                    }
                } else if (m.containsKey("spi")) {
                    throw m.get("spi").error("only for action protect");
                }
                Policy p = new Policy(dir, src[0], src[1], dst[0], dst[1], proto, sp[0], sp[1], dp[0], dp[1], action, spi);
                for (int i = 0; i < policies.size(); i++) {
                    if (policies.get(i).overlaps(p)) {
                        throw n.error("overlaps policy " + (i + 1) + " (" + policies.get(i) + ", line "
                                + policyNodes.get(i).line() + "): make the selectors disjoint");
                    }
                }
                policies.add(p);
                policyNodes.add(n);
            }
        }
        if (sas.isEmpty() && policies.isEmpty()) {
            throw root.error("no sas and no policies");
        }
        return new GatewayConfig(List.copyOf(sas), List.copyOf(policies));
    }


    /** The SA with {@code spi}, or null. */
    public SaConfig sa(int spi) {
        for (SaConfig s : sas) {
            if (s.spi() == spi) {
                return s;
            }
        }
        return null;
    }

    /** This configuration as YAML that {@link #parse} reads back. */
    public String toYaml() {
        StringBuilder b = new StringBuilder();
        b.append("sas:\n");
        for (SaConfig s : sas) {
            b.append("  - spi: ").append(s.spiHex()).append('\n');
            b.append("    mode: ").append(s.mode().name().toLowerCase()).append('\n');
            b.append("    aead: ").append(s.aead().label()).append('\n');
            b.append("    key: ").append(s.keyHex()).append("   # ").append(s.aead().keyLength()).append("-byte key + 4-byte salt\n");
            if (s.mode() == SaConfig.Mode.TUNNEL) {
                b.append("    tunnel: {src: ").append(Net.ipv4ToString(s.tunnelSrc())).append(", dst: ")
                        .append(Net.ipv4ToString(s.tunnelDst())).append("}\n");
            }
            b.append("    replay_window: ").append(s.replayWindow()).append('\n');
        }
        b.append("policies:\n");
        for (Policy p : policies) {
            b.append("  - {dir: ").append(p.dir().name().toLowerCase()).append(", src: ").append(Net.ipv4ToString(p.src()))
                    .append('/').append(p.srcLen()).append(", dst: ").append(Net.ipv4ToString(p.dst())).append('/')
                    .append(p.dstLen());
            if (p.proto() >= 0) {
                b.append(", proto: ").append(p.proto());
            }
            if (p.sportLo() != 0 || p.sportHi() != 65535) {
                b.append(", sport: ").append(p.sportLo()).append('-').append(p.sportHi());
            }
            if (p.dportLo() != 0 || p.dportHi() != 65535) {
                b.append(", dport: ").append(p.dportLo()).append('-').append(p.dportHi());
            }
            b.append(", action: ").append(p.action().name().toLowerCase());
            if (p.action() == Policy.Action.PROTECT) {
                b.append(", spi: ").append(String.format("0x%08x", p.spi()));
            }
            b.append("}\n");
        }
        return b.toString();
    }
}
