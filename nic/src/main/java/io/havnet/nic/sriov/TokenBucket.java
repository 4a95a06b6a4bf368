package io.havnet.nic.sriov;

import io.havnet.dataplane.net.Net;

/**
 * A transmit rate limiter in bits, refilled from the injectable clock (82599 RTTBCNRC per
 * queue, datasheet §7.7.2.3). The NIC does not drop for rate: a queue whose bucket is negative
 * waits, so its descriptors stay pending and the driver sees its ring fill — exactly how a
 * hardware limiter pushes back. A frame may take the balance below zero (one frame of debt),
 * which keeps the long-run rate exact without ever splitting frames.
 */
public final class TokenBucket {
    private final long depthNanos;
    private long rateBitsPerSec;
    private long burstBits;
    private double tokens;
    private long last = Long.MIN_VALUE;

    /** A bucket for {@code mbps} Mbit/s (0 = unlimited), 1 ms deep. */
    public TokenBucket(long mbps) {
        this(mbps, 1_000_000);
    }

    /** A bucket for {@code mbps} Mbit/s (0 = unlimited) holding {@code depthNanos} of traffic (at least one jumbo frame). */
    public TokenBucket(long mbps, long depthNanos) {
        this.depthNanos = depthNanos;
        setRate(mbps);
    }

    /**
     * A port's line in one direction: {@code mbps} on the wire, 100 µs deep — the engine may catch
     * up on a pass it ran late, but the line never carries more than its rate for longer than that.
     */
    public static TokenBucket line(long mbps) {
        return new TokenBucket(mbps, 100_000);
    }

    /** Changes the rate; the bucket starts full. */
    public void setRate(long mbps) {
        this.rateBitsPerSec = mbps * 1_000_000L;
        // depth: depthNanos of traffic, at least one jumbo frame
        this.burstBits = Math.max(9728L * 8, (long) (rateBitsPerSec * (depthNanos / 1e9)));
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

    /**
     * Charges a frame of {@code wireBytes}, counted as the caller's limit counts: a VF's rate limit
     * the frame and its FCS (docs/nic.md), a port's line everything the wire carries ({@link Net#wireBytes}).
     */
    public void charge(int wireBytes) {
        if (rateBitsPerSec != 0) {
            tokens -= wireBytes * 8L;
        }
    }

    /** Gives back the charge of a frame that was not sent after all. */
    public void refund(int wireBytes) {
        if (rateBitsPerSec != 0) {
            tokens += wireBytes * 8L;
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
