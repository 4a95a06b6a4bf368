package io.havnet.nic.regs;

/**
 * Register offsets and bits of the 82599 as far as havnet models it, with the datasheet's names
 * (Intel 82599 10 GbE Controller Datasheet §8.2.3: PF registers; §8.3: VF registers).
 * Offsets are byte offsets in the function's BAR0.
 */
public final class Registers {
    private Registers() {}

    // ---------------------------------------------------------------- PF queue registers (§8.2.3.8, §8.2.3.9)

    /** Receive Descriptor Base Address Low, queue n. */
    public static int RDBAL(int n) {
        return n < 64 ? 0x01000 + 0x40 * n : 0x0D000 + 0x40 * (n - 64);
    }

    public static int RDBAH(int n) {
        return RDBAL(n) + 0x04;
    }

    /** Receive Descriptor Length (bytes, multiple of 128). */
    public static int RDLEN(int n) {
        return RDBAL(n) + 0x08;
    }

    /** Receive Descriptor Head: written by hardware. */
    public static int RDH(int n) {
        return RDBAL(n) + 0x10;
    }

    /** Split and Replication Receive Control: BSIZEPACKET in 1 KiB units (bits 4:0). */
    public static int SRRCTL(int n) {
        return RDBAL(n) + 0x14;
    }

    /** Receive Descriptor Tail: written by software; the doorbell that hands buffers to hardware. */
    public static int RDT(int n) {
        return RDBAL(n) + 0x18;
    }

    /** Receive Descriptor Control: ENABLE, VME (VLAN strip). */
    public static int RXDCTL(int n) {
        return RDBAL(n) + 0x28;
    }

    public static int TDBAL(int n) {
        return 0x06000 + 0x40 * n;
    }

    public static int TDBAH(int n) {
        return TDBAL(n) + 0x04;
    }

    public static int TDLEN(int n) {
        return TDBAL(n) + 0x08;
    }

    /** Transmit Descriptor Head: written by hardware. */
    public static int TDH(int n) {
        return TDBAL(n) + 0x10;
    }

    /** Transmit Descriptor Tail: written by software; the doorbell. */
    public static int TDT(int n) {
        return TDBAL(n) + 0x18;
    }

    public static int TXDCTL(int n) {
        return TDBAL(n) + 0x28;
    }

    /** PF side of VF n's mailbox control (§8.2.3.5.2). */
    public static int PFMAILBOX(int vf) {
        return 0x04B00 + 4 * vf;
    }

    /** PF view of VF n's mailbox memory: 16 dwords (§8.2.3.5.3). */
    public static int PFMBMEM(int vf) {
        return 0x13000 + 0x40 * vf;
    }

    /** Redirection table (§8.2.3.7.15): 32 registers of 4 one-byte entries, 128 entries, for the PF's pools. */
    public static int RETA(int n) {
        return 0x0EB00 + 4 * n;
    }

    /**
     * Multiple receive queues command (§8.2.3.7.12): RSS on or off and which header fields feed
     * the hash, for the PF's pools. 0 (as at power-on): no hash, every frame to the pool's first queue.
     */
    public static final int MRQC = 0x05818;

    /** Size of the PF BAR0 modelled. */
    public static final int PF_BAR_SIZE = 0x14000;

    // ---------------------------------------------------------------- VF registers (§8.3.5)

    public static final int VFCTRL = 0x00000;
    public static final int VFSTATUS = 0x00008;
    /** VFLINKS: the port's link as the VF sees it (LINKS_UP and the speed bits). */
    public static final int VFLINKS = 0x00010;
    public static final int VFMBMEM = 0x00200;
    public static final int VFMAILBOX = 0x002FC;

    public static int VFRDBAL(int n) {
        return 0x01000 + 0x40 * n;
    }

    public static int VFRDBAH(int n) {
        return VFRDBAL(n) + 0x04;
    }

    public static int VFRDLEN(int n) {
        return VFRDBAL(n) + 0x08;
    }

    public static int VFRDH(int n) {
        return VFRDBAL(n) + 0x10;
    }

    public static int VFSRRCTL(int n) {
        return VFRDBAL(n) + 0x14;
    }

    public static int VFRDT(int n) {
        return VFRDBAL(n) + 0x18;
    }

    public static int VFRXDCTL(int n) {
        return VFRDBAL(n) + 0x28;
    }

    public static int VFTDBAL(int n) {
        return 0x02000 + 0x40 * n;
    }

    public static int VFTDBAH(int n) {
        return VFTDBAL(n) + 0x04;
    }

    public static int VFTDLEN(int n) {
        return VFTDBAL(n) + 0x08;
    }

    public static int VFTDH(int n) {
        return VFTDBAL(n) + 0x10;
    }

    public static int VFTDT(int n) {
        return VFTDBAL(n) + 0x18;
    }

    public static int VFTXDCTL(int n) {
        return VFTDBAL(n) + 0x28;
    }

    /** A VF's redirection table: 32 registers of 4 one-byte entries (128 entries), like the PF's RETA. */
    public static int VFRETA(int n) {
        return 0x03200 + 4 * n;
    }

    /** A VF's MRQC (as the X550's VFMRQC): RSS on or off and the hashed fields, for the VF's pool. */
    public static final int VFMRQC = 0x03000;

    /** Size of the VF BAR0 modelled. */
    public static final int VF_BAR_SIZE = 0x04000;

    // ---------------------------------------------------------------- bits

