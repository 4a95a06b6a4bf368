package io.havnet.dataplane.crypto;

import java.util.Locale;

/**
 * Where AES-GCM comes from: the JDK's {@code javax.crypto} (the default, always there) or
 * OpenSSL's libcrypto through FFM (a context per key reused for every packet, working directly on
 * packet memory: no copy, no allocation). Chosen once at start-up with the system property
 * {@code havnet.crypto=jdk|openssl} (or per call site).
 */
public enum CryptoBackend {
    JDK, OPENSSL;

    /** The backend named by {@code havnet.crypto} (default jdk). */
    public static CryptoBackend configured() {
        return parse(System.getProperty("havnet.crypto", "jdk"));
    }

    public static CryptoBackend parse(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "jdk" -> JDK;
            case "openssl" -> OPENSSL;
            default -> throw new IllegalArgumentException("unknown crypto backend '" + s + "' (expected jdk, openssl)");
        };
    }

    /** True when this backend works here (OpenSSL: libcrypto.so.3 found). */
    public boolean available() {
        return this == JDK || OpenSslAesGcm.available();
    }

    /** Why it does not work here, or null. */
    public String unavailableReason() {
        return this == JDK ? null : OpenSslAesGcm.unavailableReason();
    }

    /** A new AES-GCM instance for {@code key} (16 or 32 bytes) and {@code salt} (4 bytes). */
    public AesGcm create(byte[] key, byte[] salt) {
        if (key.length != 16 && key.length != 32) {
            throw new IllegalArgumentException("AES-GCM key must be 16 or 32 bytes, got " + key.length);
        }
        if (salt.length != 4) {
            throw new IllegalArgumentException("AES-GCM salt must be 4 bytes, got " + salt.length);
        }
        return switch (this) {
            case JDK -> new JdkAesGcm(key, salt);
            case OPENSSL -> {
                if (!OpenSslAesGcm.available()) {
                    throw new IllegalStateException("crypto backend openssl: " + OpenSslAesGcm.unavailableReason());
                }
                yield new OpenSslAesGcm(key, salt);
            }
        };
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
