package io.havnet.nfv.ipsec;

/**
 * The receiver's anti-replay window of RFC 4303 §3.4.3: the highest sequence number accepted so
 * far and a bitmap of the {@code size} numbers at and below it. A number is checked before the
 * ICV and recorded only after it (so forged packets cannot move the window).
 */
public final class ReplayWindow {
    public static final int OK = 0;
    public static final int REPLAYED = 1;
    public static final int TOO_OLD = 2;
    public static final int MIN = 64;
    public static final int MAX = 4096;

    private final int size;
    private final long[] bits;
    private long top;

    /** @param size 64 to 4096, a multiple of 64 */
    public ReplayWindow(int size) {
        if (size < MIN || size > MAX || size % 64 != 0) {
            throw new IllegalArgumentException("replay window " + size + " must be a multiple of 64 in [64, 4096]");
        }
        this.size = size;
        this.bits = new long[size / 64];
    }

    public int size() {
        return size;
    }

    /** The highest sequence number accepted so far (0: none yet). */
    public long top() {
        return top;
    }

    /** {@link #OK}, {@link #REPLAYED} or {@link #TOO_OLD} for {@code seq} (sequence 0 is never valid). */
    public int check(long seq) {
        if (seq <= 0) {
            return TOO_OLD;
        }
        if (seq > top) {
            return OK;
        }
        if (top - seq >= size) {
            return TOO_OLD;
        }
        int i = (int) (seq % size);
        return (bits[i >>> 6] & 1L << i) != 0 ? REPLAYED : OK;
    }

    /** Records {@code seq} (which {@link #check} accepted and whose ICV verified). */
    public void update(long seq) {
        if (seq > top) {
            long advance = seq - top;
            if (advance >= size) {
                java.util.Arrays.fill(bits, 0L);
            } else {
                for (long s = top + 1; s <= seq; s++) {
                    int i = (int) (s % size);
                    bits[i >>> 6] &= ~(1L << i);
                }
            }
            top = seq;
        }
        int i = (int) (seq % size);
        bits[i >>> 6] |= 1L << i;
    }
}
