package io.havnet.nfv.fwd;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The forwarding modes of {@code set fwd MODE}. */
public enum FwdMode {
    IO, MAC, MACSWAP, RXONLY, TXONLY, FLOWGEN;

    /** Lower-case name as testpmd spells it. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a mode name; IllegalArgumentException listing the valid ones. */
    public static FwdMode parse(String s) {
        for (FwdMode m : values()) {
            if (m.label().equals(s)) {
                return m;
            }
        }
        throw new IllegalArgumentException("unknown forwarding mode '" + s + "' (expected "
                + Arrays.stream(values()).map(FwdMode::label).collect(Collectors.joining(", ")) + ")");
    }
}
