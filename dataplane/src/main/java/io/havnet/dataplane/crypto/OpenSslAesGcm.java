package io.havnet.dataplane.crypto;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * AES-GCM through OpenSSL's EVP interface over FFM. Each instance owns two {@code EVP_CIPHER_CTX}
 * (seal and open) keyed once; a packet costs an IV-only re-init, the AAD, one in-place update over
 * the packet's own memory, the final and the tag — pointers are passed as addresses, so a packet
 * allocates nothing on the Java heap.
 */
final class OpenSslAesGcm implements AesGcm {
    private static final int EVP_CTRL_GCM_GET_TAG = 0x10;
    private static final int EVP_CTRL_GCM_SET_TAG = 0x11;
    private static final String REASON;
    private static final MethodHandle CTX_NEW;
    private static final MethodHandle CTX_FREE;
    private static final MethodHandle AES_128_GCM;
    private static final MethodHandle AES_256_GCM;
    private static final MethodHandle ENCRYPT_INIT;
    private static final MethodHandle ENCRYPT_UPDATE;
    private static final MethodHandle ENCRYPT_FINAL;
    private static final MethodHandle DECRYPT_INIT;
    private static final MethodHandle DECRYPT_UPDATE;
    private static final MethodHandle DECRYPT_FINAL;
    private static final MethodHandle CTX_CTRL;

    static {
        String reason = null;
        MethodHandle[] h = new MethodHandle[11];
        try {
            SymbolLookup lib = SymbolLookup.libraryLookup("libcrypto.so.3", Arena.global());
            Linker l = Linker.nativeLinker();
            Linker.Option crit = Linker.Option.critical(false);
            ValueLayout p = ValueLayout.JAVA_LONG; // pointers as addresses: no segment objects per call
            ValueLayout i = ValueLayout.JAVA_INT;
            h[0] = l.downcallHandle(lib.findOrThrow("EVP_CIPHER_CTX_new"), FunctionDescriptor.of(p));
            h[1] = l.downcallHandle(lib.findOrThrow("EVP_CIPHER_CTX_free"), FunctionDescriptor.ofVoid(p));
            h[2] = l.downcallHandle(lib.findOrThrow("EVP_aes_128_gcm"), FunctionDescriptor.of(p));
            h[3] = l.downcallHandle(lib.findOrThrow("EVP_aes_256_gcm"), FunctionDescriptor.of(p));
            FunctionDescriptor init = FunctionDescriptor.of(i, p, p, p, p, p);
            FunctionDescriptor update = FunctionDescriptor.of(i, p, p, p, p, i);
            FunctionDescriptor fin = FunctionDescriptor.of(i, p, p, p);
            h[4] = l.downcallHandle(lib.findOrThrow("EVP_EncryptInit_ex"), init, crit);
            h[5] = l.downcallHandle(lib.findOrThrow("EVP_EncryptUpdate"), update, crit);
            h[6] = l.downcallHandle(lib.findOrThrow("EVP_EncryptFinal_ex"), fin, crit);
            h[7] = l.downcallHandle(lib.findOrThrow("EVP_DecryptInit_ex"), init, crit);
            h[8] = l.downcallHandle(lib.findOrThrow("EVP_DecryptUpdate"), update, crit);
            h[9] = l.downcallHandle(lib.findOrThrow("EVP_DecryptFinal_ex"), fin, crit);
            h[10] = l.downcallHandle(lib.findOrThrow("EVP_CIPHER_CTX_ctrl"), FunctionDescriptor.of(i, p, i, i, p), crit);
        } catch (IllegalArgumentException | java.util.NoSuchElementException | IllegalCallerException e) {
            reason = "libcrypto.so.3 is not usable here (" + e.getMessage() + ")";
        }
        REASON = reason;
        CTX_NEW = h[0];
        CTX_FREE = h[1];
        AES_128_GCM = h[2];
        AES_256_GCM = h[3];
        ENCRYPT_INIT = h[4];
        ENCRYPT_UPDATE = h[5];
        ENCRYPT_FINAL = h[6];
        DECRYPT_INIT = h[7];
        DECRYPT_UPDATE = h[8];
        DECRYPT_FINAL = h[9];
        CTX_CTRL = h[10];
    }

    static boolean available() {
        return REASON == null;
    }

    static String unavailableReason() {
        return REASON;
    }

