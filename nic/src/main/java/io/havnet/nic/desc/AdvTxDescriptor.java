package io.havnet.nic.desc;

/**
 * 82599 advanced transmit descriptors, 16 bytes (datasheet §7.2.3.2).
 * <pre>
 *  data descriptor (DTYP = 0011):
 *   0  buffer address (64)
 *   8  cmd_type_len: DTALEN [15:0] | DTYP [23:20] | DCMD [31:24] = TSE VLE DEXT rsv RS rsv IFCS EOP
 *  12  olinfo_status: STA [3:0] (DD = bit 0 on write-back) | IDX [6:4] | POPTS [13:8] | PAYLEN [31:14]
 *
 *  context descriptor (DTYP = 0010):
 *   0  vlan_macip_lens: IPLEN [8:0] | MACLEN [15:9] | VLAN [31:16]
 *   4  seqnum_seed: IPsec SA index [9:0]
 *   8  type_tucmd_mlhl: ESP trailer length [8:0] | TUCMD [19:9] (IPV4 = bit 10, L4T [12:11]: 00 UDP, 01 TCP,
 *      IPSEC_TYPE_ESP bit 13, IPSEC_ENCRYPT_EN bit 14) | DTYP [23:20] | DEXT bit 29
 *  12  mss_l4len_idx: IDX [6:4] | L4LEN [15:8] | MSS [31:16]
 * </pre>
 */
public final class AdvTxDescriptor {
    public static final int SIZE = 16;
    public static final int ADDR = 0;
    public static final int CMD_TYPE_LEN = 8;
    public static final int OLINFO_STATUS = 12;

    public static final int VLAN_MACIP_LENS = 0;
    public static final int SEQNUM_SEED = 4;
    public static final int TYPE_TUCMD_MLHL = 8;
    public static final int MSS_L4LEN_IDX = 12;

    public static final int DTALEN_MASK = 0xFFFF;
    public static final int DTYP_MASK = 0xF << 20;
    public static final int DTYP_DATA = 0x3 << 20;
    public static final int DTYP_CONTEXT = 0x2 << 20;
    public static final int DCMD_EOP = 1 << 24;
    public static final int DCMD_IFCS = 1 << 25;
    public static final int DCMD_RS = 1 << 27;
    public static final int DCMD_DEXT = 1 << 29;
    public static final int DCMD_VLE = 1 << 30;
    public static final int DCMD_TSE = 1 << 31;

    public static final int STA_DD = 1;
    public static final int POPTS_IXSM = 1 << 8;
    public static final int POPTS_TXSM = 1 << 9;
    /** Data descriptor: this frame uses the context's IPsec SA (inline encryption). */
    public static final int POPTS_IPSEC = 1 << 10;
    public static final int PAYLEN_SHIFT = 14;

    public static final int TUCMD_IPV4 = 1 << 10;
    public static final int TUCMD_L4T_UDP = 0;
    public static final int TUCMD_L4T_TCP = 1 << 11;
    public static final int TUCMD_L4T_MASK = 3 << 11;
    public static final int TUCMD_IPSEC_TYPE_ESP = 1 << 13;
    public static final int TUCMD_IPSEC_ENCRYPT_EN = 1 << 14;
    public static final int IPSEC_ESP_LEN_MASK = 0x1FF;
    public static final int IPSEC_SA_INDEX_MASK = 0x3FF;

    /** Largest data buffer one descriptor may describe (DTALEN is 16 bits; 82599 caps at 16 KiB). */
    public static final int MAX_DATA_LEN = 16 * 1024;
    /** The most data descriptors one frame may span; more is a malformed frame. */
    public static final int MAX_DESC_PER_FRAME = 40;

    private AdvTxDescriptor() {}
}
