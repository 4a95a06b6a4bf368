package io.havnet.dataplane.net;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.*;

class FlyweightTest {
    @Test
    void ethernetFieldsAreNetworkOrder() {
        byte[] f = new byte[14];
        MemorySegment s = MemorySegment.ofArray(f);
        EthernetFlyweight e = new EthernetFlyweight().wrap(s, 0).dst(0x0102030405L).src(0xA1A2A3A4A5A6L)
                .etherType(0x0800);
        assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 5, (byte) 0xA1, (byte) 0xA2, (byte) 0xA3, (byte) 0xA4,
            (byte) 0xA5, (byte) 0xA6, 8, 0}, f);
        e.swapMacs();
        assertEquals(0xA1A2A3A4A5A6L, e.dst());
        assertEquals(0x0102030405L, e.src());
    }

    @Test
    void macAddressParsesAndPrints() {
        MacAddress m = MacAddress.parse("02:00:5e:10:00:ff");
        assertEquals("02:00:5e:10:00:ff", m.toString());
        assertTrue(m.isUnicast());
        assertTrue(MacAddress.parse("01:00:5e:00:00:01").isMulticast());
        assertTrue(MacAddress.BROADCAST.isBroadcast());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MacAddress.parse("02:00:00"));
        assertEquals("not a MAC address: '02:00:00' (expected xx:xx:xx:xx:xx:xx)", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MacAddress.parse("zz:00:00:00:00:00"));
    }

    @Test
    void ipv4AddressesParseStrictly() {
        assertEquals(0xC0A80001, Net.parseIpv4("192.168.0.1"));
        assertEquals("192.168.0.1", Net.ipv4ToString(0xC0A80001));
        for (String bad : new String[] {"1.2.3", "1.2.3.256", "a.b.c.d", "1..2.3", ""}) {
            assertThrows(IllegalArgumentException.class, () -> Net.parseIpv4(bad), bad);
        }
    }

    @Test
    void vlanTciPacksPriorityDeiAndVid() {
        int tci = VlanFlyweight.tci(6, 1, 4000);
        byte[] b = new byte[4];
        VlanFlyweight v = new VlanFlyweight().wrap(MemorySegment.ofArray(b), 0).tci(tci).innerType(0x0800);
        assertEquals(6, v.pcp());
        assertEquals(1, v.dei());
        assertEquals(4000, v.vid());
        assertThrows(IllegalArgumentException.class, () -> VlanFlyweight.tci(8, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> VlanFlyweight.tci(0, 0, 4096));
    }

    @Test
    void vxlanHeaderCarriesTheIFlagAndVni() {
        byte[] b = new byte[8];
        VxlanFlyweight v = new VxlanFlyweight().wrap(MemorySegment.ofArray(b), 0).vni(0xABCDEF);
        assertArrayEquals(new byte[] {0x08, 0, 0, 0, (byte) 0xAB, (byte) 0xCD, (byte) 0xEF, 0}, b);
        assertTrue(v.vniValid());
        assertEquals(0xABCDEF, v.vni());
        assertThrows(IllegalArgumentException.class, () -> v.vni(1 << 24));
    }

    @Test
    void builtFramesCarryValidChecksums() {
        byte[] f = PacketBuilder.ethernet(2, 1).ipv4("10.0.0.1", "10.0.0.2").udp(1, 2).payload(new byte[] {1, 2, 3})
                .build();
        MemorySegment s = MemorySegment.ofArray(f);
        assertTrue(new Ipv4Flyweight().wrap(s, 14).checksumOk());
        long pseudo = Checksum.ipv4PseudoHeader(s, 14, Net.IPPROTO_UDP, 11);
        assertEquals(0xFFFF, Checksum.fold(Checksum.sum(s, 34, 11, pseudo)));
    }
}
