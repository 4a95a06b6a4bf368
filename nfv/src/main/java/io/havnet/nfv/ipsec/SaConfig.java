package io.havnet.nfv.ipsec;

import io.havnet.dataplane.net.Net;

import java.util.HexFormat;

/**
 * A security association as configured: SPI, mode, algorithm, key material (AES key followed by
 * the 4-byte salt), tunnel endpoints (tunnel mode) and the receiver's replay window.
 */
public record SaConfig(int spi, Mode mode, Aead aead, byte[] keyMaterial, int tunnelSrc, int tunnelDst, int replayWindow) {
    public enum Mode { TUNNEL, TRANSPORT }

    public SaConfig {
        if (spi >= 0 && spi < 256) {
            throw new IllegalArgumentException("SPI " + spi + ": values 0-255 are reserved (RFC 4303 §2.1)");
        }
        if (keyMaterial.length != aead.keyMaterialLength()) {
            throw new IllegalArgumentException(aead.label() + " takes " + aead.keyMaterialLength() + " bytes of key "
                    + "material (" + aead.keyLength() + "-byte key + 4-byte salt), got " + keyMaterial.length);
        }
        keyMaterial = keyMaterial.clone();
        new ReplayWindow(replayWindow); // validates
    }

    public byte[] key() {
        return java.util.Arrays.copyOf(keyMaterial, aead.keyLength());
    }

    public byte[] salt() {
        return java.util.Arrays.copyOfRange(keyMaterial, aead.keyLength(), keyMaterial.length);
    }

    public String keyHex() {
        return HexFormat.of().formatHex(keyMaterial);
    }

    public String spiHex() {
        return String.format("0x%08x", spi);
    }

    @Override
    public String toString() {
        return "SA " + spiHex() + " " + mode.name().toLowerCase() + " " + aead.label()
                + (mode == Mode.TUNNEL ? " " + Net.ipv4ToString(tunnelSrc) + " -> " + Net.ipv4ToString(tunnelDst) : "");
    }
}
