package io.havnet.nfv.ipsec;

import io.havnet.dataplane.crypto.CryptoBackend;

import java.util.ArrayList;
import java.util.List;

/**
 * The security association database: SAs by SPI in an open-addressing table of primitive keys,
 * so a lookup neither boxes nor allocates.
 */
public final class Sad implements AutoCloseable {
    private final int[] keys;
    private final Sa[] values;
    private final int mask;
    private final List<Sa> all = new ArrayList<>();

    public Sad(List<SaConfig> sas, CryptoBackend backend) {
        int cap = Integer.highestOneBit(Math.max(4, sas.size() * 2 - 1)) << 1;
        keys = new int[cap];
        values = new Sa[cap];
        mask = cap - 1;
        try {
            for (SaConfig c : sas) {
                Sa sa = new Sa(c, backend);
                all.add(sa);
                int i = slot(c.spi());
                while (values[i] != null) {
                    if (keys[i] == c.spi()) {
                        throw new IllegalArgumentException(String.format("SPI 0x%x is used by two SAs", c.spi()));
                    }
                    i = i + 1 & mask;
                }
                keys[i] = c.spi();
                values[i] = sa;
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    private int slot(int spi) {
        int h = spi * 0x9E3779B9;
        return (h ^ h >>> 16) & mask;
    }

    /** The SA with {@code spi}, or null. */
    public Sa get(int spi) {
        int i = slot(spi);
        while (true) {
            Sa v = values[i];
            if (v == null) {
                return null;
            }
            if (keys[i] == spi) {
                return v;
            }
            i = i + 1 & mask;
        }
    }

    public List<Sa> all() {
        return List.copyOf(all);
    }

    @Override
    public void close() {
        for (Sa s : all) {
            s.close();
        }
    }
}
