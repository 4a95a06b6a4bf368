package io.havnet.nfv.acl;

import io.havnet.dataplane.net.Net;
import io.havnet.nfv.config.ConfigNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * 5-tuple rules with priorities, as a file:
 * <pre>
 * default: deny
 * rules:
 *   - {priority: 20, src: 10.1.0.0/16, dst: 10.2.0.0/16, proto: tcp, dport: 80-443, action: allow}
 *   - {priority: 10, proto: icmp, action: allow}
 * </pre>
 * The highest priority that matches decides (ties: the earlier rule); a packet no rule matches,
 * and any frame that is not IPv4, gets the default action.
 */
public record AclRules(boolean defaultAllow, List<Rule> rules) {
    /** One rule; -1 protocol is any; port ranges are inclusive. */
    public record Rule(String name, int priority, int src, int srcLen, int dst, int dstLen, int proto, int sportLo,
                       int sportHi, int dportLo, int dportHi, boolean allow) {}

    public static AclRules load(Path file) {
        return parse(ConfigNode.load(file));
    }

    public static AclRules parse(String name, String text) {
        return parse(ConfigNode.parse(name, text));
    }

    private static AclRules parse(ConfigNode root) {
        Map<String, ConfigNode> top = root.map(Set.of("default", "rules"));
        boolean def = top.containsKey("default") && top.get("default").oneOf("allow", "deny").equals("allow");
        if (!top.containsKey("rules")) {
            throw root.error("rules: required");
        }
        List<Rule> rules = new ArrayList<>();
        int i = 0;
        for (ConfigNode r : top.get("rules").list()) {
            Map<String, ConfigNode> m = r.map(Set.of("name", "priority", "src", "dst", "proto", "sport", "dport", "action"));
            if (!m.containsKey("action")) {
                throw r.error("action: required (allow or deny)");
            }
            int[] src = m.containsKey("src") ? m.get("src").asIpv4Prefix() : new int[] {0, 0};
            int[] dst = m.containsKey("dst") ? m.get("dst").asIpv4Prefix() : new int[] {0, 0};
            int proto = m.containsKey("proto") ? m.get("proto").asIpProtocol() : -1;
            int[] sp = m.containsKey("sport") ? m.get("sport").asPortRange() : new int[] {0, 65535};
            int[] dp = m.containsKey("dport") ? m.get("dport").asPortRange() : new int[] {0, 65535};
            if ((m.containsKey("sport") || m.containsKey("dport")) && proto != Net.IPPROTO_TCP && proto != Net.IPPROTO_UDP) {
                throw r.error("ports need proto tcp or udp");
            }
            rules.add(new Rule(m.containsKey("name") ? m.get("name").text() : "rule" + i,
                    m.containsKey("priority") ? m.get("priority").asInt(0, 65535) : 0, src[0], src[1], dst[0], dst[1], proto,
                    sp[0], sp[1], dp[0], dp[1], m.get("action").oneOf("allow", "deny").equals("allow")));
            i++;
        }
        List<Rule> sorted = new ArrayList<>(rules);
        sorted.sort(Comparator.comparingInt(Rule::priority).reversed()); // stable: ties keep file order
        return new AclRules(def, List.copyOf(sorted));
    }
}
