package io.havnet.lab;

import io.havnet.hypervisor.IoPath;
import io.havnet.lab.scenario.Scenario;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Paths measured together take turns: the demo's and {@code run}'s comparison of the three paths
 * shares the machine's moment instead of giving each path its own (this VM's speed drifts by tens
 * of percent from one second to the next).
 */
class PhasesTest {
    @Test
    void pathsMeasuredTogetherTakeTurnsInSlicesAndEachSumConservesFrames() {
        try (Experiment e = new Experiment(Demo.scenario(Demo.Plan.quick()))) {
            e.warmUp(0.05);
            List<String> lines = new ArrayList<>();
            List<IoPath> paths = List.of(IoPath.values());
            List<Map<String, Object>> runs = e.phases(paths, new Scenario.FrameSize(64), 0.6, lines::add);

            // live lines name the path measured; collapsed to one per slice, they go round the paths
            List<String> turns = new ArrayList<>();
            int lastLive = -1;
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i);
                if (l.startsWith("  ")) {
                    String path = l.strip().split(" +")[0];
                    if (turns.isEmpty() || !turns.getLast().equals(path)) {
                        turns.add(path);
                    }
                    lastLive = i;
                }
            }
            List<String> expected = new ArrayList<>();
            for (int slice = 0; slice < 3; slice++) { // 0.6 s in slices of at most 0.25 s
                for (IoPath p : paths) {
                    expected.add(p.label());
                }
            }
            assertEquals(expected, turns, "the paths take turns, one slice each: " + lines);
            List<String> averages = lines.stream().filter(l -> l.startsWith("= ")).toList();
            assertEquals(3, averages.size(), lines.toString());
            assertTrue(lines.indexOf(averages.getFirst()) > lastLive, "each path's average comes once all slices ran");

            assertEquals(3, runs.size());
            for (int i = 0; i < 3; i++) {
                Map<String, Object> r = runs.get(i);
                assertEquals(paths.get(i).label(), r.get("path"));
                assertEquals(3, r.get("slices"), r.toString());
                double seconds = (Double) r.get("seconds");
                assertTrue(seconds >= 0.6 && seconds < 0.75, "the windows of the slices sum to the phase: " + r);
                long offered = (Long) r.get("offered");
                long delivered = (Long) r.get("delivered");
                long replicas = (Long) r.get("replicas");
                @SuppressWarnings("unchecked")
                long drops = ((Map<String, Long>) r.get("drops")).values().stream().mapToLong(Long::longValue).sum();
                assertTrue(delivered > 0, r.toString());
                assertEquals(offered + replicas, delivered + drops, "every offered frame came back or was counted: " + r);
                assertTrue((Double) r.get("mpps") > 0, r.toString());
            }
            assertEquals(0.0, runs.get(2).get("hypervisor_ns_per_pkt"), "sriov: the hypervisor is off the path");
            assertEquals(2.0, (Double) runs.get(0).get("copies_per_pkt"), 0.01, "vswitch: a copy each way");

            Map<String, Object> one = e.phase(IoPath.SRIOV, new Scenario.FrameSize(64), 0.6, null);
            assertNull(one.get("slices"), "a path measured alone runs in one piece: " + one);
        }
    }

    @Test
    void slicesAreAtMostAQuarterSecondAndAtMostEightPerPath() {
        assertEquals(4, Experiment.slices(3, 0.8), "the demo's 0.8 s: four of 0.2 s");
        assertEquals(1, Experiment.slices(3, 0.25), "the demo's scaling runs");
        assertEquals(1, Experiment.slices(3, 0.1));
        assertEquals(2, Experiment.slices(2, 0.3));
        assertEquals(8, Experiment.slices(3, 2.0));
        assertEquals(8, Experiment.slices(3, 30), "a long phase: eight slices of 3.75 s, not 120 warm-ups");
        assertEquals(1, Experiment.slices(1, 30), "one path alone takes no turns");
    }
}