    public static final int RXDCTL_ENABLE = 1 << 25;

    /** MRQC: RSS enable, and the field-enable bits (31:16) as ixgbe names them. */
    public static final int MRQC_RSSEN = 1;
    public static final int MRQC_RSS_FIELD_IPV4_TCP = 0x0001_0000;
    public static final int MRQC_RSS_FIELD_IPV4 = 0x0002_0000;
    public static final int MRQC_RSS_FIELD_IPV6 = 0x0010_0000;
    public static final int MRQC_RSS_FIELD_IPV6_TCP = 0x0020_0000;
    public static final int MRQC_RSS_FIELD_IPV4_UDP = 0x0040_0000;
    public static final int MRQC_RSS_FIELD_IPV6_UDP = 0x0080_0000;
    private static final int[][] MRQC_FIELDS = {
        {MRQC_RSS_FIELD_IPV4, io.havnet.dataplane.net.Rss.IPV4},
        {MRQC_RSS_FIELD_IPV4_TCP, io.havnet.dataplane.net.Rss.NONFRAG_IPV4_TCP},
        {MRQC_RSS_FIELD_IPV4_UDP, io.havnet.dataplane.net.Rss.NONFRAG_IPV4_UDP},
        {MRQC_RSS_FIELD_IPV6, io.havnet.dataplane.net.Rss.IPV6},
        {MRQC_RSS_FIELD_IPV6_TCP, io.havnet.dataplane.net.Rss.NONFRAG_IPV6_TCP},
        {MRQC_RSS_FIELD_IPV6_UDP, io.havnet.dataplane.net.Rss.NONFRAG_IPV6_UDP},
    };

    /** The MRQC value a driver writes for DPDK-style {@code rss_hf} fields: RSSEN with them, or 0. */
    public static int mrqc(int rssHf) {
        int v = 0;
        for (int[] f : MRQC_FIELDS) {
            if ((rssHf & f[1]) != 0) {
                v |= f[0];
            }
        }
        return v == 0 ? 0 : v | MRQC_RSSEN;
    }

    /** The {@code rss_hf} fields an MRQC value enables; 0 when RSSEN is clear. */
    public static int rssFields(int mrqc) {
        if ((mrqc & MRQC_RSSEN) == 0) {
            return 0;
        }
        int hf = 0;
        for (int[] f : MRQC_FIELDS) {
            if ((mrqc & f[0]) != 0) {
                hf |= f[1];
            }
        }
        return hf;
    }
    /** VLAN Mode Enable: strip the VLAN tag into the descriptor. */
    public static final int RXDCTL_VME = 1 << 30;
    public static final int TXDCTL_ENABLE = 1 << 25;
    public static final int SRRCTL_BSIZEPKT_MASK = 0x1F;
    /** VFCTRL.RST: software reset of the VF. */
    public static final int VFCTRL_RST = 1 << 26;
    /** VFSTATUS.LINKUP. */
    public static final int VFSTATUS_LINKUP = 1 << 1;
    /** LINKS/VFLINKS.LINK_UP. */
    public static final int LINKS_UP = 1 << 30;
    /** LINKS/VFLINKS.LINK_SPEED (bits 29:28): 01 100 Mb/s, 10 1 Gb/s, 11 10 Gb/s. */
    public static final int LINKS_SPEED_MASK = 0x3 << 28;
    public static final int LINKS_SPEED_100M = 0x1 << 28;
    public static final int LINKS_SPEED_1G = 0x2 << 28;
    public static final int LINKS_SPEED_10G = 0x3 << 28;

    /** The LINK_SPEED bits of a speed this card links at: 100, 1,000 or 10,000 Mbit/s. */
    public static int linksSpeed(int mbps) {
        return switch (mbps) {
            case 100 -> LINKS_SPEED_100M;
            case 1_000 -> LINKS_SPEED_1G;
            case 10_000 -> LINKS_SPEED_10G;
            default -> throw new IllegalArgumentException("the 82599 links at 100, 1000 or 10000 Mbit/s, not " + mbps);
        };
    }

    /** The speed in Mbit/s that a LINKS/VFLINKS value reports; 0 when its speed bits are reserved (00). */
    public static int linksMbps(int links) {
        return switch (links & LINKS_SPEED_MASK) {
            case LINKS_SPEED_100M -> 100;
            case LINKS_SPEED_1G -> 1_000;
            case LINKS_SPEED_10G -> 10_000;
            default -> 0;
        };
    }

    /** VFMAILBOX bits (§8.3.5.1.3). */
    public static final int VFMAILBOX_REQ = 1;
    public static final int VFMAILBOX_ACK = 1 << 1;
    public static final int VFMAILBOX_VFU = 1 << 2;
    public static final int VFMAILBOX_PFU = 1 << 3;
    public static final int VFMAILBOX_PFSTS = 1 << 4;
    public static final int VFMAILBOX_PFACK = 1 << 5;
    public static final int VFMAILBOX_RSTI = 1 << 6;
    public static final int VFMAILBOX_RSTD = 1 << 7;

    /** PFMAILBOX bits (§8.2.3.5.2). */
    public static final int PFMAILBOX_STS = 1;
    public static final int PFMAILBOX_ACK = 1 << 1;
    public static final int PFMAILBOX_VFU = 1 << 2;
    public static final int PFMAILBOX_PFU = 1 << 3;
    public static final int PFMAILBOX_RVFU = 1 << 4;
}
