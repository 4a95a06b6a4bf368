package io.havnet.dataplane.pmd;

/** A capture file that is not a pcap file, or not one havnet can read; the message is one line. */
public final class PcapFormatException extends IllegalArgumentException {
    public PcapFormatException(String message) {
        super(message);
    }
}
