package io.havnet.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.havnet.dataplane.net.PacketBuilder;
import io.havnet.dataplane.pmd.PcapWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static io.havnet.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.*;

/** havnet nf and havnet ipsec tunnel create, as a user runs them. */
class NfCommandsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static Path capture(Path dir, String src, String dst, int n) {
        Path p = dir.resolve("in-" + src + ".pcap");
        try (PcapWriter w = PcapWriter.create(p)) {
            for (int i = 0; i < n; i++) {
                byte[] f = PacketBuilder.ethernet(2, 1).ipv4(src, dst).udp(40000 + i, 33333).payload(new byte[i * 10]).build();
                w.write(i * 1000L, MemorySegment.ofArray(f), 0, f.length);
            }
        }
        return p;
    }

    @Test
    void tunnelCreateWritesAPairThatEncryptsAndDecrypts(@TempDir Path dir) throws Exception {
        CliTest.Run r = run("ipsec", "tunnel", "create", "--left", "203.0.113.1", "--right", "203.0.113.2", "--left-subnet",
                "10.1.0.0/16", "--right-subnet", "10.2.0.0/16", "--out", dir.resolve("gw").toString());
        assertEquals(0, r.code(), r.err());
        Path left = dir.resolve("gw/left.yaml");
        Path right = dir.resolve("gw/right.yaml");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(left)), "keys are secret");
        String l = Files.readString(left);
        assertTrue(l.contains("tunnel: {src: 203.0.113.1, dst: 203.0.113.2}"), l);
        assertTrue(l.contains("dir: out, src: 10.1.0.0/16, dst: 10.2.0.0/16, action: protect"), l);
        r = run("ipsec", "tunnel", "create", "--left", "203.0.113.1", "--right", "203.0.113.2", "--left-subnet",
                "10.1.0.0/16", "--right-subnet", "10.2.0.0/16", "--out", dir.resolve("gw").toString());
        assertEquals(2, r.code(), "no silent overwrite");

        Path in = capture(dir, "10.1.0.7", "10.2.0.9", 25);
        Path esp = dir.resolve("esp.pcap");
        Path back = dir.resolve("back.pcap");
        r = run("nf", "ipsec-encap", "--config", left.toString(), "--in", in.toString(), "--out", esp.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = JSON.readTree(r.out());
        assertEquals(25, j.get("counters").get("protected").asLong());
        r = run("nf", "ipsec-decap", "--config", right.toString(), "--in", esp.toString(), "--out", back.toString(), "--json",
                "--crypto", "jdk");
        assertEquals(0, r.code(), r.err());
        j = JSON.readTree(r.out());
        assertEquals(25, j.get("counters").get("decrypted").asLong(), j.toString());
        assertEquals(25, j.get("frames_written").asLong());
        assertEquals(frames(in), frames(back), "the restored capture holds the original frames");
        // left's inbound policy accepts only 10.2 -> 10.1 through the other SA: its own traffic is refused
        r = run("nf", "ipsec-decap", "--config", left.toString(), "--in", esp.toString(), "--out", back.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals(25, JSON.readTree(r.out()).get("drops").get("policy_mismatch").asLong(), r.out());
    }

    /** The frames of a (little-endian, microsecond) capture, timestamps left out. */
    static java.util.List<String> frames(Path pcap) throws Exception {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Files.readAllBytes(pcap)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.position(24);
        java.util.List<String> l = new java.util.ArrayList<>();
        while (b.remaining() >= 16) {
            b.position(b.position() + 8);
            int incl = b.getInt();
            b.getInt();
            byte[] f = new byte[incl];
            b.get(f);
            l.add(java.util.HexFormat.of().formatHex(f));
        }
        return l;
    }

    @Test
    void vlanAndVxlanFromTheCommandLine(@TempDir Path dir) throws Exception {
        Path in = capture(dir, "10.0.0.1", "10.0.0.2", 10);
        Path out = dir.resolve("out.pcap");
        CliTest.Run r = run("nf", "vlan-push", "--vid", "300", "--pcp", "4", "--in", in.toString(), "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("vlan-push: 10 frames read from " + in + ", 10 written to " + out), r.out());
        assertTrue(r.out().contains("pushed"), r.out());
        Path vx = dir.resolve("vx.pcap");
        r = run("nf", "vxlan-encap", "--vni", "77", "--local", "192.0.2.1", "--remote", "192.0.2.2", "--map", "300:3000",
                "--in", out.toString(), "--out", vx.toString(), "--json");
        assertEquals(0, r.code(), r.err());
        assertEquals(10, JSON.readTree(r.out()).get("counters").get("mapped").asLong());
    }

    @Test
    void badInputIsOneLineAndExit2(@TempDir Path dir) throws Exception {
        Path in = capture(dir, "10.0.0.1", "10.0.0.2", 1);
        Path out = dir.resolve("o.pcap");
        CliTest.Run r = run("nf", "vlan-push", "--vid", "5000", "--in", in.toString(), "--out", out.toString());
        assertEquals(2, r.code());
        assertEquals("havnet: vid 5000 is out of range [0, 4094]", r.err().strip());
        r = run("nf", "vlan-pop", "--in", dir.resolve("none.pcap").toString(), "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("none.pcap: no such file"), r.err());
        Path gw = dir.resolve("gw.yaml");
        Files.writeString(gw, "sas:\n  - spi: 0x1000\n    aead: aes-128-gcm\n    key: 0011\n    tunnel: {src: 1.1.1.1, dst: 2.2.2.2}\n");
        r = run("nf", "ipsec-encap", "--config", gw.toString(), "--in", in.toString(), "--out", out.toString());
        assertEquals(2, r.code());
        assertEquals("havnet: " + gw + ":4: sas[0].key: aes-128-gcm needs 20 bytes (16-byte key + 4-byte salt), got 2",
                r.err().strip());
        r = run("nf", "vxlan-encap", "--vni", "1", "--local", "1.2.3", "--remote", "1.1.1.1", "--in", in.toString(), "--out",
                out.toString());
        assertEquals(2, r.code());
        assertEquals("havnet: --local '1.2.3' is not an IPv4 address", r.err().strip());
        Path noDir = dir.resolve("no-such-dir").resolve("o.pcap");
        r = run("nf", "vlan-pop", "--in", in.toString(), "--out", noDir.toString());
        assertEquals(2, r.code());
        assertEquals("havnet: --out " + noDir + ": cannot create it (no such file or directory)", r.err().strip());
        r = run("nf", "vlan-pop", "--in", in.toString(), "--out", dir.toString());
        assertEquals(2, r.code());
        assertEquals("havnet: --out " + dir + " is a directory", r.err().strip());
        r = run("nf");
        assertEquals(2, r.code());
        r = run("ipsec", "tunnel", "create", "--left", "1.1.1.1", "--right", "1.1.1.2", "--left-subnet", "10.0.0.0/16",
                "--right-subnet", "10.1.0.0/16", "--out", in.toString());
        assertEquals(2, r.code());
        assertEquals("havnet: --out " + in + ": cannot write there (" + in + " exists and is not a directory)",
                r.err().strip());
        r = run("ipsec", "tunnel", "create", "--left", "1.1.1.1", "--right", "1.1.1.2", "--left-subnet", "10.0.0.0/8",
                "--right-subnet", "10.1.0.0/16", "--out", dir.toString());
        assertEquals(2, r.code());
        assertEquals("havnet: --left-subnet 10.0.0.0/8 and --right-subnet 10.1.0.0/16 overlap", r.err().strip());
        Path truncated = dir.resolve("cut.pcap");
        byte[] whole = Files.readAllBytes(in);
        Files.write(truncated, java.util.Arrays.copyOf(whole, whole.length - 5));
        r = run("nf", "vlan-pop", "--in", truncated.toString(), "--out", out.toString(), "--json");
        assertEquals(0, r.code(), "a damaged capture is counted, not fatal: " + r.err());
    }
}
