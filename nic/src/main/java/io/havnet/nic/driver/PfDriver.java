package io.havnet.nic.driver;

import io.havnet.dataplane.agent.Agent;
import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.nic.Nic;
import io.havnet.nic.l2.L2Filters;
import io.havnet.nic.mailbox.Mailbox;
import io.havnet.nic.mailbox.MailboxMessage;
import io.havnet.nic.regs.Registers;
import io.havnet.nic.sriov.LinkState;
import io.havnet.nic.sriov.VfInfo;
import io.havnet.nic.vmdq.Pool;
import io.havnet.nic.vmdq.PoolConfig;

import java.util.HashSet;
import java.util.Set;

/**
 * The host's PF driver (the part of Linux ixgbe havnet needs): brings the NIC up, hands out VMDq
 * pools to the hypervisor, administers VFs the way {@code ip link set DEV vf N ...} does, and
 * answers the VFs' mailbox requests with ixgbe's policy:
 * <ul>
 *   <li>nothing but RESET is accepted before a VF has reset (NACK, "clear to send" not set);</li>
 *   <li>an untrusted VF cannot replace a MAC the administrator set, nor add VLANs when the
 *       administrator gave it a port VLAN; a trusted VF may change its MAC;</li>
 *   <li>each VF may send at most {@value #MBX_BURST} requests at once and {@value #MBX_RATE} per
 *       second; beyond that it is NACKed unprocessed, and the service keeps answering the other VFs
 *       (one request per VF per round, round-robin).</li>
 *   <li>withdrawing a VF's trust withdraws its clear-to-send and pings it (PF_CONTROL_MSG without
 *       CTS, ixgbe's {@code ixgbe_ping_vf}): its driver must reset and ask again for what it had,
 *       and until it does every request but RESET is NACKed. Receiving goes on meanwhile (VFRE is
 *       the VF's reset's business, not the mailbox's).</li>
 * </ul>
 */
public final class PfDriver implements Nic.ResetListener {
    static final int MBX_BURST = 64;
    static final int MBX_RATE = 2000;

    private final Nic nic;
    private final L2Filters filters;
    private final boolean[] clearToSend;
    /** VFRE/VFTE: set when the VF's driver resets it (RESET), cleared by an FLR. */
    private final boolean[] vfEnabled;
    /** VFs (a bit each, at most 63) whose ping the mailbox could not take yet (a request or an unread reply in it). */
    private volatile long pingsPending;
    private final double[] mbxTokens;
    private final long[] mbxLast;
    private final long[] mbxRefused;
    private final long[] ipsecRefused;
    private final long[] mbxServed;
    private final boolean[] poolInUse;
    /** The mailbox API each VF negotiated (1.0 until it does, and again after a reset, as ixgbe keeps {@code vf_api}). */
    private final int[] vfApi;
    /** Each VF's receive mode (UPDATE_XCAST_MODE), multicast by its table after a reset. */
    private final int[] xcastMode;
    private final int[] words = new int[MailboxMessage.WORDS];

    public PfDriver(Nic nic) {
        this.nic = nic;
        this.filters = nic.filters();
        int vfs = nic.numVfs();
        this.clearToSend = new boolean[vfs];
        this.vfEnabled = new boolean[vfs];
        this.mbxTokens = new double[vfs];
        this.mbxLast = new long[vfs];
        this.mbxRefused = new long[vfs];
        this.ipsecRefused = new long[vfs];
        this.mbxServed = new long[vfs];
        this.poolInUse = new boolean[nic.numPools()];
        this.vfApi = new int[vfs];
        this.xcastMode = new int[vfs];
        java.util.Arrays.fill(vfApi, MailboxMessage.API_10);
        java.util.Arrays.fill(xcastMode, MailboxMessage.XCAST_MODE_MULTI);
        java.util.Arrays.fill(mbxTokens, MBX_BURST);
        java.util.Arrays.fill(mbxLast, Long.MIN_VALUE);
        nic.addResetListener(this);
        // the PF's own pool: the default for unmatched unicast, every VLAN, broadcast and multicast
        int pf = nic.pfPool();
        poolInUse[pf] = true;
        nic.pool(pf).setConfig(PoolConfig.defaults().withMac(nic.portMac(), true).withMaxFrame(PoolConfig.MAX_FRAME_LIMIT)
                .withSpoofCheck(false));
        filters.addMac(pf, nic.portMac());
        filters.setModes(pf, true, true, true, false, true);
        filters.setDefaultPool(pf);
        filters.setEnabled(pf, true);
        for (int vf = 0; vf < vfs; vf++) {
            poolInUse[vf] = true;
            long mac = MacAddress.local(0x5F_0000_0000L | (nic.portMac() & 0xFF_FFFF) << 8 | vf).value();
            nic.pool(vf).setConfig(PoolConfig.defaults().withMac(mac, false));
        }
    }

