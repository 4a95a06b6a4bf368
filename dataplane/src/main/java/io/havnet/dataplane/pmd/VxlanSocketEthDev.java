package io.havnet.dataplane.pmd;

import io.havnet.dataplane.ethdev.DevInfo;
import io.havnet.dataplane.ethdev.EthConf;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.ethdev.LinkStatus;
import io.havnet.dataplane.ethdev.Offloads;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.net.Net;
import io.havnet.dataplane.os.Libc;
import io.havnet.dataplane.os.Posix;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A VXLAN tunnel endpoint as a port (RFC 7348): Ethernet frames travel as the payload of UDP
 * datagrams between a local and a remote address, behind an 8-byte VXLAN header with the VNI.
 * Two havnet hosts join their wires this way, and a Linux {@code vxlan} interface is a peer like
 * any other. Received datagrams with a wrong header or another VNI are counted in
 * {@code ierrors}; the UDP socket's own buffer overflows show in the kernel's counters only.
 */
public final class VxlanSocketEthDev extends EthDev {
    private final int local;
    private final int localPort;
    private final int remote;
    private final int remotePort;
    private final int vni;
    private final Posix rxSys = new Posix();
    private final Posix txSys = new Posix();
    private final MemorySegment rxBuf = Arena.ofAuto().allocate(65536, 64);
    private final MemorySegment txBuf = Arena.ofAuto().allocate(65536, 64);
    private final MemorySegment peer = Arena.ofAuto().allocate(16, 8);
    private int fd = -1;
    private volatile String downReason;

    private VxlanSocketEthDev(String name, int local, int localPort, int remote, int remotePort, int vni, MacAddress mac) {
        super(name, new DevInfo("net_vxlan", 1, 1, Offloads.RX_SCATTER, Offloads.TX_MULTI_SEGS, 9000, 1, 8192), mac);
        this.local = local;
        this.localPort = localPort;
        this.remote = remote;
        this.remotePort = remotePort;
        this.vni = vni;
    }

    /** A tunnel from {@code local:localPort} to {@code remote:remotePort} carrying VNI {@code vni}. */
    public static VxlanSocketEthDev create(String name, int local, int localPort, int remote, int remotePort, int vni) {
        if (vni < 0 || vni > 0xFFFFFF) {
            throw new IllegalArgumentException("vxlan: VNI " + vni + " is out of range [0, 16777215]");
        }
        if (localPort < 1 || localPort > 65535 || remotePort < 1 || remotePort > 65535) {
            throw new IllegalArgumentException("vxlan: ports must be in [1, 65535]");
        }
        if (!Posix.supported()) {
            throw new IllegalStateException("vxlan: UDP sockets through FFM need Linux");
        }
        return new VxlanSocketEthDev(name, local, localPort, remote, remotePort, vni,
                MacAddress.local(0xE0000000L | vni & 0xFFFFFF));
    }

    private static void sockaddr(MemorySegment s, long at, int addr, int port) {
        s.asSlice(at, 16).fill((byte) 0);
        s.set(ValueLayout.JAVA_SHORT, at, (short) Posix.AF_INET);
        s.set(Net.BE16, at + 2, (short) port);
        s.set(Net.BE32, at + 4, addr);
    }

    private String where() {
        return "vxlan " + Net.ipv4ToString(local) + ":" + localPort + " -> " + Net.ipv4ToString(remote) + ":" + remotePort;
    }

    @Override
    protected void doConfigure(int nbRx, int nbTx, EthConf c) {
        if (nbRx != 1 || nbTx != 1) {
            throw new IllegalArgumentException(name() + ": a VXLAN port has one queue pair");
        }
        if (fd >= 0) {
            rxSys.close(fd);
        }
        fd = rxSys.socket(Posix.AF_INET, Posix.SOCK_DGRAM | Posix.SOCK_NONBLOCK | Posix.SOCK_CLOEXEC, 0);
        if (fd < 0) {
            throw new IllegalStateException(where() + ": socket: " + rxSys.error());
        }
        rxSys.setsockoptInt(fd, Posix.SOL_SOCKET, Posix.SO_RCVBUF, 8 << 20);
        rxSys.setsockoptInt(fd, Posix.SOL_SOCKET, Posix.SO_SNDBUF, 8 << 20);
        MemorySegment sa = rxSys.scratch();
        sockaddr(sa, 0, local, localPort);
        if (rxSys.bind(fd, sa.address(), 16) != 0) {
            String why = rxSys.error();
            rxSys.close(fd);
            fd = -1;
            throw new IllegalStateException(where() + ": bind " + Net.ipv4ToString(local) + ":" + localPort + ": " + why);
        }
        sockaddr(peer, 0, remote, remotePort);
    }

