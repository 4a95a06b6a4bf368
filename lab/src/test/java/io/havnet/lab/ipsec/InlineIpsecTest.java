package io.havnet.lab.ipsec;

import io.havnet.dataplane.crypto.CryptoBackend;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.HugePagePolicy;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.pmd.RingEthDev;
import io.havnet.hypervisor.Host;
import io.havnet.hypervisor.IoPath;
import io.havnet.hypervisor.VmSpec;
import io.havnet.nfv.NfHarness;
import io.havnet.nfv.ipsec.Aead;
import io.havnet.nfv.ipsec.EspDecap;
import io.havnet.nfv.ipsec.EspEncap;
import io.havnet.nfv.ipsec.GatewayConfig;
import io.havnet.nfv.ipsec.Sad;
import io.havnet.nfv.ipsec.SaConfig;
import io.havnet.nfv.ipsec.TunnelFactory;
import io.havnet.nic.driver.VfEthDev;
import io.havnet.nic.engine.NicCounters;
import org.junit.jupiter.api.Test;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Inline IPsec: a VM on a trusted VF asks the PF (mailbox IPSEC_ADD) for SAs in the NIC; its ESP
 * gateway then sends frames with ESP framing but no crypto, flagged {@code TX_SEC_OFFLOAD}, and
 * the NIC encrypts them; arriving ESP is decrypted by the NIC before the guest sees it. What
 * leaves the wire is checked by an independent software decryption.
 */
class InlineIpsecTest {
    static final long FAR_MAC = 0x02FA00000001L;
    static final long GW_MAC = 0x020000000A01L;
    static final TunnelFactory.Pair PAIR = TunnelFactory.create(0xCB007101, 0xCB007102, new int[] {0x0A010000, 16},
            new int[] {0x0A020000, 16}, Aead.AES_128_GCM, 64, new SecureRandom());

    static byte[] plain(int i) {
        return PacketBuilder.ethernet(GW_MAC, FAR_MAC).ipv4("10.1.0.5", "10.2.0.7").udp(40000 + i, 33333)
                .payload(new byte[i * 13 % 700]).build();
    }

    /** A host whose one VM runs {@code app} on a VF with the given trust. */
    static final class Lab implements AutoCloseable {
        final RingEthDev[] wire = RingEthDev.pair("ipsec-wire", "ipsec-far", 1, 4096);
        final Host host = Host.builder(wire[0]).memory(512L << 20).vfs(2).build();
        final MemoryRegion ram = MemoryRegion.allocate("far", 16L << 20, HugePagePolicy.NEVER);
        final Mempool pool = MbufPool.builder("far", ram).count(2047).build();

        void vm(String name, boolean trusted, io.havnet.hypervisor.GuestApp app) {
            host.createVm(VmSpec.of(name, IoPath.SRIOV, app).withMac(new MacAddress(GW_MAC + host.vms().size()))
                    .withVfAdmin(true, trusted, 0));
        }

        List<byte[]> exchange(List<byte[]> frames) {
            for (byte[] f : frames) {
                int m = Mbuf.fromBytes(pool, f);
                assertEquals(1, wire[1].txBurst(0, new int[] {m}, 0, 1));
            }
            host.runUntilIdle(50, 1_000_000);
            List<byte[]> out = new ArrayList<>();
            int[] b = new int[64];
            int n;
            while ((n = wire[1].rxBurst(0, b, 0, b.length)) > 0) {
                for (int i = 0; i < n; i++) {
                    out.add(Mbuf.toBytes(b[i]));
                    Mbuf.free(b[i]);
                }
            }
            return out;
        }

        long nic(boolean rx, int counter) {
            return (rx ? host.nic().counters().rx() : host.nic().counters().tx()).get(counter);
        }

        @Override
        public void close() {
            host.close();
            wire[0].close();
            wire[1].close();
            assertEquals(0, pool.inUse());
            pool.close();
            ram.close();
        }
    }