    public Nic nic() {
        return nic;
    }

    /** Unmatched unicast goes to the PF pool (on) or is dropped as no_pool (off). */
    public void setDefaultPool(boolean on) {
        filters.setDefaultPool(on ? nic.pfPool() : -1);
    }

    /** Adds a MAC to the PF pool's filters: a host behind the PF (a VM on the host's software switch). */
    public void addPfMac(long mac) {
        filters.addMac(nic.pfPool(), mac);
    }

    public void removePfMac(long mac) {
        if (mac != nic.portMac()) {
            filters.removeMac(nic.pfPool(), mac);
        }
    }

    // ------------------------------------------------------------------ VMDq pools

    /**
     * Gives a PF-owned pool to a VM: frames to {@code mac} (tagged {@code vid}, or untagged when
     * {@code vid} is -1) land in its queues, VLAN stripped.
     *
     * @return the pool index
     * @throws IllegalStateException when every pool is taken
     */
    public synchronized int allocateVmdqPool(long mac, int vid) {
        for (int p = nic.numVfs(); p < nic.numPools(); p++) {
            if (!poolInUse[p]) {
                poolInUse[p] = true;
                Pool pool = nic.pool(p);
                pool.setConfig(PoolConfig.defaults().withMac(mac, true).withVlanStrip(vid >= 0)
                        .withPortVlan(vid >= 0 ? vid : -1).withSpoofCheck(false));
                filters.addMac(p, mac);
                if (vid >= 0) {
                    filters.addVlan(p, vid);
                }
                filters.setModes(p, vid < 0, true, false, false, false);
                filters.setEnabled(p, true);
                return p;
            }
        }
        throw new IllegalStateException("all " + nic.numPools() + " VMDq pools are in use");
    }

    /**
     * Anti-spoofing for a VMDq pool (PFVFSPOOF covers every pool, not only VFs): frames whose
     * source MAC is not the pool's, or whose VLAN it has not joined, are dropped.
     */
    public synchronized void setPoolSpoofCheck(int pool, boolean on) {
        if (pool < nic.numVfs() || pool == nic.pfPool() || pool >= nic.numPools()) {
            throw new IllegalArgumentException("pool " + pool + " is not a VMDq pool");
        }
        Pool p = nic.pool(pool);
        p.setConfig(p.config().withSpoofCheck(on));
    }

    /**
     * The largest frame a VMDq pool takes and sends (LPE; what {@code ip link set DEV mtu} sets for
     * the VM behind it): {@code maxFrame} bytes with the Ethernet header and FCS, in [64, 9728].
     */
    public synchronized void setPoolMaxFrame(int pool, int maxFrame) {
        if (pool < nic.numVfs() || pool == nic.pfPool() || pool >= nic.numPools() || !poolInUse[pool]) {
            throw new IllegalArgumentException("pool " + pool + " is not an allocated VMDq pool");
        }
        Pool p = nic.pool(pool);
        if (!setLpe(p, p.config(), maxFrame)) {
            throw new IllegalArgumentException("max frame " + maxFrame + " outside [64, " + PoolConfig.MAX_FRAME_LIMIT + "]");
        }
    }