    private final Arena arena = Arena.ofShared();
    private final long enc;
    private final long dec;
    private final MemorySegment scratch; // nonce (12) | outl (4)
    private final long nonceAddr;
    private final long outlAddr;
    private boolean closed;

    OpenSslAesGcm(byte[] key, byte[] salt) {
        try {
            scratch = arena.allocate(64, 16);
            nonceAddr = scratch.address();
            outlAddr = scratch.address() + 16;
            MemorySegment.copy(salt, 0, scratch, ValueLayout.JAVA_BYTE, 0, 4);
            MemorySegment k = arena.allocate(key.length);
            MemorySegment.copy(key, 0, k, ValueLayout.JAVA_BYTE, 0, key.length);
            long cipher;
            if (key.length == 16) {
                cipher = (long) AES_128_GCM.invokeExact();
            } else {
                cipher = (long) AES_256_GCM.invokeExact();
            }
            enc = (long) CTX_NEW.invokeExact();
            dec = (long) CTX_NEW.invokeExact();
            if (enc == 0 || dec == 0) {
                throw new IllegalStateException("EVP_CIPHER_CTX_new failed");
            }
            if ((int) ENCRYPT_INIT.invokeExact(enc, cipher, 0L, k.address(), 0L) != 1
                    || (int) DECRYPT_INIT.invokeExact(dec, cipher, 0L, k.address(), 0L) != 1) {
                throw new IllegalStateException("EVP_*Init_ex with the key failed");
            }
            k.fill((byte) 0);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        } catch (Throwable t) {
            arena.close();
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void seal(MemorySegment s, long aadOff, int aadLen, long ivOff, long dataOff, int len, long tagOff) {
        check(s, aadOff, aadLen, dataOff, len, tagOff);
        MemorySegment.copy(s, ivOff, scratch, 4, IV_LENGTH);
        long base = s.address();
        try {
            int ok = (int) ENCRYPT_INIT.invokeExact(enc, 0L, 0L, 0L, nonceAddr);
            ok &= (int) ENCRYPT_UPDATE.invokeExact(enc, 0L, outlAddr, base + aadOff, aadLen);
            if (len > 0) {
                ok &= (int) ENCRYPT_UPDATE.invokeExact(enc, base + dataOff, outlAddr, base + dataOff, len);
            }
            ok &= (int) ENCRYPT_FINAL.invokeExact(enc, base + dataOff + len, outlAddr);
            ok &= (int) CTX_CTRL.invokeExact(enc, EVP_CTRL_GCM_GET_TAG, TAG_LENGTH, base + tagOff);
            if (ok != 1) {
                throw new IllegalStateException("OpenSSL AES-GCM seal failed");
            }
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public boolean open(MemorySegment s, long aadOff, int aadLen, long ivOff, long dataOff, int len, long tagOff) {
        check(s, aadOff, aadLen, dataOff, len, tagOff);
        MemorySegment.copy(s, ivOff, scratch, 4, IV_LENGTH);
        long base = s.address();
        try {
            int ok = (int) DECRYPT_INIT.invokeExact(dec, 0L, 0L, 0L, nonceAddr);
            ok &= (int) DECRYPT_UPDATE.invokeExact(dec, 0L, outlAddr, base + aadOff, aadLen);
            if (len > 0) {
                ok &= (int) DECRYPT_UPDATE.invokeExact(dec, base + dataOff, outlAddr, base + dataOff, len);
            }
            ok &= (int) CTX_CTRL.invokeExact(dec, EVP_CTRL_GCM_SET_TAG, TAG_LENGTH, base + tagOff);
            if (ok != 1) {
                throw new IllegalStateException("OpenSSL AES-GCM open failed before the tag check");
            }
            return (int) DECRYPT_FINAL.invokeExact(dec, base + dataOff + len, outlAddr) > 0;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Native code gets raw addresses, so the bounds are checked here, where Java still can. */
    private static void check(MemorySegment s, long aadOff, int aadLen, long dataOff, int len, long tagOff) {
        if (!s.isNative() || aadLen < 0 || len < 0 || aadOff < 0 || dataOff < 0 || tagOff < 0
                || aadOff + aadLen > s.byteSize() || dataOff + len > s.byteSize() || tagOff + TAG_LENGTH > s.byteSize()) {
            throw new IllegalArgumentException("AES-GCM: region outside the segment or not native memory");
        }
    }

    @Override
    public String backend() {
        return "openssl";
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            CTX_FREE.invokeExact(enc);
            CTX_FREE.invokeExact(dec);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        arena.close();
    }
}