    @Override
    protected void doRxQueueSetup(int q, int nbDesc, Mempool pool) {
        if (pool == null) {
            throw new IllegalArgumentException(name() + ": RX queue needs a mempool");
        }
    }

    @Override
    public LinkStatus link() {
        String r = downReason;
        if (r != null) {
            return LinkStatus.down(r);
        }
        return isStarted() ? LinkStatus.up(10_000) : LinkStatus.down(null);
    }

    @Override
    public int rxBurst(int q, int[] pkts, int off, int n) {
        if (!isStarted() || fd < 0) {
            return 0;
        }
        Mempool pool = rxPool(0);
        int k = 0;
        long bytes = 0;
        while (k < n) {
            long r = rxSys.recvfrom(fd, rxBuf.address(), rxBuf.byteSize(), Posix.MSG_DONTWAIT, 0L, 0L);
            if (r < 0) {
                if (rxSys.errno() != Libc.EAGAIN) {
                    rxCounters(0).add(RXQ_ERRORS, 1);
                }
                break;
            }
            if (r < Net.VXLAN_HDR_LEN + Net.ETHER_HDR_LEN || (rxBuf.get(Net.BE32, 0) & 0x08000000) == 0
                    || rxBuf.get(Net.BE32, 4) >>> 8 != vni) {
                countPortError(1); // not VXLAN, or another VNI
                continue;
            }
            int m = Mbuf.fromBytes(pool, rxBuf, Net.VXLAN_HDR_LEN, (int) r - Net.VXLAN_HDR_LEN);
            if (m == Mbuf.NONE) {
                rxCounters(0).add(RXQ_NOMBUF, 1);
                continue;
            }
            Mbuf.setPort(m, portId());
            pkts[off + k++] = m;
            bytes += r - Net.VXLAN_HDR_LEN;
        }
        if (k > 0) {
            rxCounters(0).add(RXQ_PACKETS, k);
            rxCounters(0).add(RXQ_BYTES, bytes);
        }
        return k;
    }

    @Override
    public int txBurst(int q, int[] pkts, int off, int n) {
        if (!isStarted() || fd < 0) {
            return 0;
        }
        int k = 0;
        long bytes = 0;
        for (; k < n; k++) {
            int m = pkts[off + k];
            int len = Mbuf.pktLen(m);
            if (len + Net.VXLAN_HDR_LEN > txBuf.byteSize()) {
                txCounters(0).add(TXQ_ERRORS, 1);
                Mbuf.free(m);
                continue;
            }
            txBuf.set(Net.BE32, 0, 0x08000000);
            txBuf.set(Net.BE32, 4, vni << 8);
            long at = Net.VXLAN_HDR_LEN;
            for (int s = m; s != Mbuf.NONE; s = Mbuf.next(s)) {
                MemorySegment.copy(Mbuf.segment(s), Mbuf.dataOffset(s), txBuf, at, Mbuf.dataLen(s));
                at += Mbuf.dataLen(s);
            }
            long w = txSys.sendto(fd, txBuf.address(), at, Posix.MSG_DONTWAIT, peer.address(), 16);
            if (w < 0) {
                int e = txSys.errno();
                if (e == Libc.EAGAIN || e == Libc.ENOBUFS) {
                    break; // the socket buffer is full: the caller keeps the rest
                }
                txCounters(0).add(TXQ_ERRORS, 1); // no route, unreachable: counted, the frame is gone
            } else {
                bytes += len;
                txCounters(0).add(TXQ_PACKETS, 1);
            }
            Mbuf.free(m);
        }
        txCounters(0).add(TXQ_BYTES, bytes);
        return k;
    }

    @Override
    protected void doClose() {
        if (fd >= 0) {
            rxSys.close(fd);
            fd = -1;
        }
    }

    @Override
    public String toString() {
        return where() + " vni " + vni;
    }
}
