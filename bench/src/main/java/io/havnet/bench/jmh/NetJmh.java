package io.havnet.bench.jmh;

import io.havnet.dataplane.net.Checksum;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.net.PacketClassifier;
import io.havnet.dataplane.net.Rss;
import io.havnet.dataplane.net.Toeplitz;
import org.openjdk.jmh.annotations.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * Per-packet header work: classification, Toeplitz RSS (table-driven next to the bit-by-bit
 * reference), IPv4 header checksum (full next to RFC 1624 incremental).
 * Run: {@code ./havnet jmh NetJmh}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class NetJmh {
    private MemorySegment frame;
    private byte[] tuple;
    private final PacketClassifier classifier = new PacketClassifier();
    private final Toeplitz toeplitz = Toeplitz.defaultKey();

    @Setup
    public void setUp() {
        byte[] f = PacketBuilder.ethernet(2, 1).vlan(100).ipv4("66.9.149.187", "161.142.100.80").tcp(2794, 1766, 0x10)
                .padTo(64).build();
        frame = Arena.ofAuto().allocate(f.length, 64);
        MemorySegment.copy(MemorySegment.ofArray(f), 0, frame, 0, f.length);
        tuple = new byte[12];
        MemorySegment.copy(frame, 18 + 12, MemorySegment.ofArray(tuple), 0, 12);
    }

    @Benchmark
    public int classify() {
        return classifier.classify(frame, 0, (int) frame.byteSize());
    }

    @Benchmark
    public int classifyAndRss() {
        classifier.classify(frame, 0, (int) frame.byteSize());
        return Rss.hash(toeplitz, frame, 0, classifier, Rss.IP_TCP_UDP);
    }

    @Benchmark
    public int toeplitzTable() {
        return toeplitz.hash(frame, 18 + 12, 12, 0, 0);
    }

    @Benchmark
    public int toeplitzReference() {
        return Toeplitz.hashReference(Toeplitz.DEFAULT_KEY, tuple);
    }

    @Benchmark
    public int ipv4ChecksumFull() {
        return Checksum.ipv4Header(frame, 18, 20);
    }

    @Benchmark
    public int ipv4ChecksumIncremental() {
        return Checksum.update16(0xb861, 0x4011, 0x3f11);
    }
}
