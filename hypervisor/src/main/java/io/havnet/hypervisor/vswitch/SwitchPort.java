package io.havnet.hypervisor.vswitch;

import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.hypervisor.virtio.VirtioNetBackend;

import java.util.BitSet;

/**
 * A vSwitch port: the uplink (a NIC queue pair) or a VM's virtio-net device, in access mode
 * (one VLAN, untagged on the port) or trunk mode (tagged, a set of VLANs; untagged = VLAN 0).
 */
public final class SwitchPort {
    final int index;
    final String name;
    final EthDev uplink;             // or null
    final VirtioNetBackend virtio;   // or null
    final int accessVid;             // -1: trunk
    final BitSet trunkVids;          // null: every VLAN
    final int[] out = new int[64];
    /** The only source MAC this VM port may send from, or -1 (no port security). */
    volatile long securedMac = -1;
    int outCount;
    volatile boolean removed;
    /** The backend's copied bytes and frames as the switch last counted them (its thread only). */
    long copiedBytesSeen;
    long copiesSeen;

    SwitchPort(int index, String name, EthDev uplink, VirtioNetBackend virtio, int accessVid, BitSet trunkVids) {
        this.index = index;
        this.name = name;
        this.uplink = uplink;
        this.virtio = virtio;
        this.accessVid = accessVid;
        this.trunkVids = trunkVids;
        if (virtio != null) {
            copiedBytesSeen = virtio.rxCopiedBytes() + virtio.txCopiedBytes();
            copiesSeen = virtio.rxFrames() + virtio.txFrames();
        }
    }

    public int index() {
        return index;
    }

    public String name() {
        return name;
    }

    /** True when frames of {@code vid} may leave or enter through this port. */
    boolean carries(int vid) {
        if (accessVid >= 0) {
            return vid == accessVid;
        }
        return vid == 0 || trunkVids == null || trunkVids.get(vid);
    }

    boolean trunk() {
        return accessVid < 0;
    }

    int receive(int[] buf, int n, Mempool pool) {
        if (uplink != null) {
            return uplink.rxBurst(0, buf, 0, n);
        }
        return virtio.fromGuest(buf, 0, n, pool);
    }

    /** Sends the batch; returns frames not delivered (already freed and to be counted by the caller). */
    int flush() {
        int n = outCount;
        outCount = 0;
        if (n == 0) {
            return 0;
        }
        if (uplink != null) {
            int sent = uplink.txBurst(0, out, 0, n);
            if (sent < n) {
                Mbuf.freeBulk(out, sent, n - sent);
            }
            return n - sent;
        }
        virtio.toGuest(out, 0, n); // counts and frees what finds no buffer
        return 0;
    }
}