    /** Takes a pool back: filters removed, receiving stopped. */
    public synchronized void releaseVmdqPool(int p) {
        if (p < nic.numVfs() || p == nic.pfPool() || !poolInUse[p]) {
            throw new IllegalArgumentException("pool " + p + " is not an allocated VMDq pool");
        }
        filters.setEnabled(p, false);
        filters.clearMacs(p);
        filters.clearVlans(p);
        nic.pool(p).setConfig(PoolConfig.defaults());
        poolInUse[p] = false;
    }

    /** An EthDev over pool {@code p}'s queues, rings and buffers in {@code hostMemory}. */
    public PoolEthDev openPool(String name, int p, MemoryRegion hostMemory) {
        return new PoolEthDev(name, nic, p, hostMemory);
    }

    // ------------------------------------------------------------------ VF administration (ip link set DEV vf N ...)

    private Pool vfPool(int vf) {
        return nic.pool(nic.vfPool(vf));
    }

    /** {@code vf N mac M}: the administrator's MAC for the VF (the VF cannot replace it unless trusted). */
    public synchronized void setVfMac(int vf, MacAddress mac) {
        if (!mac.isUnicast() || mac.value() == 0) {
            throw new IllegalArgumentException("vf " + vf + " mac " + mac + ": must be a unicast address");
        }
        Pool p = vfPool(vf);
        filters.clearMacs(p.index());
        p.setConfig(p.config().withMac(mac.value(), true));
        if (vfEnabled[vf]) {
            filters.addMac(p.index(), mac.value());
        }
    }

    /**
     * {@code vf N vlan V qos Q}: a port VLAN — inserted on everything the VF sends, stripped from
     * what it receives, and the only VLAN it is in. {@code vid} 0 removes it.
     */
    public synchronized void setVfVlan(int vf, int vid, int qos) {
        if (vid < 0 || vid > 4094 || qos < 0 || qos > 7) {
            throw new IllegalArgumentException("vf " + vf + " vlan " + vid + " qos " + qos
                    + ": vlan must be in [0, 4094] and qos in [0, 7]");
        }
        Pool p = vfPool(vf);
        filters.clearVlans(p.index());
        PoolConfig c = p.config().withVlans(Set.of());
        if (vid == 0) {
            p.setConfig(c.withPortVlan(-1));
        } else {
            p.setConfig(c.withPortVlan(qos << 13 | vid));
            filters.addVlan(p.index(), vid);
        }
        applyModes(vf);
    }

    /** {@code vf N spoofchk on|off}. */
    public synchronized void setVfSpoofCheck(int vf, boolean on) {
        Pool p = vfPool(vf);
        p.setConfig(p.config().withSpoofCheck(on));
    }

    /**
     * {@code vf N trust on|off}. A VF no longer trusted loses all-multicast and promiscuous mode at
     * once (it keeps multicast by its table), and, as ixgbe does, its clear-to-send: the PF pings it
     * (PF_CONTROL_MSG without CTS) so that its driver resets and asks again for what it may have.
     */
    public synchronized void setVfTrust(int vf, boolean on) {
        Pool p = vfPool(vf);
        boolean was = p.config().trusted();
        p.setConfig(p.config().withTrust(on));
        if (!on && xcastMode[vf] > MailboxMessage.XCAST_MODE_MULTI) {
            xcastMode[vf] = MailboxMessage.XCAST_MODE_MULTI;
            applyModes(vf);
        }
        if (was && !on && clearToSend[vf]) {
            clearToSend[vf] = false;
            ping(vf);
        }
    }

    /**
     * Posts PF_CONTROL_MSG (with CTS when the VF has it) into VF {@code vf}'s mailbox, or keeps it
     * for the mailbox service to post once the mailbox is free: a request waiting for the PF is
     * answered first (the answer carries the same news in its CTS bit), a reply the VF has not read
     * yet is not overwritten.
     */
    private void ping(int vf) {
        if (nic.mailbox(vf).post(MailboxMessage.PF_CONTROL_MSG | (clearToSend[vf] ? MailboxMessage.CTS : 0))) {
            forgetPing(vf);
        } else {
            pingsPending |= 1L << vf;
        }
    }

    private void forgetPing(int vf) {
        pingsPending &= ~(1L << vf);
    }

