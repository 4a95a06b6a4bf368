package io.havnet.bench;

import io.havnet.dataplane.crypto.CryptoBackend;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mbuf.MbufPool;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.pmd.RingEthDev;
import io.havnet.hypervisor.Host;
import io.havnet.hypervisor.IoPath;
import io.havnet.hypervisor.VmSpec;
import io.havnet.hypervisor.accounting.Component;
import io.havnet.nfv.NfAgent;
import io.havnet.nfv.ipsec.Aead;
import io.havnet.nfv.ipsec.EspDecap;
import io.havnet.nfv.ipsec.EspEncap;
import io.havnet.nfv.ipsec.SaConfig;
import io.havnet.nfv.ipsec.Sad;
import io.havnet.nfv.ipsec.TunnelFactory;
import io.havnet.nic.driver.VfEthDev;
import io.havnet.nic.engine.NicCounters;

import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code havnet bench ipsec-inline}: where ESP's crypto runs. A VM on a trusted VF is an IPsec
 * gateway (ESP tunnel, AES-128-GCM): plain frames come in from the wire, ESP goes back out.
 * {@code software}: the guest encrypts. {@code inline}: the guest only frames the ESP packet and the
 * NIC encrypts (82599-style inline IPsec, SA installed through the PF mailbox). The far end of the
 * wire decrypts and sends the plain frame back (closed loop). Per frame: CPU ns of the guest and
 * of the NIC — the crypto moves from one to the other.
 */
public final class InlineIpsecBench {
    static final long FAR = 0x02FA00000001L;
    static final long GW = 0x020000000A01L;
    private final double seconds;
    private final int inFlight;

    public InlineIpsecBench(double seconds, int inFlight) {
        this.seconds = seconds;
        this.inFlight = inFlight;
    }

    public Map<String, Object> run(boolean inline, int frameSize) {
        TunnelFactory.Pair pair = TunnelFactory.create(0xCB007101, 0xCB007102, new int[] {0x0A010000, 16},
                new int[] {0x0A020000, 16}, Aead.AES_128_GCM, 1024, new SecureRandom());
        SaConfig out = pair.left().sas().getFirst();
        RingEthDev[] wire = RingEthDev.pair("wire", "far", 1, 8192);
        Host host = Host.builder(wire[0]).memory(768L << 20).vfs(1).build();
        try (Sad guestSad = new Sad(pair.left().sas(), CryptoBackend.JDK);
             Sad farSad = new Sad(pair.right().sas(), CryptoBackend.JDK)) {
            AtomicReference<EspEncap> gw = new AtomicReference<>();
            host.createVm(VmSpec.of("gw", IoPath.SRIOV, ctx -> {
                VfEthDev vf = (VfEthDev) ctx.vnic();
                Map<Integer, Integer> idx = inline
                        ? Map.of(out.spi(), vf.addInlineSa(false, out.spi(), 0, out.key(), out.salt())) : null;
                EspEncap e = new EspEncap(vf, vf, 32, pair.left(), guestSad, idx).nextHop(GW, FAR);
                ctx.component().addDrops("gw-esp", e.counters(), e.dropCounters());
                gw.set(e);
                return e;
            }).withMac(new MacAddress(GW)).withVfAdmin(true, true, 0).withRing(1024, 4095).withMemory(64L << 20));
            NfAgent far = new EspDecap(wire[1], wire[1], 32, pair.right(), farSad).nextHop(FAR, GW);
            Component farComp = new Component("far end", Component.Kind.NIC);
            host.addWireAgent(far, farComp);
            MemoryRegion ram = host.platform().memory().allocateRegion("far", 32L << 20);
            Mempool pool = MbufPool.builder("far", ram).count(8191).build();
            byte[] f = PacketBuilder.ethernet(GW, FAR).ipv4("10.1.0.5", "10.2.0.7").udp(40000, 33333).padTo(frameSize - 4).build();
            for (int i = 0; i < inFlight; i++) {
                if (!wire[1].txRing(0).enqueue(Mbuf.fromBytes(pool, f))) {
                    throw new IllegalStateException("cannot prime the wire");
                }
            }
            host.start(Host.Placement.twoCores());
            Measure.sleep(Math.min(2.0, seconds / 2));
            List<Component.Snapshot> s0 = host.accounting();
            long f0 = far.counters().get(NfAgent.TX);
            long far0 = farComp.cpuNanos();
            long t0 = System.nanoTime();
            Measure.sleep(seconds);
            long ns = System.nanoTime() - t0;
            List<Component.Snapshot> s1 = host.accounting();
            long frames = far.counters().get(NfAgent.TX) - f0;
            long farNs = farComp.cpuNanos() - far0;
            host.stop();
            double per = Math.max(1, frames);
            Component.Snapshot nic = s1.get(0).minus(s0.get(0));
            Component.Snapshot guest = s1.get(2).minus(s0.get(2));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("mode", inline ? "inline" : "software");
            m.put("frame_size", frameSize);
            m.put("mpps", Measure.r3(frames * 1000.0 / ns));
            m.put("guest_ns_per_pkt", Measure.r3(guest.cpuNanos() / per));
            m.put("nic_ns_per_pkt", Measure.r3(nic.cpuNanos() / per));
            m.put("far_end_ns_per_pkt", Measure.r3(farNs / per));
            m.put("nic_encrypted", host.nic().counters().tx().get(NicCounters.TX_IPSEC));
            m.put("guest_offloaded", gw.get().counters().get(gw.get().counter("offloaded")));
            m.put("drops", gw.get().dropped() + far.dropped());
            pool.close();
            return m;
        } finally {
            host.stop();
            host.close();
            wire[0].close();
            wire[1].close();
        }
    }
}
