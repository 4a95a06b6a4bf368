package io.havnet.nfv.ipsec;

/** The ESP combined-mode algorithms (RFC 4106), with the key material each takes (key + 4-byte salt). */
public enum Aead {
    AES_128_GCM("aes-128-gcm", 16), AES_256_GCM("aes-256-gcm", 32);

    private final String label;
    private final int keyLength;

    Aead(String label, int keyLength) {
        this.label = label;
        this.keyLength = keyLength;
    }

    public String label() {
        return label;
    }

    /** AES key bytes (the salt comes on top). */
    public int keyLength() {
        return keyLength;
    }

    /** Key material in a config: key + salt. */
    public int keyMaterialLength() {
        return keyLength + 4;
    }

    /** The name tshark's ESP SA table uses (the key length tells AES-128 from AES-256). */
    public String tsharkName() {
        return "AES-GCM with 16 octet ICV [RFC4106]";
    }

    public static Aead parse(String s) {
        for (Aead a : values()) {
            if (a.label.equals(s)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown aead '" + s + "' (expected aes-128-gcm, aes-256-gcm)");
    }
}
