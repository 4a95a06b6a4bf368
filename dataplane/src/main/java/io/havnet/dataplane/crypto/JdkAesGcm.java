package io.havnet.dataplane.crypto;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.security.GeneralSecurityException;

/**
 * AES-GCM through {@code javax.crypto}: the packet bytes are copied into a scratch array, the
 * cipher is initialised with the packet's nonce (GCM forbids reusing one, so every packet needs
 * an {@code init}, which allocates a parameter object and internal state inside the JDK), and
 * the result is copied back.
 */
final class JdkAesGcm implements AesGcm {
    private static final int MAX = 65536;
    private final Cipher cipher;
    private final SecretKeySpec key;
    private final byte[] nonce = new byte[12];
    private final byte[] aad = new byte[64];
    private final byte[] in = new byte[MAX + TAG_LENGTH];
    private final byte[] out = new byte[MAX + TAG_LENGTH];

    JdkAesGcm(byte[] key, byte[] salt) {
        try {
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no AES/GCM/NoPadding: " + e.getMessage(), e);
        }
        this.key = new SecretKeySpec(key.clone(), "AES");
        System.arraycopy(salt, 0, nonce, 0, 4);
    }

    private void init(int mode, MemorySegment s, long aadOff, int aadLen, long ivOff) {
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, ivOff, nonce, 4, IV_LENGTH);
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, aadOff, aad, 0, aadLen);
        try {
            cipher.init(mode, key, new GCMParameterSpec(128, nonce));
            cipher.updateAAD(aad, 0, aadLen);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM init: " + e.getMessage(), e);
        }
    }

    @Override
    public void seal(MemorySegment s, long aadOff, int aadLen, long ivOff, long dataOff, int len, long tagOff) {
        check(len, aadLen);
        init(Cipher.ENCRYPT_MODE, s, aadOff, aadLen, ivOff);
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, dataOff, in, 0, len);
        try {
            int n = cipher.doFinal(in, 0, len, out, 0);
            if (n != len + TAG_LENGTH) {
                throw new IllegalStateException("AES-GCM produced " + n + " bytes for " + len);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM seal: " + e.getMessage(), e);
        }
        MemorySegment.copy(out, 0, s, ValueLayout.JAVA_BYTE, dataOff, len);
        MemorySegment.copy(out, len, s, ValueLayout.JAVA_BYTE, tagOff, TAG_LENGTH);
    }

    @Override
    public boolean open(MemorySegment s, long aadOff, int aadLen, long ivOff, long dataOff, int len, long tagOff) {
        check(len, aadLen);
        init(Cipher.DECRYPT_MODE, s, aadOff, aadLen, ivOff);
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, dataOff, in, 0, len);
        MemorySegment.copy(s, ValueLayout.JAVA_BYTE, tagOff, in, len, TAG_LENGTH);
        try {
            cipher.doFinal(in, 0, len + TAG_LENGTH, out, 0);
        } catch (AEADBadTagException e) {
            return false;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM open: " + e.getMessage(), e);
        }
        MemorySegment.copy(out, 0, s, ValueLayout.JAVA_BYTE, dataOff, len);
        return true;
    }

    private void check(int len, int aadLen) {
        if (len < 0 || len > MAX || aadLen < 0 || aadLen > aad.length) {
            throw new IllegalArgumentException("AES-GCM: " + len + " data bytes and " + aadLen + " AAD bytes out of range");
        }
    }

    @Override
    public String backend() {
        return "jdk";
    }

    @Override
    public void close() {
        // nothing native
    }
}