    private synchronized void retryPings() {
        for (long rest = pingsPending; rest != 0; rest &= rest - 1) {
            ping(Long.numberOfTrailingZeros(rest));
        }
    }

    /** VF {@code vf}'s receive mode: {@link MailboxMessage#XCAST_MODE_NONE} .. {@link MailboxMessage#XCAST_MODE_PROMISC}. */
    public synchronized int xcastMode(int vf) {
        vfPool(vf);
        return xcastMode[vf];
    }

    /** {@code vf N max_tx_rate R} in Mbit/s (0 = no limit). */
    public synchronized void setVfMaxTxRate(int vf, long mbps) {
        if (mbps < 0 || mbps > 10_000) {
            throw new IllegalArgumentException("vf " + vf + " max_tx_rate " + mbps + ": must be in [0, 10000] Mbit/s");
        }
        Pool p = vfPool(vf);
        p.setConfig(p.config().withMaxTxRate(mbps));
    }

    /** {@code vf N state auto|enable|disable}. */
    public synchronized void setVfLinkState(int vf, LinkState s) {
        Pool p = vfPool(vf);
        p.setConfig(p.config().withLinkState(s));
        applyModes(vf);
        nic.updateVfLinks();
    }

    /**
     * The VF's pool accept modes (VMOLR) from its port VLAN and receive mode: broadcast always,
     * its multicast table from MULTI on, every multicast from ALLMULTI, every unicast and (without
     * a port VLAN, which keeps confining it) every VLAN in PROMISC.
     */
    private void applyModes(int vf) {
        Pool p = vfPool(vf);
        PoolConfig c = p.config();
        int mode = xcastMode[vf];
        boolean promisc = mode == MailboxMessage.XCAST_MODE_PROMISC;
        filters.setModes(p.index(), !c.hasPortVlan(), true, mode >= MailboxMessage.XCAST_MODE_ALLMULTI, promisc,
                promisc && !c.hasPortVlan());
        filters.setMulticastTableEnabled(p.index(), mode >= MailboxMessage.XCAST_MODE_MULTI);
        filters.setEnabled(p.index(), vfEnabled[vf] && c.linkState() != LinkState.DISABLE && !p.disabled());
    }

    /** What {@code ip -s link show} shows for VF {@code vf}. */
    public VfInfo vfInfo(int vf) {
        Pool p = vfPool(vf);
        PoolConfig c = p.config();
        boolean up = (nic.vfRegisters(vf).read(Registers.VFSTATUS) & Registers.VFSTATUS_LINKUP) != 0;
        return new VfInfo(vf, p.function().toString(), c.mac(), c.hasPortVlan() ? c.portVlanTci() & 0xFFF : 0,
                c.hasPortVlan() ? c.portVlanTci() >>> 13 : 0, c.spoofCheck(), c.trusted(), c.maxTxRateMbps(),
                c.linkState(), up, p.disabledReason(), p.counter(Pool.RX_PACKETS), p.counter(Pool.RX_BYTES),
                p.counter(Pool.RX_DROPPED), p.counter(Pool.RX_BROADCAST), p.counter(Pool.RX_MULTICAST),
                p.counter(Pool.TX_PACKETS), p.counter(Pool.TX_BYTES), p.counter(Pool.TX_DROPPED),
                p.counter(Pool.TX_SPOOFED), p.counter(Pool.MDD_EVENTS));
    }

    /** Resets VF {@code vf} (FLR) — its driver must recover. */
    public void resetVf(int vf) {
        nic.resetVf(vf);
    }

    /**
     * The VF is handed to a new owner (a VM the host assigns it to): its mailbox allowance starts
     * full. The rate limit is there against a flooding driver; a new VM does not inherit what the
     * previous one spent. Only the host calls this — a VF's own reset does not refill it.
     */
    public synchronized void newOwner(int vf) {
        mbxTokens[vf] = MBX_BURST;
        mbxLast[vf] = Long.MIN_VALUE;
    }

