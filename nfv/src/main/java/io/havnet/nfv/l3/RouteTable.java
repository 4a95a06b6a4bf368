package io.havnet.nfv.l3;

import io.havnet.dataplane.net.MacAddress;
import io.havnet.dataplane.net.Net;
import io.havnet.nfv.config.ConfigNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A router's configuration: its own MAC (source of forwarded frames), the routes and the static
 * neighbour table their next hops resolve through:
 * <pre>
 * mac: 02:00:00:00:00:01
 * routes:
 *   - {prefix: 10.2.0.0/16, via: 02:00:00:00:02:01}
 *   - {prefix: 0.0.0.0/0, via: 02:00:00:00:00:fe}
 * </pre>
 */
public record RouteTable(MacAddress mac, List<Route> routes, List<MacAddress> neighbours) {
    /** One route; {@code neighbour} indexes {@link #neighbours()}. */
    public record Route(int prefix, int length, int neighbour) {
        @Override
        public String toString() {
            return Net.ipv4ToString(prefix) + "/" + length;
        }
    }

    public static RouteTable load(Path file) {
        return parse(ConfigNode.load(file));
    }

    public static RouteTable parse(String name, String text) {
        return parse(ConfigNode.parse(name, text));
    }

    private static RouteTable parse(ConfigNode root) {
        Map<String, ConfigNode> top = root.map(Set.of("mac", "routes"));
        if (!top.containsKey("mac")) {
            throw root.error("mac: required (the router's own MAC, source of forwarded frames)");
        }
        if (!top.containsKey("routes")) {
            throw root.error("routes: required");
        }
        MacAddress mac = top.get("mac").asMac();
        Map<Long, Integer> neighbourIds = new LinkedHashMap<>();
        List<MacAddress> neighbours = new ArrayList<>();
        List<Route> routes = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        for (ConfigNode r : top.get("routes").list()) {
            Map<String, ConfigNode> m = r.map(Set.of("prefix", "via"));
            if (!m.containsKey("prefix") || !m.containsKey("via")) {
                throw r.error("a route needs prefix and via");
            }
            int[] p = m.get("prefix").asIpv4Prefix();
            MacAddress via = m.get("via").asMac();
            if (!via.isUnicast()) {
                throw m.get("via").error(via + " is not a unicast address");
            }
            if (!seen.add((p[0] & 0xFFFFFFFFL) << 8 | p[1])) {
                throw m.get("prefix").error("route " + m.get("prefix").text() + " is given twice");
            }
            int id = neighbourIds.computeIfAbsent(via.value(), v -> {
                neighbours.add(via);
                return neighbours.size() - 1;
            });
            routes.add(new Route(p[0], p[1], id));
        }
        return new RouteTable(mac, List.copyOf(routes), List.copyOf(neighbours));
    }

    /** The LPM these routes make (next hop = neighbour index). */
    public Lpm toLpm() {
        Lpm l = new Lpm();
        for (Route r : routes) {
            l.add(r.prefix(), r.length(), r.neighbour());
        }
        return l;
    }
}
