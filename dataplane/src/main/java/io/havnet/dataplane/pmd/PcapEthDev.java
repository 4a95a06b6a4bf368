package io.havnet.dataplane.pmd;

import io.havnet.dataplane.clock.Clock;
import io.havnet.dataplane.ethdev.DevInfo;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.ethdev.LinkStatus;
import io.havnet.dataplane.mbuf.Mbuf;
import io.havnet.dataplane.mempool.Mempool;
import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.stats.Counters;

import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * The {@code pcap} PMD ({@code net_pcap}): RX replays a capture file, TX writes one. One queue
 * each way.
 *
 * <ul>
 *   <li>Replay as fast as polled, at the recorded pace (gaps between timestamps), or at a given
 *       rate in frames per second — paced by an injectable {@link Clock}.</li>
 *   <li>Loop the file N times (0 = forever); {@link #rxDone()} tells when it is over.</li>
 *   <li>Frames longer than an mbuf's data room arrive as segment chains.</li>
 *   <li>A file truncated mid-record: the partial record counts as one {@code ierrors}, replay
 *       stops and the link goes down with the reason ({@link #link()}). Nothing else is lost.</li>
 *   <li>TX writes each frame with the mbuf's timestamp (a replayed frame keeps its capture time)
 *       or, when it has none, the wall clock; a write failure counts the frames in
 *       {@code oerrors} and takes the link down.</li>
 * </ul>
 */
public final class PcapEthDev extends EthDev {
    /** How RX paces the replay. */
    public enum Pace { FAST, RECORDED, RATE }

    private final Path rxPath;
    private final Path txPath;
    private final Pace pace;
    private final double rate;
    private final long loops;
    private final Clock clock;
    private final boolean txNanos;
    private final int snaplen;

    private final PcapReader reader;
    private PcapWriter writer;
    private boolean pending;        // a record has been read but not yet delivered
    private boolean done;
    private long passes;
    private long firstTs = -1;
    private long lastTs;
    private long loopOffset;
    private long startClock = -1;
    private long delivered;
    private volatile String downReason;
    private final long wallBase = System.currentTimeMillis() * 1_000_000L - System.nanoTime();

    private PcapEthDev(Builder b, PcapReader reader) {
        super(b.name, new DevInfo("net_pcap", 1, 1, 0, 0, PcapFormat.MAX_RECORD, 1, 1 << 16),
                MacAddress.local(0x50434150L));
        this.rxPath = b.rx;
        this.txPath = b.tx;
        this.pace = b.pace;
        this.rate = b.rate;
        this.loops = b.loops;
        this.clock = b.clock;
        this.txNanos = b.nanos;
        this.snaplen = b.snaplen;
        this.reader = reader;
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    @Override
    protected void doRxQueueSetup(int q, int nbDesc, Mempool pool) {
        if (reader != null && pool == null) {
            throw new IllegalArgumentException(name() + ": RX queue needs a mempool to replay " + rxPath);
        }
    }

    @Override
    protected void doStart() {
        if (txPath != null && writer == null) {
            writer = PcapWriter.create(txPath, txNanos, snaplen);
        }
    }

    @Override
    protected void doStop() {
        if (writer != null) {
            try {
                writer.flush();
            } catch (UncheckedIOException e) {
                downReason = e.getMessage();
            }
        }
    }

    @Override
    protected void doClose() {
        if (writer != null) {
            try {
                writer.close();
            } catch (UncheckedIOException e) {
                downReason = e.getMessage();
            }
        }
        if (reader != null) {
            reader.close();
        }
    }

    @Override
    public LinkStatus link() {
        String r = downReason;
        if (r != null) {
            return LinkStatus.down(r);
        }
        return isStarted() ? LinkStatus.up(10_000) : LinkStatus.down(null);
    }

    /** True once replay finished all its passes (or stopped on a damaged file). */
    public boolean rxDone() {
        return reader == null || done;
    }

    /** Frames written so far by TX. */
    public long txRecords() {
        return writer == null ? 0 : writer.records();
    }

    @Override
    public int rxBurst(int q, int[] pkts, int off, int n) {
        if (!isStarted() || reader == null || done) {
            return 0;
        }
        Counters c = rxCounters(q);
        Mempool pool = rxPool(q);
        long now = pace == Pace.FAST ? 0 : clock.nanoTime();
        if (startClock < 0) {
            startClock = pace == Pace.FAST ? 0 : now;
        }
        int k = 0;
        long bytes = 0;
        while (k < n) {
            if (!pending && !advance(c)) {
                break;
            }
            if (pace != Pace.FAST && !due(now)) {
                break;
            }
            int m = Mbuf.fromBytes(pool, reader.segment(), reader.recordOffset(), reader.recordCaplen());
            if (m == Mbuf.NONE) {
                break; // no mbuf: the record waits for the next poll, nothing is dropped
            }
            pending = false;
            Mbuf.setTimestamp(m, reader.recordTimestampNanos());
            Mbuf.setPort(m, portId());
            bytes += reader.recordCaplen();
            pkts[off + k++] = m;
            delivered++;
        }
        if (k > 0) {
            c.add(RXQ_PACKETS, k);
            c.add(RXQ_BYTES, bytes);
        }
        return k;
    }

    /** Reads the next record into the pending slot; false when there is none (end or damage). */
    private boolean advance(Counters c) {
        while (true) {
            int st = reader.next();
            if (st == PcapReader.RECORD) {
                long ts = reader.recordTimestampNanos();
                if (firstTs < 0) {
                    firstTs = ts;
                }
                lastTs = Math.max(lastTs, ts);
                pending = true;
                return true;
            }
            if (st == PcapReader.END) {
                passes++;
                if (reader.records() == 0 && passes == 1) {
                    done = true; // an empty capture: nothing to loop over
                    return false;
                }
                if (loops != 0 && passes >= loops) {
                    done = true;
                    return false;
                }
                long span = lastTs - firstTs;
                long gap = reader.records() > 1 ? span / (reader.records() - 1) : 1000;
                loopOffset += span + gap;
                reader.rewind();
                continue;
            }
            c.add(RXQ_ERRORS, 1);
            downReason = reader.problem();
            done = true;
            return false;
        }
    }

    private boolean due(long now) {
        long elapsed = now - startClock;
        if (pace == Pace.RECORDED) {
            return elapsed >= reader.recordTimestampNanos() - firstTs + loopOffset;
        }
        return elapsed >= (long) (delivered * (1e9 / rate));
    }

    @Override
    public int txBurst(int q, int[] pkts, int off, int n) {
        if (!isStarted() || n == 0) {
            return 0;
        }
        Counters c = txCounters(q);
        long bytes = 0;
        int written = 0;
        if (writer != null && downReason == null) {
            try {
                for (int i = off; i < off + n; i++) {
                    int m = pkts[i];
                    long ts = Mbuf.timestamp(m);
                    writer.write(ts != 0 ? ts : wallBase + System.nanoTime(), m);
                    bytes += Mbuf.pktLen(m);
                    written++;
                }
            } catch (UncheckedIOException e) {
                downReason = e.getMessage();
            }
        } else if (writer == null) {
            // no TX file: frames are taken and dropped on purpose (DPDK's tx_drop)
            for (int i = off; i < off + n; i++) {
                bytes += Mbuf.pktLen(pkts[i]);
            }
            written = n;
        }
        Mbuf.freeBulk(pkts, off, n);
        c.add(TXQ_PACKETS, written);
        c.add(TXQ_BYTES, bytes);
        if (written < n) {
            c.add(TXQ_ERRORS, n - written);
        }
        return n;
    }

    /** pcap port parameters. */
    public static final class Builder {
        private final String name;
        private Path rx;
        private Path tx;
        private Pace pace = Pace.FAST;
        private double rate;
        private long loops = 1;
        private Clock clock = Clock.SYSTEM;
        private boolean nanos;
        private int snaplen = PcapFormat.DEFAULT_SNAPLEN;

        Builder(String name) {
            this.name = name;
        }

        /** Replay this file on RX. */
        public Builder rx(Path p) {
            this.rx = p;
            return this;
        }

        /** Write TX frames to this file. */
        public Builder tx(Path p) {
            this.tx = p;
            return this;
        }

        /** Replay at the pace of the recorded timestamps. */
        public Builder recordedPace() {
            this.pace = Pace.RECORDED;
            return this;
        }

        /** Replay at {@code framesPerSecond}. */
        public Builder rate(double framesPerSecond) {
            if (!(framesPerSecond > 0)) {
                throw new IllegalArgumentException("pcap replay rate must be positive, got " + framesPerSecond);
            }
            this.pace = Pace.RATE;
            this.rate = framesPerSecond;
            return this;
        }

        /** Passes over the file: 1 (default) .. any; 0 = loop forever. */
        public Builder loops(long n) {
            if (n < 0) {
                throw new IllegalArgumentException("pcap loops must be >= 0, got " + n);
            }
            this.loops = n;
            return this;
        }

        public Builder clock(Clock c) {
            this.clock = c;
            return this;
        }

        /** Write nanosecond timestamps (magic 0xa1b23c4d). */
        public Builder nanosecond(boolean on) {
            this.nanos = on;
            return this;
        }

        public Builder snaplen(int s) {
            this.snaplen = s;
            return this;
        }

        /** Opens the port (validating the RX file); it still needs configure, queue setup and start. */
        public PcapEthDev build() {
            PcapReader r = rx == null ? null : PcapReader.open(rx); // a foreign file fails here, before a port id is taken
            return new PcapEthDev(this, r);
        }
    }
}
