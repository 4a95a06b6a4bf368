package io.havnet.dataplane.mbuf;

import io.havnet.dataplane.memory.MemoryRegion;
import io.havnet.dataplane.mempool.Mempool;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static io.havnet.dataplane.mbuf.MbufDescriptor.*;

/**
 * Creates mempools of packet buffers ({@code rte_pktmbuf_pool_create}): each element is
 * metadata + headroom + data room (see {@link MbufDescriptor}), with buf_addr, buf_iova and
 * buf_len written once at creation.
 */
public final class MbufPool {
    private MbufPool() {}

    /** {@code n} mbufs with the default 2048-byte data room and a 256-entry per-lcore cache. */
    public static Mempool create(String name, MemoryRegion region, int n) {
        return builder(name, region).count(n).build();
    }

    public static Builder builder(String name, MemoryRegion region) {
        return new Builder(name, region);
    }

    /** Bytes of region memory a pool of {@code n} mbufs of {@code dataRoom} bytes needs (no debug trailer). */
    public static long bytesFor(int n, int dataRoom) {
        return (long) n * MemoryRegion.alignUp(METADATA_SIZE + HEADROOM + dataRoom + 8, 64);
    }

    /** mbuf pool parameters. */
    public static final class Builder {
        private final String name;
        private final MemoryRegion region;
        private int count = 8191;
        private int cacheSize = 256;
        private int dataRoom = DEFAULT_DATA_ROOM;
        private boolean track;

        Builder(String name, MemoryRegion region) {
            this.name = name;
            this.region = region;
        }

        public Builder count(int n) {
            this.count = n;
            return this;
        }

        public Builder cacheSize(int n) {
            this.cacheSize = n;
            return this;
        }

        /** Bytes of data room after the headroom (default 2048). */
        public Builder dataRoom(int bytes) {
            this.dataRoom = bytes;
            return this;
        }

        public Builder trackAllocations(boolean on) {
            this.track = on;
            return this;
        }

        public Mempool build() {
            int bufLen = HEADROOM + dataRoom;
            if (dataRoom < 1 || bufLen > MAX_BUF_LEN) {
                throw new IllegalArgumentException("mbuf pool " + name + ": data room " + dataRoom
                        + " out of range [1, " + (MAX_BUF_LEN - HEADROOM) + "]");
            }
            return Mempool.builder(name, region)
                    .count(count)
                    .cacheSize(cacheSize)
                    .elementSize(METADATA_SIZE + bufLen)
                    .trackAllocations(track)
                    .init((pool, handle, off) -> {
                        MemorySegment s = pool.segment(); // off is the element's address in it
                        long buf = off + METADATA_SIZE;
                        s.set(ValueLayout.JAVA_LONG_UNALIGNED, off + BUF_ADDR, buf);
                        s.set(ValueLayout.JAVA_LONG_UNALIGNED, off + BUF_IOVA, region.iova(buf));
                        s.set(ValueLayout.JAVA_SHORT_UNALIGNED, off + BUF_LEN, (short) bufLen);
                        s.set(ValueLayout.JAVA_INT_UNALIGNED, off + REFCNT, 1);
                        s.set(ValueLayout.JAVA_INT_UNALIGNED, off + NEXT, Mbuf.NONE);
                    })
                    .build();
        }
    }
}
