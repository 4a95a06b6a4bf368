package io.havnet.nfv.ipsec;

import io.havnet.dataplane.net.Net;

import java.security.SecureRandom;
import java.util.List;

/**
 * {@code havnet ipsec tunnel create}: a matched pair of gateway configurations for a site-to-site
 * tunnel — one SA each way (fresh SPIs and keys from a {@link SecureRandom}), on each side an
 * {@code out} policy protecting its subnet's traffic to the other subnet and an {@code in} policy
 * accepting the other direction only through the other SA.
 */
public final class TunnelFactory {
    /** The two sides' configurations. */
    public record Pair(GatewayConfig left, GatewayConfig right) {}

    private TunnelFactory() {}

    /**
     * @param leftSubnet  {address, length}
     * @param rightSubnet {address, length}
     */
    public static Pair create(int left, int right, int[] leftSubnet, int[] rightSubnet, Aead aead, int replayWindow,
                              SecureRandom random) {
        if (left == right) {
            throw new IllegalArgumentException("--left and --right are the same address");
        }
        int lm = Policy.mask(leftSubnet[1]);
        int rm = Policy.mask(rightSubnet[1]);
        if ((leftSubnet[0] & lm) != leftSubnet[0] || (rightSubnet[0] & rm) != rightSubnet[0]) {
            throw new IllegalArgumentException("subnets must not have host bits set");
        }
        int common = Policy.mask(Math.min(leftSubnet[1], rightSubnet[1]));
        if ((leftSubnet[0] & common) == (rightSubnet[0] & common)) {
            throw new IllegalArgumentException("--left-subnet " + prefix(leftSubnet) + " and --right-subnet "
                    + prefix(rightSubnet) + " overlap");
        }
        new ReplayWindow(replayWindow);
        int spiOut;
        int spiIn;
        do {
            spiOut = random.nextInt();
            spiIn = random.nextInt();
        } while (Integer.compareUnsigned(spiOut, 256) < 0 || Integer.compareUnsigned(spiIn, 256) < 0 || spiOut == spiIn);
        byte[] k1 = new byte[aead.keyMaterialLength()];
        byte[] k2 = new byte[aead.keyMaterialLength()];
        random.nextBytes(k1);
        random.nextBytes(k2);
        SaConfig l2r = new SaConfig(spiOut, SaConfig.Mode.TUNNEL, aead, k1, left, right, replayWindow);
        SaConfig r2l = new SaConfig(spiIn, SaConfig.Mode.TUNNEL, aead, k2, right, left, replayWindow);
        GatewayConfig l = new GatewayConfig(List.of(l2r, r2l), List.of(
                policy(Policy.Dir.OUT, leftSubnet, rightSubnet, spiOut),
                policy(Policy.Dir.IN, rightSubnet, leftSubnet, spiIn)));
        GatewayConfig r = new GatewayConfig(List.of(r2l, l2r), List.of(
                policy(Policy.Dir.OUT, rightSubnet, leftSubnet, spiIn),
                policy(Policy.Dir.IN, leftSubnet, rightSubnet, spiOut)));
        return new Pair(l, r);
    }

    private static Policy policy(Policy.Dir dir, int[] src, int[] dst, int spi) {
        return new Policy(dir, src[0], src[1], dst[0], dst[1], -1, 0, 65535, 0, 65535, Policy.Action.PROTECT, spi);
    }

    private static String prefix(int[] p) {
        return Net.ipv4ToString(p[0]) + "/" + p[1];
    }
}