    @Test
    void theNicEncryptsWhatTheGuestFramesAndAnotherStackDecryptsIt() {
        AtomicReference<EspEncap> gw = new AtomicReference<>();
        SaConfig out = PAIR.left().sas().getFirst();
        try (Lab lab = new Lab(); Sad guestSad = new Sad(PAIR.left().sas(), CryptoBackend.JDK)) {
            lab.vm("gw", true, ctx -> {
                VfEthDev vf = (VfEthDev) ctx.vnic();
                int index = vf.addInlineSa(false, out.spi(), 0, out.key(), out.salt());
                EspEncap e = new EspEncap(vf, vf, 32, PAIR.left(), guestSad, Map.of(out.spi(), index)).nextHop(GW_MAC, FAR_MAC);
                gw.set(e);
                return e;
            });
            List<byte[]> sent = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                sent.add(plain(i));
            }
            List<byte[]> esp = lab.exchange(sent);
            assertEquals(40, esp.size());
            assertEquals(40, gw.get().counters().get(gw.get().counter("offloaded")), "the guest did no crypto");
            assertEquals(40, lab.nic(false, NicCounters.TX_IPSEC), "the NIC did");
            // an independent software ESP stack (the right gateway) authenticates and decrypts every frame
            try (Sad right = new Sad(PAIR.right().sas(), CryptoBackend.JDK);
                 NfHarness h = new NfHarness((rx, tx) -> new EspDecap(rx, tx, 32, PAIR.right(), right))) {
                for (int i = 0; i < 40; i++) {
                    byte[] back = h.one(esp.get(i));
                    assertNotNull(back, "frame " + i + ": " + h.f.counters().snapshot());
                    assertArrayEquals(java.util.Arrays.copyOfRange(sent.get(i), 12, sent.get(i).length),
                            java.util.Arrays.copyOfRange(back, 12, back.length), "frame " + i + " (MACs aside)");
                }
            }
        }
    }

    @Test
    void theNicDecryptsArrivingEspAndFlagsForgeries() {
        SaConfig in = PAIR.right().sas().getFirst(); // right -> left traffic arrives at the left gateway
        GatewayConfig leftIn = PAIR.left();
        AtomicReference<EspDecap> gw = new AtomicReference<>();
        List<byte[]> esp = new ArrayList<>();
        try (Sad right = new Sad(PAIR.right().sas(), CryptoBackend.JDK);
             NfHarness h = new NfHarness((rx, tx) -> new EspEncap(rx, tx, 32, PAIR.right(), right))) {
            for (int i = 0; i < 31; i++) {
                byte[] p = PacketBuilder.ethernet(GW_MAC, FAR_MAC).ipv4("10.2.0.7", "10.1.0.5").udp(33333, 40000 + i)
                        .payload(new byte[i * 17 % 600]).build();
                esp.add(h.one(p));
            }
        }
        try (Lab lab = new Lab(); Sad guestSad = new Sad(PAIR.left().sas(), CryptoBackend.JDK)) {
            lab.vm("gw", true, ctx -> {
                VfEthDev vf = (VfEthDev) ctx.vnic();
                vf.addInlineSa(true, in.spi(), in.tunnelDst(), in.key(), in.salt());
                EspDecap d = new EspDecap(vf, vf, 32, leftIn, guestSad).nextHop(GW_MAC, FAR_MAC);
                gw.set(d);
                return d;
            });
            List<byte[]> frames = new ArrayList<>(esp.subList(0, 30));
            byte[] forged = esp.get(30).clone(); // sequence 31, never seen: only the ICV gives it away
            forged[forged.length - 1] ^= 1;
            frames.add(forged);
            List<byte[]> plain = lab.exchange(frames);
            EspDecap d = gw.get();
            assertEquals(30, plain.size());
            assertEquals(30, d.counters().get(d.counter("inline")), "the guest found every frame decrypted by the NIC");
            assertEquals(30, lab.nic(true, NicCounters.RX_IPSEC));
            assertEquals(1, lab.nic(true, NicCounters.RX_IPSEC_AUTH_FAILED));
            assertEquals(1, d.counters().get(d.counter("auth_failed")), "the forgery is flagged and dropped");
            for (int i = 0; i < plain.size(); i++) {
                assertEquals(0x0A010005, java.nio.ByteBuffer.wrap(plain.get(i)).getInt(30), "inner destination, frame " + i);
            }
        }
    }

    @Test
    void onlyATrustedVfGetsSasAndOnlyItsOwnApply() {
        SaConfig out = PAIR.left().sas().getFirst();
        try (Lab lab = new Lab()) {
            AtomicReference<String> refusal = new AtomicReference<>();
            AtomicReference<Integer> stolen = new AtomicReference<>();
            lab.vm("owner", true, ctx -> {
                stolen.set(((VfEthDev) ctx.vnic()).addInlineSa(false, out.spi(), 0, out.key(), out.salt()));
                return () -> 0;
            });
            AtomicReference<VfEthDev> thief = new AtomicReference<>();
            lab.vm("untrusted", false, ctx -> {
                VfEthDev vf = (VfEthDev) ctx.vnic();
                try {
                    vf.addInlineSa(false, 0x4242, 0, new byte[16], new byte[4]);
                } catch (IllegalStateException e) {
                    refusal.set(e.getMessage());
                }
                thief.set(vf);
                return () -> 0;
            });
            assertTrue(refusal.get().contains("the VF is not trusted"), refusal.get());
            assertEquals(1, lab.host.pf().ipsecRefused(1));
            // the untrusted VF names the owner's SA index on a frame: the NIC refuses to use it
            byte[] f = plain(1);
            int m = Mbuf.fromBytes(lab.host.vm("untrusted").pool(), f);
            Mbuf.setSaIndex(m, stolen.get());
            Mbuf.setTxOffload(m, 14, 20, 0);
            Mbuf.addOlFlags(m, io.havnet.dataplane.mbuf.OlFlags.TX_SEC_OFFLOAD);
            assertEquals(1, thief.get().txBurst(0, new int[] {m}, 0, 1));
            lab.host.runUntilIdle(50, 100_000);
            assertEquals(1, lab.nic(false, NicCounters.TX_DROP_IPSEC));
            assertEquals(0, lab.nic(false, NicCounters.TX_IPSEC));
            // a VF reset forgets the VF's SAs
            assertEquals(1, lab.host.nic().ipsec().count(lab.host.nic().vfPool(0)));
            lab.host.destroyVm("owner");
            assertEquals(0, lab.host.nic().ipsec().count(lab.host.nic().vfPool(0)));
        }
    }
}
