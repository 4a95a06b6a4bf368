package io.havnet.nic.ipsec;

import io.havnet.dataplane.crypto.AesGcm;
import io.havnet.dataplane.crypto.CryptoBackend;

import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The inline IPsec engine's security associations (82599: 1024 TX and 1024 RX SAs). Each SA
 * belongs to a pool — the PF's or a VF's — and the engines apply it only to that pool's frames:
 * a VF cannot encrypt with, or receive decrypted through, another function's SA. TX SAs are found
 * by the index the driver puts in the context descriptor; RX SAs by (SPI, destination address)
 * in an immutable index the PF republishes on every change. Written by the PF driver only
 * (synchronized); read by the engines without locks. Keys live in the NIC's own crypto (the
 * JDK's AES-GCM: nothing native to free when an SA goes, however late an engine still holds it).
 */
public final class SaTable {
    public static final int SIZE = 1024;

    /** One SA: the pool it belongs to, SPI, destination (RX), and the keyed cipher. */
    public record Entry(int owner, int spi, int dst, AesGcm gcm) {}

    private final AtomicReferenceArray<Entry> tx = new AtomicReferenceArray<>(SIZE);
    private final AtomicReferenceArray<Entry> rx = new AtomicReferenceArray<>(SIZE);
    private volatile RxIndex rxIndex = new RxIndex(new long[16], new int[16]);

    /** Open addressing over (SPI, dst) → RX index, rebuilt whole on every change. */
    private record RxIndex(long[] keys, int[] values) {
        static long key(int spi, int dst) {
            return (long) spi << 32 | Integer.toUnsignedLong(dst);
        }

        int find(int spi, int dst) {
            long k = key(spi, dst);
            int mask = keys.length - 1;
            int i = Long.hashCode(k * 0x9E3779B97F4A7C15L) & mask;
            while (true) {
                int v = values[i];
                if (v == 0) {
                    return -1;
                }
                if (keys[i] == k) {
                    return v - 1;
                }
                i = i + 1 & mask;
            }
        }
    }

    /** Adds a TX SA for pool {@code owner}; returns its index, or -1 when the table is full. */
    public synchronized int addTx(int owner, int spi, byte[] key, byte[] salt) {
        for (int i = 0; i < SIZE; i++) {
            if (tx.get(i) == null) {
                tx.setRelease(i, new Entry(owner, spi, 0, CryptoBackend.JDK.create(key, salt)));
                return i;
            }
        }
        return -1;
    }

    /**
     * Adds an RX SA for pool {@code owner}; returns its index, -1 when the table is full.
     *
     * @throws IllegalArgumentException when (SPI, dst) is taken
     */
    public synchronized int addRx(int owner, int spi, int dst, byte[] key, byte[] salt) {
        if (rxIndex.find(spi, dst) >= 0) {
            throw new IllegalArgumentException(String.format("an RX SA for SPI 0x%x and this destination exists", spi));
        }
        for (int i = 0; i < SIZE; i++) {
            if (rx.get(i) == null) {
                rx.setRelease(i, new Entry(owner, spi, dst, CryptoBackend.JDK.create(key, salt)));
                rebuild();
                return i;
            }
        }
        return -1;
    }

    /** Removes SA {@code index} if pool {@code owner} holds it. */
    public synchronized boolean delete(boolean isRx, int index, int owner) {
        AtomicReferenceArray<Entry> t = isRx ? rx : tx;
        if (index < 0 || index >= SIZE) {
            return false;
        }
        Entry e = t.get(index);
        if (e == null || e.owner() != owner) {
            return false;
        }
        t.setRelease(index, null);
        if (isRx) {
            rebuild();
        }
        return true;
    }

    /** Removes every SA of pool {@code owner} (reset, VM gone); returns how many. */
    public synchronized int removeOwner(int owner) {
        int n = 0;
        for (int i = 0; i < SIZE; i++) {
            Entry a = tx.get(i);
            if (a != null && a.owner() == owner) {
                tx.setRelease(i, null);
                n++;
            }
            Entry b = rx.get(i);
            if (b != null && b.owner() == owner) {
                rx.setRelease(i, null);
                n++;
            }
        }
        if (n > 0) {
            rebuild();
        }
        return n;
    }

    /** SAs pool {@code owner} holds, both directions. */
    public synchronized int count(int owner) {
        int n = 0;
        for (int i = 0; i < SIZE; i++) {
            Entry a = tx.get(i);
            Entry b = rx.get(i);
            n += (a != null && a.owner() == owner ? 1 : 0) + (b != null && b.owner() == owner ? 1 : 0);
        }
        return n;
    }

    private void rebuild() {
        int live = 0;
        for (int i = 0; i < SIZE; i++) {
            if (rx.get(i) != null) {
                live++;
            }
        }
        int cap = Integer.highestOneBit(Math.max(8, live * 2)) << 1;
        long[] keys = new long[cap];
        int[] values = new int[cap];
        for (int i = 0; i < SIZE; i++) {
            Entry e = rx.get(i);
            if (e == null) {
                continue;
            }
            long k = RxIndex.key(e.spi(), e.dst());
            int j = Long.hashCode(k * 0x9E3779B97F4A7C15L) & cap - 1;
            while (values[j] != 0) {
                j = j + 1 & cap - 1;
            }
            keys[j] = k;
            values[j] = i + 1;
        }
        rxIndex = new RxIndex(keys, values);
    }

    /** The TX SA at {@code index}, or null. */
    public Entry tx(int index) {
        return index < 0 || index >= SIZE ? null : tx.getAcquire(index);
    }

    /** The RX SA for (SPI, dst), or null. */
    public Entry rx(int spi, int dst) {
        int i = rxIndex.find(spi, dst);
        return i < 0 ? null : rx.getAcquire(i);
    }
}
