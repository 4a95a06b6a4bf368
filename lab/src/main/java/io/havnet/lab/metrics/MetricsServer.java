package io.havnet.lab.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.havnet.dataplane.ethdev.EthDev;
import io.havnet.dataplane.stats.CounterDef;
import io.havnet.dataplane.stats.Counters;
import io.havnet.hypervisor.Host;
import io.havnet.hypervisor.Vm;
import io.havnet.hypervisor.accounting.Component;
import io.havnet.lab.Experiment;
import io.havnet.lab.control.VfAdmin;
import io.havnet.nic.sriov.VfInfo;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

/**
 * Serves a running experiment on 127.0.0.1 only:
 * <ul>
 *   <li>{@code GET /metrics}: every counter in the Prometheus text format (version 0.0.4) —
 *       NIC RX/TX, each component's CPU time, copies, lookups, VM exits, interrupts and drops by
 *       reason, each port's statistics, each VF's counters, IOMMU faults, the tester;</li>
 *   <li>{@code GET /vf}: {@code show pf0}; {@code POST /vf} with a body like
 *       {@code set pf0 vf 3 vlan 10}: VF administration ({@code havnet vf --connect}).</li>
 * </ul>
 */
public final class MetricsServer implements AutoCloseable {
    private final HttpServer server;
    private final Experiment experiment;
    private final VfAdmin vfAdmin;

    private MetricsServer(HttpServer server, Experiment e) {
        this.server = server;
        this.experiment = e;
        this.vfAdmin = new VfAdmin(e.host());
    }

