package io.havnet.dataplane.crypto;

import java.lang.foreign.MemorySegment;

/**
 * AES-GCM with one key and salt (RFC 4106: the 12-byte nonce is the 4-byte salt followed by the
 * packet's 8-byte explicit IV), working in place on packet memory. One instance belongs to one
 * thread (an SA's lcore); {@link #close()} releases it.
 */
public interface AesGcm extends AutoCloseable {
    int TAG_LENGTH = 16;
    int IV_LENGTH = 8;

    /**
     * Encrypts {@code len} bytes at {@code dataOff} in place and writes the 16-byte tag at
     * {@code tagOff}; {@code aadLen} bytes at {@code aadOff} are authenticated, the nonce is
     * salt || the 8 bytes at {@code ivOff}.
     */
    void seal(MemorySegment s, long aadOff, int aadLen, long ivOff, long dataOff, int len, long tagOff);

    /**
     * Decrypts {@code len} bytes at {@code dataOff} in place if the tag at {@code tagOff}
     * verifies; returns false (data unspecified) when it does not.
     */
    boolean open(MemorySegment s, long aadOff, int aadLen, long ivOff, long dataOff, int len, long tagOff);

    /** The backend's name ({@code jdk}, {@code openssl}). */
    String backend();

    @Override
    void close();
}
