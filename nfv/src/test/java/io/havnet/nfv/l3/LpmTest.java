package io.havnet.nfv.l3;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** DIR-24-8 against a plain longest-prefix scan over the same rules, through adds and deletes. */
class LpmTest {
    record Rule(int prefix, int len, int nh) {}

    static int reference(List<Rule> rules, int addr) {
        int best = -1;
        int bestLen = -1;
        for (Rule r : rules) {
            int mask = r.len == 0 ? 0 : -1 << (32 - r.len);
            if ((addr & mask) == r.prefix && r.len > bestLen) {
                best = r.nh;
                bestLen = r.len;
            }
        }
        return best;
    }

    @Test
    void agreesWithALinearScanThroughAddsAndDeletes() {
        Random rnd = new Random(42);
        Lpm lpm = new Lpm(1024);
        List<Rule> rules = new ArrayList<>();
        int[] lens = {0, 8, 12, 16, 20, 23, 24, 25, 26, 28, 30, 31, 32};
        for (int i = 0; i < 600; i++) {
            int len = lens[rnd.nextInt(lens.length)];
            int base = 0x0A000000 | rnd.nextInt(1 << 20) << 4; // 10.0.0.0/8, so prefixes nest often
            int mask = len == 0 ? 0 : -1 << (32 - len);
            int p = base & mask;
            int nh = rnd.nextInt(1000);
            rules.removeIf(r -> r.prefix == p && r.len == len);
            rules.add(new Rule(p, len, nh));
            lpm.add(p, len, nh);
        }
        check(lpm, rules, rnd);
        for (int i = 0; i < 300; i++) {
            Rule r = rules.remove(rnd.nextInt(rules.size()));
            assertTrue(lpm.delete(r.prefix, r.len));
        }
        assertFalse(lpm.delete(0x0B000000, 8), "not there");
        check(lpm, rules, rnd);
        for (Rule r : new ArrayList<>(rules)) {
            lpm.delete(r.prefix, r.len);
        }
        assertEquals(-1, lpm.lookup(0x0A000001));
        assertEquals(0, lpm.groupsInUse(), "empty groups are returned");
        assertEquals(0, lpm.size());
    }

    private static void check(Lpm lpm, List<Rule> rules, Random rnd) {
        for (int i = 0; i < 200_000; i++) {
            int a = i % 2 == 0 ? 0x0A000000 | rnd.nextInt(1 << 24) : rnd.nextInt();
            if (i % 5 == 0 && !rules.isEmpty()) {
                Rule r = rules.get(rnd.nextInt(rules.size()));
                a = r.prefix | (r.len == 32 ? 0 : rnd.nextInt() >>> r.len);
            }
            assertEquals(reference(rules, a), lpm.lookup(a), () -> "address " + Integer.toHexString(0));
        }
    }

    @Test
    void edgesOfTheTable() {
        Lpm lpm = new Lpm(2);
        lpm.add(0, 0, 7);
        assertEquals(7, lpm.lookup(0xFFFFFFFF));
        lpm.add(0xC0A80101, 32, 9);
        lpm.add(0xC0A80200, 25, 10);
        assertEquals(9, lpm.lookup(0xC0A80101));
        assertEquals(7, lpm.lookup(0xC0A80102));
        assertEquals(10, lpm.lookup(0xC0A8027F));
        assertEquals(7, lpm.lookup(0xC0A80280));
        IllegalStateException full = assertThrows(IllegalStateException.class, () -> lpm.add(0x0A000001, 32, 1));
        assertTrue(full.getMessage().contains("all 2 tbl8 groups are in use"));
        assertThrows(IllegalArgumentException.class, () -> lpm.add(0, 33, 1));
        assertThrows(IllegalArgumentException.class, () -> lpm.add(0, 8, 1 << 24));
        lpm.add(0xC0A80101, 32, 11);
        assertEquals(11, lpm.lookup(0xC0A80101), "re-adding replaces the next hop");
    }
}
