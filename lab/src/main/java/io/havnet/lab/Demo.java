package io.havnet.lab;

import io.havnet.hypervisor.IoPath;
import io.havnet.lab.apps.GuestApps;
import io.havnet.lab.scenario.Scenario;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code havnet demo}: one host with VMs on each of the three paths (vSwitch, VMDq, SR-IOV VF),
 * all running {@code macswap}; the tester offers 64 B, 1518 B and IMIX frames to the paths,
 * which take turns in slices of at most a quarter second ({@link Experiment#phases}), and
 * measures what every component spent; then the hypervisor's cost is measured as the
 * number of VMs on each path grows (1, 2, 4, 8, 16), on the same host, by adding VMs while it runs.
 */
public final class Demo {
    /** VMs per path in the main runs. */
    public static final int VMS_PER_PATH = 4;

    /**
     * How long and how wide the demo runs.
     *
     * @param sizes         frame sizes of the main runs
     * @param seconds       measured seconds per main run
     * @param scaling       VM counts per path for the scaling runs (64 B)
     * @param scalingSeconds measured seconds per scaling run
     * @param warmUpSeconds  traffic on one thread before the lcores start (the JIT's first pass)
     * @param settleSeconds  at most this long on the lcores until the JIT is quiet, before the
     *                       first phase (and a share of it whenever VMs are added); 0: none
     */
    public record Plan(List<Scenario.FrameSize> sizes, double seconds, int[] scaling, double scalingSeconds,
                       double warmUpSeconds, double settleSeconds, long lineRateMbps) {
        /**
         * About 35 s: 64 B, 1518 B and IMIX; scaling 1, 2, 4, 8, 16 VMs; the JIT settles on the
         * lcores before the first phase (at most 4 s) and whenever VMs are added (at most 1.2 s,
         * 2.4 s before the main table).
         */
        public static Plan full() {
            return new Plan(List.of(new Scenario.FrameSize(64), new Scenario.FrameSize(1518), Scenario.FrameSize.IMIX), 0.8,
                    new int[] {1, 2, 4, 8, 16}, 0.25, 0.8, 4, 0);
        }

        /** About 5 s: 64 B and 1518 B; scaling 1 and 4 VMs; short warm-up, no settling (figures for a smoke test, not a report). */
        public static Plan quick() {
            return new Plan(List.of(new Scenario.FrameSize(64), new Scenario.FrameSize(1518)), 0.15, new int[] {1, 4},
                    0.1, 0.3, 0, 0);
        }

        /** This plan with the NIC's port paced at {@code mbps} Mbit/s each way (0: not paced). */
        public Plan withLineRate(long mbps) {
            return new Plan(sizes, seconds, scaling, scalingSeconds, warmUpSeconds, settleSeconds, mbps);
        }
    }

    private Demo() {}

    /** The embedded default: one VM per path to start with, room for 16 per path. */
    public static Scenario scenario(Plan plan) {
        List<Scenario.VmConf> vms = new ArrayList<>();
        for (IoPath p : IoPath.values()) {
            vms.add(vm(p, 0));
        }
        int max = 0;
        for (int n : plan.scaling()) {
            max = Math.max(max, n);
        }
        max = Math.max(max, VMS_PER_PATH);
        long memory = (3L * max * (32L << 20)) + (512L << 20);
        return new Scenario("demo", new Scenario.HostConf(memory, Math.max(16, max), 64, true, false, plan.lineRateMbps()),
                Scenario.WireConf.generator(),
                new Scenario.TrafficConf(plan.sizes(), 64, 0, 1, plan.seconds()), vms);
    }

    private static Scenario.VmConf vm(IoPath p, int i) {
        return new Scenario.VmConf(p.label() + "-" + i, p, 1, 32L << 20, null, -1, 0, "macswap", true, false, 0, null, null);
    }

    /**
     * Runs the demo; {@code progress} hears a line per path and size while it runs (the live
     * view) and section titles. Returns {@code {"scenario":..., "runs":[...], "scaling":[...]}}.
     */
    public static Map<String, Object> run(Plan plan, Consumer<String> progress) {
        Scenario s = scenario(plan);
        List<Map<String, Object>> runs = new ArrayList<>();
        List<Map<String, Object>> scaling = new ArrayList<>();
        int[] counts = plan.scaling().clone();
        java.util.Arrays.sort(counts);
        try (Experiment e = new Experiment(s)) {
            progress.accept("warming up (not measured)");
            // the lcores settle as run's do and go on running into the phases; Experiment.settle does it
            // again, shorter, whenever VMs are added
            e.warmUp(plan.warmUpSeconds(), plan.settleSeconds(), true);
            e.start();
            int ipIndex = s.vms().size();
            boolean mainDone = false;
            for (int n : counts) {
                if (!mainDone && n >= VMS_PER_PATH) {
                    ipIndex = grow(e, VMS_PER_PATH, ipIndex);
                    main(e, plan, runs, scaling, progress);
                    mainDone = true;
                    if (n == VMS_PER_PATH) {
                        continue;
                    }
                }
                int before = ipIndex;
                ipIndex = grow(e, n, ipIndex);
                progress.accept("scaling: " + n + " VM" + (n == 1 ? "" : "s") + " per path, 64 B");
                if (ipIndex > before) { // VMs were added: C2 recompiles (Experiment.settle)
                    e.settle(List.of(new Scenario.FrameSize(64)), plan.settleSeconds() * 0.3);
                }
                scaling.addAll(e.phases(List.of(IoPath.values()), new Scenario.FrameSize(64), plan.scalingSeconds(), progress));
            }
            if (!mainDone) {
                grow(e, VMS_PER_PATH, ipIndex);
                main(e, plan, runs, scaling, progress);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("scenario", "demo: " + VMS_PER_PATH + " macswap VMs per path, tester closed loop, "
                + s.traffic().inFlight() + " frames in flight per VM"
                + (plan.lineRateMbps() == 0 ? "" : String.format(java.util.Locale.ROOT, ", port paced at %,d Mbit/s", plan.lineRateMbps())));
        out.put("runs", runs);
        scaling.sort((a, b) -> Integer.compare((Integer) a.get("vms"), (Integer) b.get("vms")));
        out.put("scaling", scaling);
        return out;
    }

    private static void main(Experiment e, Plan plan, List<Map<String, Object>> runs, List<Map<String, Object>> scaling,
                             Consumer<String> progress) {
        progress.accept("warming up at " + VMS_PER_PATH + " VMs per path (not measured)");
        e.settle(plan.sizes(), plan.settleSeconds() * 0.6);
        for (Scenario.FrameSize size : plan.sizes()) {
            progress.accept(size + " frames, " + VMS_PER_PATH + " VMs per path");
            for (Map<String, Object> r : e.phases(List.of(IoPath.values()), size, plan.seconds(), progress)) {
                runs.add(r);
                if (!size.imix() && size.bytes() == 64) {
                    scaling.add(r);
                }
            }
        }
    }

    /** Adds VMs until every path has {@code n}; returns the next free address index. */
    private static int grow(Experiment e, int n, int ipIndex) {
        for (IoPath p : IoPath.values()) {
            long have = e.host().vms().stream().filter(v -> v.path() == p).count();
            for (long i = have; i < n; i++) {
                e.addVm(vm(p, (int) i), GuestApps.defaultIp(ipIndex++));
            }
        }
        return ipIndex;
    }
}
