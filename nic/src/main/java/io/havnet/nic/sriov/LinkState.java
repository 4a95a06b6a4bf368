package io.havnet.nic.sriov;

/** A VF's administrative link state, as {@code ip link set DEV vf N state auto|enable|disable}. */
public enum LinkState {
    /** Follows the physical port's link. */
    AUTO,
    /** Up, whatever the port does (VF-to-VF traffic through the VEB keeps working). */
    ENABLE,
    /** Down: the VF neither receives nor transmits. */
    DISABLE;

    public static LinkState parse(String s) {
        return switch (s) {
            case "auto" -> AUTO;
            case "enable" -> ENABLE;
            case "disable" -> DISABLE;
            default -> throw new IllegalArgumentException("unknown link state '" + s + "' (expected auto, enable, disable)");
        };
    }

    public String label() {
        return name().toLowerCase();
    }
}
