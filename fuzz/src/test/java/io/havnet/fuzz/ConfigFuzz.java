package io.havnet.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.havnet.lab.scenario.ScenarioLoader;
import io.havnet.nfv.acl.AclRules;
import io.havnet.nfv.config.ConfigException;
import io.havnet.nfv.ipsec.GatewayConfig;
import io.havnet.nfv.l3.RouteTable;

/**
 * Configuration files from outside: scenario YAML, IPsec gateway configs, route tables and ACLs.
 * Anything wrong must be a one-line {@link ConfigException}; nothing else may escape.
 */
public class ConfigFuzz {
    public static void fuzzerTestOneInput(FuzzedDataProvider in) {
        int which = in.consumeInt(0, 3);
        String text = in.consumeRemainingAsString();
        try {
            switch (which) {
                case 0 -> ScenarioLoader.parse("fuzz.yaml", text, null);
                case 1 -> GatewayConfig.parse("fuzz.yaml", text);
                case 2 -> RouteTable.parse("fuzz.yaml", text);
                default -> AclRules.parse("fuzz.yaml", text);
            }
        } catch (ConfigException e) {
            if (e.getMessage() == null || e.getMessage().chars().anyMatch(c -> c < 0x20 || c == 0x2028 || c == 0x2029)) {
                throw new IllegalStateException("a config error must be one line: " + e.getMessage());
            }
        }
    }

    @FuzzTest(maxDuration = "10s")
    void configs(FuzzedDataProvider in) {
        fuzzerTestOneInput(in);
    }
}
