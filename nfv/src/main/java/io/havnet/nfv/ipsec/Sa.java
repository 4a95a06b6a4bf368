package io.havnet.nfv.ipsec;

import io.havnet.dataplane.crypto.AesGcm;
import io.havnet.dataplane.crypto.CryptoBackend;

/**
 * A security association at run time: its configuration, the AES-GCM instance keyed with it,
 * the outbound sequence counter and the inbound replay window. One SA is used by one lcore.
 */
public final class Sa implements AutoCloseable {
    /** RFC 4303 §3.3.3: without extended sequence numbers the counter must not cycle. */
    public static final long MAX_SEQ = 0xFFFFFFFFL;

    private final SaConfig config;
    private final AesGcm gcm;
    private final ReplayWindow window;
    private long seq;
    private int ipId;
    private long packets;
    private long bytes;

    public Sa(SaConfig config, CryptoBackend backend) {
        this.config = config;
        this.gcm = backend.create(config.key(), config.salt());
        this.window = new ReplayWindow(config.replayWindow());
    }

    public SaConfig config() {
        return config;
    }

    public int spi() {
        return config.spi();
    }

    AesGcm gcm() {
        return gcm;
    }

    public ReplayWindow window() {
        return window;
    }

    /** The next outbound sequence number, or -1 when the SA is exhausted. */
    long nextSeq() {
        if (seq >= MAX_SEQ) {
            return -1;
        }
        return ++seq;
    }

    /** Sets the outbound counter (the next packet gets {@code last + 1}); for tests and rekey drills. */
    public void setLastSeq(long last) {
        if (last < 0 || last > MAX_SEQ) {
            throw new IllegalArgumentException("sequence " + last + " out of range");
        }
        this.seq = last;
    }

    public long lastSeq() {
        return seq;
    }

    int nextIpId() {
        return ipId++ & 0xFFFF;
    }

    void count(int len) {
        packets++;
        bytes += len;
    }

    public long packets() {
        return packets;
    }

    public long bytes() {
        return bytes;
    }

    @Override
    public void close() {
        gcm.close();
    }
}
