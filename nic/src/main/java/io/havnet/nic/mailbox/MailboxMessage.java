package io.havnet.nic.mailbox;

/**
 * PF↔VF mailbox message words, as the ixgbe drivers define them (ixgbe_mbx.h): word 0 holds the
 * message id in bits 15:0, message info in bits 23:16 and the reply flags in bits 31:29.
 */
public final class MailboxMessage {
    public static final int RESET = 0x01;
    public static final int SET_MAC_ADDR = 0x02;
    public static final int SET_MULTICAST = 0x03;
    public static final int SET_VLAN = 0x04;
    public static final int SET_LPE = 0x05;
    public static final int SET_MACVLAN = 0x06;
    public static final int API_NEGOTIATE = 0x08;
    public static final int GET_QUEUES = 0x09;
    /** ixgbe_mbx.h IXGBE_VF_UPDATE_XCAST_MODE (API 1.2; promiscuous from 1.3): word 1 the mode asked, the reply's the mode granted. */
    public static final int UPDATE_XCAST_MODE = 0x0c;
    /** Receive modes of UPDATE_XCAST_MODE (ixgbevf's IXGBEVF_XCAST_MODE_*): broadcast only... */
    public static final int XCAST_MODE_NONE = 0;
    /** ...plus the multicast addresses in its table (the default after a reset)... */
    public static final int XCAST_MODE_MULTI = 1;
    /** ...plus every multicast address (trusted VFs only)... */
    public static final int XCAST_MODE_ALLMULTI = 2;
    /** ...plus every unicast address and every VLAN (trusted VFs only, API 1.3). */
    public static final int XCAST_MODE_PROMISC = 3;
    /** ixgbe_mbx.h IXGBE_VF_IPSEC_ADD / _DEL: inline IPsec SAs for a trusted VF. */
    public static final int IPSEC_ADD = 0x0d;
    public static final int IPSEC_DEL = 0x0e;
    /** IPSEC_ADD word 1 flags: RX SA (else TX), AES-256 (else AES-128). */
    public static final int IPSEC_FLAG_RX = 1;
    public static final int IPSEC_FLAG_AES256 = 2;
    /** PF-initiated control message (link change, reset notice). */
    public static final int PF_CONTROL_MSG = 0x0100;

    public static final int ACK = 0x8000_0000;
    public static final int NACK = 0x4000_0000;
    public static final int CTS = 0x2000_0000;
    public static final int MSGINFO_SHIFT = 16;
    public static final int MSGINFO_MASK = 0xFF << MSGINFO_SHIFT;
    public static final int ID_MASK = 0xFFFF;

    /** Mailbox API versions (ixgbe_mbox_api_*). */
    public static final int API_10 = 0;
    public static final int API_11 = 2;
    public static final int API_12 = 3;
    public static final int API_13 = 4;

    /** GET_QUEUES reply words. */
    public static final int VF_TX_QUEUES = 1;
    public static final int VF_RX_QUEUES = 2;
    public static final int VF_TRANS_VLAN = 3;
    public static final int VF_DEF_QUEUE = 4;

    /** Words in the mailbox memory. */
    public static final int WORDS = 16;

    private MailboxMessage() {}

    public static String name(int id) {
        return switch (id & ID_MASK) {
            case RESET -> "RESET";
            case SET_MAC_ADDR -> "SET_MAC_ADDR";
            case SET_MULTICAST -> "SET_MULTICAST";
            case SET_VLAN -> "SET_VLAN";
            case SET_LPE -> "SET_LPE";
            case SET_MACVLAN -> "SET_MACVLAN";
            case API_NEGOTIATE -> "API_NEGOTIATE";
            case GET_QUEUES -> "GET_QUEUES";
            case UPDATE_XCAST_MODE -> "UPDATE_XCAST_MODE";
            case IPSEC_ADD -> "IPSEC_ADD";
            case IPSEC_DEL -> "IPSEC_DEL";
            case PF_CONTROL_MSG -> "PF_CONTROL_MSG";
            default -> String.format("0x%04x", id & ID_MASK);
        };
    }

    /** A MAC in words 1 and 2, as ixgbe packs it (little-endian bytes). */
    public static long macFromWords(int w1, int w2) {
        long b0 = w1 & 0xFF;
        long b1 = w1 >>> 8 & 0xFF;
        long b2 = w1 >>> 16 & 0xFF;
        long b3 = w1 >>> 24 & 0xFF;
        long b4 = w2 & 0xFF;
        long b5 = w2 >>> 8 & 0xFF;
        return b0 << 40 | b1 << 32 | b2 << 24 | b3 << 16 | b4 << 8 | b5;
    }

    public static int macWord1(long mac) {
        return (int) ((mac >>> 40 & 0xFF) | (mac >>> 32 & 0xFF) << 8 | (mac >>> 24 & 0xFF) << 16 | (mac >>> 16 & 0xFF) << 24);
    }

    public static int macWord2(long mac) {
        return (int) ((mac >>> 8 & 0xFF) | (mac & 0xFF) << 8);
    }
}
