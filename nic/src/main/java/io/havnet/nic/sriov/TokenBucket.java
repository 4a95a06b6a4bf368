package io.havnet.nic.sriov;

/**
 * A transmit rate limiter in bits, refilled from the injectable clock (82599 RTTBCNRC per
 * queue, datasheet §7.7.2.3). The NIC does not drop for rate: a queue whose bucket is negative
 * waits, so its descriptors stay pending and the driver sees its ring fill — exactly how a
 * hardware limiter pushes back. A frame may take the balance below zero (one frame of debt),
 * which keeps the long-run rate exact without ever splitting frames.
 */
public final class TokenBucket {
    private long rateBitsPerSec;
    private long burstBits;
    private double tokens;
    private long last = Long.MIN_VALUE;

    /** A bucket for {@code mbps} Mbit/s (0 = unlimited). */
    public TokenBucket(long mbps) {
        setRate(mbps);
    }

    /** Changes the rate; the bucket starts full. */
    public void setRate(long mbps) {
        this.rateBitsPerSec = mbps * 1_000_000L;
        // depth: 1 ms of traffic, at least one jumbo frame
        this.burstBits = Math.max(9728L * 8, rateBitsPerSec / 1000);
        this.tokens = burstBits;
        this.last = Long.MIN_VALUE;
    }

    /** Adopts {@code mbps} if it differs from the current rate (called by the engine that owns the bucket). */
    public void ensureRate(long mbps) {
        if (mbps * 1_000_000L != rateBitsPerSec) {
            setRate(mbps);
        }
    }

    public boolean unlimited() {
        return rateBitsPerSec == 0;
    }

    /** True when the queue may send now (tokens not negative). */
    public boolean mayPass(long nowNanos) {
        if (rateBitsPerSec == 0) {
            return true;
        }
        refill(nowNanos);
        return tokens >= 0;
    }

    /** Charges a frame of {@code wireBytes} (preamble, FCS and gap included by the caller). */
    public void charge(int wireBytes) {
        if (rateBitsPerSec != 0) {
            tokens -= wireBytes * 8L;
        }
    }

    private void refill(long now) {
        if (last == Long.MIN_VALUE) {
            last = now;
            return;
        }
        long dt = now - last;
        if (dt > 0) {
            tokens = Math.min(burstBits, tokens + dt * (rateBitsPerSec / 1e9));
            last = now;
        }
    }
}
