package io.havnet.dataplane.pmd;

import io.havnet.dataplane.ethdev.DevInfo;
import io.havnet.dataplane.ethdev.EthConf;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.ethdev.LinkStatus;
import io.havnet.dataplane.ethdev.Offloads;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.os.Libc;
import io.havnet.dataplane.os.Posix;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A Linux TAP interface as a port (DPDK's {@code net_tap}): {@code /dev/net/tun} with
 * IFF_TAP|IFF_NO_PI, one file descriptor per queue pair (IFF_MULTI_QUEUE when more than one).
 * What havnet sends on it, the Linux stack receives on the interface; what Linux sends out of the
 * interface, havnet receives — so a network namespace holding the interface is a guest operating
 * system. Reads and writes go straight between the file and the mbuf's memory.
 */
public final class TapEthDev extends EthDev {
    static final long TUNSETIFF = 0x400454caL;
    static final long SIOCGIFFLAGS = 0x8913;
    static final long SIOCSIFFLAGS = 0x8914;
    static final long SIOCSIFHWADDR = 0x8924;
    static final int IFF_UP = 0x1;
    static final int IFF_TAP = 0x0002;
    static final int IFF_NO_PI = 0x1000;
    static final int IFF_MULTI_QUEUE = 0x0100;

    private final String ifname;
    private final Posix ctl = new Posix();
    private Queue[] queues = new Queue[0];
    private volatile String downReason;

    private static final class Queue {
        final Posix rx = new Posix();
        final Posix tx = new Posix();
        final MemorySegment rxBuf = java.lang.foreign.Arena.ofAuto().allocate(65536, 64);
        final MemorySegment txBuf = java.lang.foreign.Arena.ofAuto().allocate(65536, 64);
        int fd = -1;
    }

    private TapEthDev(String name, String ifname, MacAddress mac) {
        super(name, new DevInfo("net_tap", 8, 8, Offloads.RX_SCATTER, Offloads.TX_MULTI_SEGS, 9000, 1, 8192), mac);
        this.ifname = ifname;
    }

    /** A TAP port named {@code ifname}; the interface appears when the port is configured. */
    public static TapEthDev create(String name, String ifname, MacAddress mac) {
        Posix.checkIfName("tap", ifname);
        if (!Posix.supported()) {
            throw new IllegalStateException("tap:" + ifname + ": TAP needs Linux");
        }
        return new TapEthDev(name, ifname, mac);
    }

    public String interfaceName() {
        return ifname;
    }

    private String fail(String what, Posix p) {
        int e = p.errno();
        String why = e == Libc.EPERM || e == Libc.EACCES ? "operation not permitted (needs CAP_NET_ADMIN)"
                : e == Libc.ENOENT ? "no /dev/net/tun (TUN/TAP support missing)"
                : e == Libc.EBUSY ? "the interface exists and is in use" : p.error();
        return "tap:" + ifname + ": " + what + ": " + why;
    }

    @Override
    protected void doConfigure(int nbRx, int nbTx, EthConf c) {
        if (nbRx != nbTx) {
            throw new IllegalArgumentException(name() + ": a TAP port has queue pairs (RX = TX), got " + nbRx + "/" + nbTx);
        }
        closeQueues();
        queues = new Queue[nbRx];
        for (int q = 0; q < nbRx; q++) {
            Queue x = new Queue();
            x.fd = ctl.open("/dev/net/tun", Posix.O_RDWR | Posix.O_NONBLOCK | Posix.O_CLOEXEC);
            if (x.fd < 0) {
                closeQueues();
                throw problem(fail("open /dev/net/tun", ctl));
            }
            MemorySegment ifr = ctl.scratch();
            ifr.fill((byte) 0);
            ifr.setString(0, ifname);
            ifr.set(ValueLayout.JAVA_SHORT, 16, (short) (IFF_TAP | IFF_NO_PI | (nbRx > 1 ? IFF_MULTI_QUEUE : 0)));
            queues[q] = x;
            if (ctl.ioctl(x.fd, TUNSETIFF, ifr.address()) != 0) {
                String msg = fail("TUNSETIFF", ctl);
                closeQueues();
                throw problem(msg);
            }
        }
        setHwAddr(macAddress());
    }

    private void setHwAddr(MacAddress mac) {
        int s = ctl.socket(Posix.AF_INET, Posix.SOCK_DGRAM | Posix.SOCK_CLOEXEC, 0);
        if (s < 0) {
            throw problem(fail("socket", ctl));
        }
        try {
            MemorySegment ifr = ctl.scratch();
            ifr.fill((byte) 0);
            ifr.setString(0, ifname);
            ifr.set(ValueLayout.JAVA_SHORT, 16, (short) 1); // ARPHRD_ETHER
            long v = mac.value();
            for (int i = 0; i < 6; i++) {
                ifr.set(ValueLayout.JAVA_BYTE, 18 + i, (byte) (v >>> (40 - 8 * i)));
            }
            if (ctl.ioctl(s, SIOCSIFHWADDR, ifr.address()) != 0) {
                throw problem(fail("set MAC " + mac, ctl));
            }
        } finally {
            ctl.close(s);
        }
    }

    /** Sets the interface up or down (SIOCSIFFLAGS), as {@code ip link set T up|down}. */
    public void setAdminUp(boolean up) {
        int s = ctl.socket(Posix.AF_INET, Posix.SOCK_DGRAM | Posix.SOCK_CLOEXEC, 0);
        if (s < 0) {
            throw problem(fail("socket", ctl));
        }
        try {
            MemorySegment ifr = ctl.scratch();
            ifr.fill((byte) 0);
            ifr.setString(0, ifname);
            if (ctl.ioctl(s, SIOCGIFFLAGS, ifr.address()) != 0) {
                throw problem(fail("SIOCGIFFLAGS", ctl));
            }
            short flags = ifr.get(ValueLayout.JAVA_SHORT, 16);
            ifr.set(ValueLayout.JAVA_SHORT, 16, (short) (up ? flags | IFF_UP : flags & ~IFF_UP));
            if (ctl.ioctl(s, SIOCSIFFLAGS, ifr.address()) != 0) {
                throw problem(fail("SIOCSIFFLAGS", ctl));
            }
        } finally {
            ctl.close(s);
        }
    }

    @Override
    protected void doRxQueueSetup(int q, int nbDesc, Mempool pool) {
        if (pool == null) {
            throw new IllegalArgumentException(name() + ": RX queue " + q + " needs a mempool");
        }
    }

    /**
     * A failure the user fixes in their setup (privileges, a missing interface) is an
     * IllegalArgumentException — one line, exit 2 at the command line; anything else IllegalStateException.
     */
    private static RuntimeException problem(String message) {
        return message.contains("operation not permitted") || message.contains("no such interface")
                || message.contains("no /dev/net/tun") ? new IllegalArgumentException(message) : new IllegalStateException(message);
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
        if (!isStarted() || downReason != null) {
            return 0;
        }
        Queue x = queues[q];
        Mempool pool = rxPool(q);
        int k = 0;
        long bytes = 0;
        while (k < n) {
            // one read is one frame; read into a buffer that holds any frame, so none is cut short
            long r = x.rx.read(x.fd, x.rxBuf.address(), x.rxBuf.byteSize());
            if (r <= 0) {
                if (r < 0 && x.rx.errno() != Libc.EAGAIN) {
                    int e = x.rx.errno();
                    if (e == Libc.EBADF || e == Libc.EIO || e == Libc.ENXIO) {
                        downReason = "tap:" + ifname + ": " + Libc.describe(e);
                    }
                    rxCounters(q).add(RXQ_ERRORS, 1);
                }
                break;
            }
            int m = Mbuf.fromBytes(pool, x.rxBuf, 0, (int) r);
            if (m == Mbuf.NONE) {
                rxCounters(q).add(RXQ_NOMBUF, 1);
                continue;
            }
            Mbuf.setPort(m, portId());
            pkts[off + k++] = m;
            bytes += r;
        }
        if (k > 0) {
            rxCounters(q).add(RXQ_PACKETS, k);
            rxCounters(q).add(RXQ_BYTES, bytes);
        }
        return k;
    }

    @Override
    public int txBurst(int q, int[] pkts, int off, int n) {
        if (!isStarted() || downReason != null) {
            return 0;
        }
        Queue x = queues[q];
        int k = 0;
        long bytes = 0;
        for (; k < n; k++) {
            int m = pkts[off + k];
            int len = Mbuf.pktLen(m);
            long w;
            if (Mbuf.nbSegs(m) == 1) {
                w = x.tx.write(x.fd, Mbuf.segment(m).address() + Mbuf.dataOffset(m), len);
            } else if (len <= x.txBuf.byteSize()) {
                long at = 0; // a chain: one write must carry the whole frame
                for (int sgm = m; sgm != Mbuf.NONE; sgm = Mbuf.next(sgm)) {
                    MemorySegment.copy(Mbuf.segment(sgm), Mbuf.dataOffset(sgm), x.txBuf, at, Mbuf.dataLen(sgm));
                    at += Mbuf.dataLen(sgm);
                }
                w = x.tx.write(x.fd, x.txBuf.address(), len);
            } else {
                w = -2;
            }
            if (w == -1 && (x.tx.errno() == Libc.EAGAIN || x.tx.errno() == Libc.ENOBUFS)) {
                break; // the kernel's queue is full: the caller keeps the rest
            }
            if (w != len) {
                txCounters(q).add(TXQ_ERRORS, 1);
                if (w == -1 && (x.tx.errno() == Libc.EIO || x.tx.errno() == Libc.EBADF)) {
                    downReason = "tap:" + ifname + ": " + Libc.describe(x.tx.errno());
                }
            } else {
                bytes += len;
                txCounters(q).add(TXQ_PACKETS, 1);
            }
            Mbuf.free(m);
        }
        txCounters(q).add(TXQ_BYTES, bytes);
        return k;
    }

    @Override
    protected void doClose() {
        closeQueues();
    }

    private void closeQueues() {
        for (Queue x : queues) {
            if (x != null && x.fd >= 0) {
                ctl.close(x.fd);
                x.fd = -1;
            }
        }
    }

    @Override
    public String toString() {
        return "tap:" + ifname;
    }
}