    /**
     * What a reset of either kind — the VF's RESET message or an FLR — makes the PF forget: a ping
     * still waiting (the reset tells the driver more), the negotiated API (1.0 again, as ixgbe keeps
     * {@code vf_api}), the receive mode (its multicast table), its inline IPsec SAs
     * ({@code ixgbe_ipsec_vf_clear}) and its MAC filters.
     */
    private void forgetVf(int vf, Pool p) {
        forgetPing(vf);
        vfApi[vf] = MailboxMessage.API_10;
        xcastMode[vf] = MailboxMessage.XCAST_MODE_MULTI;
        nic.ipsec().removeOwner(p.index());
        filters.clearMacs(p.index());
    }

    @Override
    public synchronized void onVfReset(int vf) {
        clearToSend[vf] = false;
        vfEnabled[vf] = false;
        Pool p = vfPool(vf);
        forgetVf(vf, p);
        filters.clearVlans(p.index());
        filters.setMulticastHashes(p.index(), new int[0]);
        PoolConfig c = p.config();
        p.setConfig(c.withVlans(Set.of()).withMaxFrame(PoolConfig.DEFAULT_MAX_FRAME));
        if (c.hasPortVlan()) {
            filters.addVlan(p.index(), c.portVlanTci() & 0xFFF);
        }
        applyModes(vf); // back to its multicast table; no receive until the VF's RESET (VFRE, as ixgbe)
        nic.updateVfLinks();
    }

    /** True once VF {@code vf} has sent RESET and may use the mailbox. */
    public synchronized boolean clearToSend(int vf) {
        return clearToSend[vf];
    }

    /** Mailbox requests of {@code vf} refused by the rate limit. */
    public long mailboxRefused(int vf) {
        return mbxRefused[vf];
    }

    /** Mailbox requests of {@code vf} processed. */
    public long mailboxServed(int vf) {
        return mbxServed[vf];
    }

    // ------------------------------------------------------------------ mailbox service

    /** The agent that answers VF mailbox requests (one per VF per round). */
    public Agent mailboxService() {
        return new Agent() {
            @Override
            public int doWork() {
                return serviceMailboxes();
            }

            @Override
            public String roleName() {
                return nic.name() + "-pf-mailbox";
            }
        };
    }

    /** Answers the pending request of every VF that has one; returns how many were answered. */
    public int serviceMailboxes() {
        long pending = nic.takeMailboxRequests();
        int n = 0;
        for (long rest = pending; rest != 0; rest &= rest - 1) {
            int vf = Long.numberOfTrailingZeros(rest);
            Mailbox mb = nic.mailbox(vf);
            if (mb.takeRequest(words)) {
                answer(vf);
                n++;
            }
        }
        if (pingsPending != 0) {
            retryPings();
        }
        return n;
    }

    private boolean takeToken(int vf) {
        long now = nic.clock().nanoTime();
        if (mbxLast[vf] != Long.MIN_VALUE) {
            mbxTokens[vf] = Math.min(MBX_BURST, mbxTokens[vf] + (now - mbxLast[vf]) * (MBX_RATE / 1e9));
        }
        mbxLast[vf] = now;
        if (mbxTokens[vf] < 1) {
            return false;
        }
        mbxTokens[vf] -= 1;
        return true;
    }

