package io.havnet.nfv.acl;

import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.nfv.NfHarness;
import io.havnet.nfv.config.ConfigException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** Priorities decide, hit counters count, the default applies to the rest. */
class AclTest {
    static final AclRules RULES = AclRules.parse("acl.yaml", """
            default: deny
            rules:
              - {name: web, priority: 10, src: 10.1.0.0/16, dst: 10.2.0.0/16, proto: tcp, dport: 80-443, action: allow}
              - {name: block-host, priority: 20, src: 10.1.0.66/32, action: deny}
              - {name: ping, priority: 5, proto: icmp, action: allow}
              - {name: dns, priority: 5, proto: udp, dport: 53, action: allow}
            """);

    @Test
    void theHighestPriorityMatchDecides() {
        assertEquals("block-host", RULES.rules().getFirst().name(), "sorted by priority");
        try (NfHarness h = new NfHarness((rx, tx) -> new AclFunction(rx, tx, 32, RULES))) {
            assertNotNull(h.one(PacketBuilder.ethernet(1, 2).ipv4("10.1.0.5", "10.2.0.9").tcp(40000, 443, 2).build()));
            assertNull(h.one(PacketBuilder.ethernet(1, 2).ipv4("10.1.0.66", "10.2.0.9").tcp(40000, 443, 2).build()),
                    "the /32 deny outranks the web allow");
            assertNull(h.one(PacketBuilder.ethernet(1, 2).ipv4("10.1.0.5", "10.2.0.9").tcp(40000, 22, 2).build()),
                    "port 22 is outside 80-443: default deny");
            assertNotNull(h.one(PacketBuilder.ethernet(1, 2).ipv4("192.0.2.1", "10.2.0.9").icmpEcho(true, 1, 1).build()));
            assertNotNull(h.one(PacketBuilder.ethernet(1, 2).ipv4("192.0.2.1", "10.2.0.9").udp(5353, 53).build()));
            assertNull(h.one(PacketBuilder.ethernet(1, 2).arp(1, 2, 1, 0, 2).build()), "not IPv4: default deny");
            AclFunction f = (AclFunction) h.f;
            assertArrayEquals(new long[] {1, 1, 1, 1}, f.hits());
            assertEquals(3, h.count("allowed"));
            assertEquals(3, h.count("denied"));
            assertEquals(1, h.count("defaulted"));
            assertEquals(1, h.count("not_ipv4"));
            byte[] cut = new byte[20];
            cut[12] = 0x08; // IPv4, but no room for its header
            assertNull(h.one(cut));
            assertEquals(1, h.count("malformed"));
        }
    }

    @Test
    void badRuleFiles() {
        ConfigException e = assertThrows(ConfigException.class, () -> AclRules.parse("acl.yaml",
                "rules:\n  - {proto: icmp, dport: 80, action: allow}\n"));
        assertEquals("acl.yaml:2: rules[0]: ports need proto tcp or udp", e.getMessage());
        e = assertThrows(ConfigException.class, () -> AclRules.parse("acl.yaml",
                "rules:\n  - {proto: tcp, dport: 90-80, action: allow}\n"));
        assertTrue(e.getMessage().contains("'90-80' is not a port range"), e.getMessage());
        e = assertThrows(ConfigException.class, () -> AclRules.parse("acl.yaml", "rules:\n  - {action: maybe}\n"));
        assertTrue(e.getMessage().contains("unknown value 'maybe' (expected allow, deny)"), e.getMessage());
    }
}
