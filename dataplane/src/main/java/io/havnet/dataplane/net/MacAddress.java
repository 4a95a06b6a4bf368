package io.havnet.dataplane.net;

import java.util.Locale;

/**
 * A 48-bit Ethernet address. Fast paths keep MACs as the low 48 bits of a {@code long} (first
 * octet most significant); this record is for configuration and printing.
 */
public record MacAddress(long value) {
    public static final MacAddress BROADCAST = new MacAddress(0xFFFF_FFFF_FFFFL);
    public static final MacAddress ZERO = new MacAddress(0);

    public MacAddress {
        if ((value & ~0xFFFF_FFFF_FFFFL) != 0) {
            throw new IllegalArgumentException("MAC address wider than 48 bits: " + Long.toHexString(value));
        }
    }

    /** Parses {@code 02:00:00:00:00:01} (or with dashes). */
    public static MacAddress parse(String s) {
        String[] p = s.trim().split("[:-]", -1);
        if (p.length != 6) {
            throw new IllegalArgumentException("not a MAC address: '" + s + "' (expected xx:xx:xx:xx:xx:xx)");
        }
        long v = 0;
        for (String part : p) {
            if (part.length() != 2) {
                throw new IllegalArgumentException("not a MAC address: '" + s + "' (expected xx:xx:xx:xx:xx:xx)");
            }
            try {
                v = v << 8 | Integer.parseInt(part, 16);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a MAC address: '" + s + "' (expected xx:xx:xx:xx:xx:xx)");
            }
        }
        return new MacAddress(v);
    }

    /** A locally administered unicast address {@code 02:xx:..} built from {@code n}. */
    public static MacAddress local(long n) {
        return new MacAddress(0x0200_0000_0000L | (n & 0xFF_FFFF_FFFFL));
    }

    public static boolean isMulticast(long mac) {
        return (mac & 0x0100_0000_0000L) != 0;
    }

    public static boolean isBroadcast(long mac) {
        return mac == 0xFFFF_FFFF_FFFFL;
    }

    public boolean isMulticast() {
        return isMulticast(value);
    }

    public boolean isBroadcast() {
        return isBroadcast(value);
    }

    public boolean isUnicast() {
        return !isMulticast(value);
    }

    public static String toString(long mac) {
        return String.format(Locale.ROOT, "%02x:%02x:%02x:%02x:%02x:%02x", mac >>> 40 & 0xFF, mac >>> 32 & 0xFF,
                mac >>> 24 & 0xFF, mac >>> 16 & 0xFF, mac >>> 8 & 0xFF, mac & 0xFF);
    }

    @Override
    public String toString() {
        return toString(value);
    }
}