    private synchronized void answer(int vf) {
        int msg = words[0];
        int id = msg & MailboxMessage.ID_MASK;
        int[] reply = new int[MailboxMessage.WORDS];
        reply[0] = id;
        if (!takeToken(vf)) {
            mbxRefused[vf]++;
            reply[0] |= MailboxMessage.NACK | (clearToSend[vf] ? MailboxMessage.CTS : 0);
            send(vf, reply);
            return;
        }
        mbxServed[vf]++;
        Pool p = vfPool(vf);
        PoolConfig c = p.config();
        boolean ok;
        if (id == MailboxMessage.RESET) {
            ok = true;
            clearToSend[vf] = true;
            vfEnabled[vf] = true;
            forgetVf(vf, p);
            filters.addMac(p.index(), c.mac());
            applyModes(vf);
            nic.updateVfLinks();
            reply[1] = MailboxMessage.macWord1(c.mac());
            reply[2] = MailboxMessage.macWord2(c.mac());
            reply[3] = 0; // multicast filter type: bits 47:36
        } else if (!clearToSend[vf]) {
            ok = false;
        } else {
            ok = switch (id) {
                case MailboxMessage.SET_MAC_ADDR -> setMacFromVf(vf, p, c, MailboxMessage.macFromWords(words[1], words[2]));
                case MailboxMessage.SET_VLAN -> setVlanFromVf(p, c, (msg & MailboxMessage.MSGINFO_MASK) != 0, words[1] & 0xFFF);
                case MailboxMessage.SET_LPE -> setLpe(p, c, words[1]);
                case MailboxMessage.SET_MULTICAST -> setMulticast(p, msg);
                case MailboxMessage.API_NEGOTIATE -> {
                    boolean known = words[1] == MailboxMessage.API_10 || words[1] == MailboxMessage.API_11
                            || words[1] == MailboxMessage.API_12 || words[1] == MailboxMessage.API_13;
                    if (known) {
                        vfApi[vf] = words[1];
                    }
                    yield known;
                }
                case MailboxMessage.UPDATE_XCAST_MODE -> updateXcastMode(vf, c, words[1], reply);
                case MailboxMessage.IPSEC_ADD -> ipsecAdd(vf, p, c, reply);
                case MailboxMessage.IPSEC_DEL -> {
                    boolean done = nic.ipsec().delete((words[1] & MailboxMessage.IPSEC_FLAG_RX) != 0, words[2], p.index());
                    if (!done) {
                        reply[1] = IPSEC_NO_SUCH_SA;
                    }
                    yield done;
                }
                case MailboxMessage.GET_QUEUES -> {
                    reply[MailboxMessage.VF_TX_QUEUES] = p.queues();
                    reply[MailboxMessage.VF_RX_QUEUES] = p.queues();
                    reply[MailboxMessage.VF_TRANS_VLAN] = c.hasPortVlan() ? 1 : 0;
                    reply[MailboxMessage.VF_DEF_QUEUE] = 0;
                    yield true;
                }
                default -> false;
            };
        }
        reply[0] |= (ok ? MailboxMessage.ACK : MailboxMessage.NACK) | (clearToSend[vf] ? MailboxMessage.CTS : 0);
        send(vf, reply);
    }

    /**
     * UPDATE_XCAST_MODE with ixgbe's policy ({@code ixgbe_update_vf_xcast_mode}): NACK below mailbox
     * API 1.2, and for promiscuous below 1.3; an untrusted VF asking for more than its multicast
     * table gets its multicast table (ACK, word 1 says so). Promiscuous is granted to a trusted VF
     * as on the X540 and later parts — the 82599 itself refuses it, and ixgbe also wants the PF
     * promiscuous first, a condition havnet's PF (the default pool) does not have.
     */
    private boolean updateXcastMode(int vf, PoolConfig c, int asked, int[] reply) {
        int api = vfApi[vf];
        boolean apiOk = api == MailboxMessage.API_12 && asked != MailboxMessage.XCAST_MODE_PROMISC
                || api == MailboxMessage.API_13;
        if (!apiOk || asked < MailboxMessage.XCAST_MODE_NONE || asked > MailboxMessage.XCAST_MODE_PROMISC) {
            return false;
        }
        int mode = asked > MailboxMessage.XCAST_MODE_MULTI && !c.trusted() ? MailboxMessage.XCAST_MODE_MULTI : asked;
        xcastMode[vf] = mode;
        applyModes(vf);
        reply[1] = mode;
        return true;
    }

    /** NACK reasons in word 1 of an IPSEC_ADD / IPSEC_DEL reply. */
    public static final int IPSEC_NOT_TRUSTED = 1;
    public static final int IPSEC_TABLE_FULL = 2;
    public static final int IPSEC_DUPLICATE = 3;
    public static final int IPSEC_NO_SUCH_SA = 4;
    /** SAs one VF may hold (both directions): one VF must not take the whole table. */
    public static final int IPSEC_MAX_PER_VF = 64;