    /** Starts serving on 127.0.0.1:{@code port} (0: any free port). */
    public static MetricsServer start(Experiment e, int port) {
        HttpServer s;
        try {
            s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 16);
        } catch (IOException ex) {
            throw new IllegalArgumentException("cannot listen on 127.0.0.1:" + port + ": " + ex.getMessage());
        }
        MetricsServer m = new MetricsServer(s, e);
        s.createContext("/metrics", m::metrics);
        s.createContext("/vf", m::vf);
        s.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "havnet-metrics");
            t.setDaemon(true);
            return t;
        }));
        s.start();
        return m;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void metrics(HttpExchange x) throws IOException {
        if (!x.getRequestMethod().equals("GET")) {
            reply(x, 405, "only GET\n");
            return;
        }
        reply(x, 200, render(), "text/plain; version=0.0.4; charset=utf-8");
    }

    private void vf(HttpExchange x) throws IOException {
        try {
            switch (x.getRequestMethod()) {
                case "GET" -> reply(x, 200, vfAdmin.show());
                case "POST" -> {
                    byte[] body = x.getRequestBody().readNBytes(4096);
                    String out = vfAdmin.execute(new String(body, StandardCharsets.UTF_8));
                    reply(x, 200, out);
                }
                default -> reply(x, 405, "only GET and POST\n");
            }
        } catch (IllegalArgumentException | IllegalStateException e) {
            reply(x, 400, e.getMessage() + "\n");
        }
    }

    private static void reply(HttpExchange x, int code, String body) throws IOException {
        reply(x, code, body, "text/plain; charset=utf-8");
    }

    private static void reply(HttpExchange x, int code, String body, String type) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", type);
        x.sendResponseHeaders(code, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            try (OutputStream o = x.getResponseBody()) {
                o.write(b);
            }
        }
        x.close();
    }

    /** The Prometheus exposition of everything the experiment counts. */
    public String render() {
        Host h = experiment.host();
        Families f = new Families();
        counters(f, "havnet_nic_", "NIC receive path", h.nic().counters().rx(), Map.of());
        counters(f, "havnet_nic_", "NIC transmit path", h.nic().counters().tx(), Map.of());
        for (Component.Snapshot s : h.accounting()) {
            Map<String, String> l = Map.of("component", s.name(), "kind", s.kind().name().toLowerCase());
            f.add("havnet_component_cpu_seconds_total", "counter", "CPU time spent by the component's agents", l,
                    s.cpuNanos() / 1e9);
            f.add("havnet_component_frames_total", "counter", "frames the component handled", l, s.frames());
            f.add("havnet_component_copies_total", "counter", "frame copies the component made", l, s.copies());
            f.add("havnet_component_bytes_copied_total", "counter", "bytes the component copied", l, s.bytesCopied());
            f.add("havnet_component_lookups_total", "counter", "MAC table lookups the component made", l, s.lookups());
            f.add("havnet_component_vm_exits_total", "counter", "VM exits (guest notifications trapped)", l, s.vmExits());
            f.add("havnet_component_interrupts_total", "counter", "interrupts injected into guests", l, s.interrupts());
            for (Map.Entry<String, Long> d : s.drops().entrySet()) {
                Map<String, String> dl = new LinkedHashMap<>(l);
                dl.put("reason", d.getKey());
                f.add("havnet_drops_total", "counter", "frames dropped, by where and why", dl, d.getValue());
            }
        }
        List<EthDev> ports = new ArrayList<>();
        ports.add(h.uplink());
        for (Vm v : h.vms()) {
            ports.add(v.vnic());
        }
        for (EthDev p : ports) {
            Map<String, String> l = Map.of("port", p.name());
            Map<String, Long> t = p.stats().totals();
            for (CounterDef d : io.havnet.dataplane.ethdev.EthStats.PORT_COUNTERS) {
                f.add("havnet_port_" + d.name() + "_total", "counter", "port " + d.help(), l, t.get(d.name()));
            }
        }
        for (int vf = 0; vf < h.nic().numVfs(); vf++) {
            VfInfo i = h.pf().vfInfo(vf);
            Map<String, String> l = Map.of("vf", Integer.toString(vf));
            f.add("havnet_vf_rx_packets_total", "counter", "frames the VF received", l, i.rxPackets());
            f.add("havnet_vf_rx_bytes_total", "counter", "bytes the VF received", l, i.rxBytes());
            f.add("havnet_vf_rx_dropped_total", "counter", "frames for the VF dropped", l, i.rxDropped());
            f.add("havnet_vf_tx_packets_total", "counter", "frames the VF sent", l, i.txPackets());
            f.add("havnet_vf_tx_bytes_total", "counter", "bytes the VF sent", l, i.txBytes());
            f.add("havnet_vf_tx_dropped_total", "counter", "frames from the VF dropped", l, i.txDropped());
            f.add("havnet_vf_tx_spoofed_total", "counter", "frames from the VF dropped by anti-spoofing", l, i.txSpoofed());
            f.add("havnet_vf_mdd_events_total", "counter", "malicious driver detection events", l, i.mddEvents());
            f.add("havnet_vf_link_up", "gauge", "1 when the VF's link is up", l, i.linkUp() ? 1 : 0);
        }
        f.add("havnet_iommu_faults_total", "counter", "DMA requests the IOMMU refused", Map.of(),
                h.platform().iommu().faults().total());
        if (experiment.tester() != null) {
            f.add("havnet_tester_offered_total", "counter", "probes the tester put on the wire", Map.of(),
                    experiment.tester().offered());
            f.add("havnet_tester_delivered_total", "counter", "probes that came back to the tester", Map.of(),
                    experiment.tester().delivered());
        }
        f.add("havnet_vms", "gauge", "VMs on the host", Map.of(), h.vms().size());
        Map<io.havnet.hypervisor.Vm.State, Long> byState = new java.util.EnumMap<>(io.havnet.hypervisor.Vm.State.class);
        for (io.havnet.hypervisor.Vm v : h.vms()) {
            byState.merge(v.state(), 1L, Long::sum);
        }
        for (io.havnet.hypervisor.Vm.State st : new io.havnet.hypervisor.Vm.State[] {io.havnet.hypervisor.Vm.State.CRASHED,
            io.havnet.hypervisor.Vm.State.HUNG}) {
            f.add("havnet_vms_by_state", "gauge", "VMs whose guest crashed or hung", Map.of("state",
                    st.name().toLowerCase(java.util.Locale.ROOT)), byState.getOrDefault(st, 0L));
        }
        f.add("havnet_vms_quarantined", "gauge", "destroyed VMs whose memory is held until their hung code returns",
                Map.of(), h.quarantined().size());
        return f.render();
    }

    private static void counters(Families f, String prefix, String what, Counters c, Map<String, String> labels) {
        for (int i = 0; i < c.size(); i++) {
            CounterDef d = c.defs().get(i);
            f.add(prefix + d.name() + "_total", "counter", what + ": " + d.help() + " (" + d.unit() + ")", labels,
                    c.get(i));
        }
    }

    /** Metric families in first-seen order, each with its HELP and TYPE once. */
    private static final class Families {
        private final Map<String, StringBuilder> lines = new LinkedHashMap<>();

        void add(String name, String type, String help, Map<String, String> labels, double value) {
            StringBuilder b = lines.computeIfAbsent(name, n -> new StringBuilder()
                    .append("# HELP ").append(n).append(' ').append(help.replace("\\", "\\\\").replace("\n", " ")).append('\n')
                    .append("# TYPE ").append(n).append(' ').append(type).append('\n'));
            b.append(name);
            if (!labels.isEmpty()) {
                b.append('{');
                boolean first = true;
                for (Map.Entry<String, String> e : new java.util.TreeMap<>(labels).entrySet()) {
                    if (!first) {
                        b.append(',');
                    }
                    first = false;
                    b.append(e.getKey()).append("=\"").append(e.getValue().replace("\\", "\\\\").replace("\"", "\\\"")
                            .replace("\n", "\\n")).append('"');
                }
                b.append('}');
            }
            b.append(' ');
            if (value == Math.rint(value) && Math.abs(value) < 1e15) {
                b.append((long) value);
            } else {
                b.append(value);
            }
            b.append('\n');
        }

        String render() {
            StringBuilder b = new StringBuilder();
            lines.values().forEach(b::append);
            return b.toString();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) executor()).shutdownNow();
    }

    private java.util.concurrent.Executor executor() {
        return server.getExecutor();
    }
}
