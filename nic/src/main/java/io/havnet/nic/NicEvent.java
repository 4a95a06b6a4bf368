package io.havnet.nic;

/** Something the NIC reports to the PF driver's log: a VF disabled, a reset done. */
public record NicEvent(long nanoTime, String text) {
    @Override
    public String toString() {
        return text;
    }
}