    /**
     * IPSEC_ADD: word 1 flags (RX, AES-256), 2 SPI, 3 destination (RX), 4-11 key, 12 salt. As
     * ixgbe does, only a trusted VF may add SAs; reply word 1 is the NIC's SA index.
     */
    private boolean ipsecAdd(int vf, Pool p, PoolConfig c, int[] reply) {
        if (!c.trusted()) {
            reply[1] = IPSEC_NOT_TRUSTED; // ixgbe: "VF %d attempted to add an IPsec SA"
            ipsecRefused[vf]++;
            return false;
        }
        if (nic.ipsec().count(p.index()) >= IPSEC_MAX_PER_VF) {
            reply[1] = IPSEC_TABLE_FULL;
            ipsecRefused[vf]++;
            return false;
        }
        boolean rx = (words[1] & MailboxMessage.IPSEC_FLAG_RX) != 0;
        byte[] key = new byte[(words[1] & MailboxMessage.IPSEC_FLAG_AES256) != 0 ? 32 : 16];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (words[4 + i / 4] >>> (24 - 8 * (i % 4)));
        }
        byte[] salt = {(byte) (words[12] >>> 24), (byte) (words[12] >>> 16), (byte) (words[12] >>> 8), (byte) words[12]};
        int index;
        try {
            index = rx ? nic.ipsec().addRx(p.index(), words[2], words[3], key, salt)
                    : nic.ipsec().addTx(p.index(), words[2], key, salt);
        } catch (IllegalArgumentException dup) {
            reply[1] = IPSEC_DUPLICATE;
            return false;
        }
        if (index < 0) {
            reply[1] = IPSEC_TABLE_FULL;
            return false;
        }
        reply[1] = index;
        return true;
    }

    /** IPSEC_ADD requests refused (untrusted VF, per-VF limit). */
    public long ipsecRefused(int vf) {
        return ipsecRefused[vf];
    }

    private boolean setMacFromVf(int vf, Pool p, PoolConfig c, long mac) {
        if (MacAddress.isMulticast(mac) || mac == 0) {
            return false;
        }
        if (c.adminMac() && !c.trusted() && mac != c.mac()) {
            return false; // ixgbe: "VF attempted to override administratively set MAC address"
        }
        filters.clearMacs(p.index());
        filters.addMac(p.index(), mac);
        p.setConfig(c.withMac(mac, c.adminMac() && mac == c.mac()));
        return true;
    }

    private boolean setVlanFromVf(Pool p, PoolConfig c, boolean add, int vid) {
        if (c.hasPortVlan()) {
            return false; // ixgbe: "VF attempted to override administratively set VLAN configuration"
        }
        Set<Integer> v = new HashSet<>(c.vlans());
        try {
            if (add) {
                filters.addVlan(p.index(), vid);
                v.add(vid);
            } else {
                filters.removeVlan(p.index(), vid);
                v.remove(vid);
            }
        } catch (IllegalStateException full) {
            return false;
        }
        p.setConfig(c.withVlans(v));
        return true;
    }

    private boolean setLpe(Pool p, PoolConfig c, int maxFrame) {
        if (maxFrame < 64 || maxFrame > PoolConfig.MAX_FRAME_LIMIT) {
            return false;
        }
        p.setConfig(c.withMaxFrame(maxFrame));
        return true;
    }

    private boolean setMulticast(Pool p, int msg) {
        int n = (msg & MailboxMessage.MSGINFO_MASK) >>> MailboxMessage.MSGINFO_SHIFT;
        if (n > 30) {
            return false;
        }
        int[] hashes = new int[n];
        for (int i = 0; i < n; i++) {
            int w = words[1 + i / 2];
            hashes[i] = (i % 2 == 0 ? w : w >>> 16) & 0xFFF;
        }
        filters.setMulticastHashes(p.index(), hashes);
        return true;
    }

    private void send(int vf, int[] reply) {
        int base = Registers.PFMBMEM(vf);
        for (int i = 0; i < reply.length; i++) {
            nic.pfRegisters().write(base + 4 * i, reply[i]);
        }
        nic.pfRegisters().write(Registers.PFMAILBOX(vf), Registers.PFMAILBOX_STS | Registers.PFMAILBOX_ACK);
    }
}
