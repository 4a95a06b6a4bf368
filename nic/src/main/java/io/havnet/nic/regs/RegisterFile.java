package io.havnet.nic.regs;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A function's BAR0: 32-bit registers read and written by software (the driver) and by the
 * device. A software write is a posted MMIO write: the value lands, then the device's write
 * hook sees it — that is how a tail write rings the doorbell. A VF's BAR is mapped straight into
 * its VM, so a guest's write here is not a VM exit.
 */
public final class RegisterFile {
    private static final VarHandle REG = MethodHandles.arrayElementVarHandle(int[].class);

    /** The device side of MMIO writes. */
    @FunctionalInterface
    public interface WriteHook {
        void onWrite(int offset, int value);
    }

    private final String name;
    private final int[] regs;
    private volatile WriteHook hook;

    public RegisterFile(String name, int sizeBytes) {
        this.name = name;
        this.regs = new int[sizeBytes / 4];
    }

    public String name() {
        return name;
    }

    public void setHook(WriteHook h) {
        this.hook = h;
    }

    /** Driver read (acquire: sees what the device wrote before). */
    public int read(int offset) {
        return (int) REG.getAcquire(regs, index(offset));
    }

    /** Driver write (release: everything written to memory before it is visible to the device). */
    public void write(int offset, int value) {
        REG.setRelease(regs, index(offset), value);
        WriteHook h = hook;
        if (h != null) {
            h.onWrite(offset, value);
        }
    }

    /** Device-side store: no hook. */
    public void set(int offset, int value) {
        REG.setRelease(regs, index(offset), value);
    }

    /** Device-side atomic bit set/clear; returns the previous value. */
    public int setBits(int offset, int bits) {
        return (int) REG.getAndBitwiseOr(regs, index(offset), bits);
    }

    public int clearBits(int offset, int bits) {
        return (int) REG.getAndBitwiseAnd(regs, index(offset), ~bits);
    }

    private int index(int offset) {
        if ((offset & 3) != 0 || offset < 0 || offset >>> 2 >= regs.length) {
            throw noRegister(offset); // out of line: index() stays small enough to inline into every access
        }
        return offset >>> 2;
    }

    private IllegalArgumentException noRegister(int offset) {
        return new IllegalArgumentException(String.format("%s: no register at 0x%05x", name, offset));
    }
}
