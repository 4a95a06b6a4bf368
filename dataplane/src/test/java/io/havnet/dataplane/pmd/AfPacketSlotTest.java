package io.havnet.dataplane.pmd;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The af_packet receive ring's frame slots hold the interface's largest frame (no root needed). */
class AfPacketSlotTest {
    @Test
    void aSlotHoldsTheLargestFrameOfTheInterfacesMtuWithItsHeaders() {
        assertEquals(2048, AfPacketEthDev.rxFrameSize(1500), "a standard interface: 8,192 slots of 2 KiB");
        assertEquals(2048, AfPacketEthDev.rxFrameSize(576), "never smaller than 2 KiB");
        for (int mtu : new int[] {1500, 1501, 1930, 1931, 4000, 9000, 9216, 65535}) {
            int slot = AfPacketEthDev.rxFrameSize(mtu);
            assertEquals(1, Integer.bitCount(slot), "a power of two, so slots tile the ring's blocks: " + slot);
            // tpacket2_hdr + sockaddr_ll, aligned (the kernel puts the frame at offset 66), then
            // the frame: MTU + Ethernet header + a VLAN tag the kernel may leave in
            assertTrue(slot >= 66 + mtu + 14 + 4, "MTU " + mtu + ": slot " + slot);
            int slots = AfPacketEthDev.rxFrames(slot);
            assertTrue(slots >= 512, "MTU " + mtu + ": " + slots + " slots");
            assertEquals(0, (long) slot * slots % Math.max(slot, AfPacketEthDev.RX_BLOCK), "whole blocks");
        }
        assertEquals(16384, AfPacketEthDev.rxFrameSize(9000));
    }

    @Test
    void aTransmitSlotHoldsTheLargestFrameOfTheInterfacesMtu() {
        assertEquals(2048, AfPacketEthDev.txFrameSize(1500));
        for (int mtu : new int[] {1500, 2000, 9000, 65535}) {
            int slot = AfPacketEthDev.txFrameSize(mtu);
            assertEquals(1, Integer.bitCount(slot), "a power of two: " + slot);
            assertTrue(slot - AfPacketEthDev.TX_DATA >= mtu + 14 + 4, "MTU " + mtu + ": slot " + slot);
        }
    }
}
