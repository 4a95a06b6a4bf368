package io.havnet.nfv.ipsec;

import io.havnet.dataplane.crypto.CryptoBackend;
import io.havnet.dataplane.TestEnv;
import io.havnet.nfv.Interop;
import io.havnet.nfv.PcapRun;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * ESP (RFC 4303, AES-GCM RFC 4106) against scapy's SecurityAssociation and tshark's ESP
 * dissector: what scapy encrypts havnet decrypts byte for byte; what havnet encrypts scapy
 * decrypts and tshark authenticates (ICV good). Tunnel and transport mode, AES-128 and AES-256,
 * both crypto backends.
 */
class EspInteropTest {
    static final String KEY128 = "00112233445566778899aabbccddeeffcafebabe";
    static final String KEY256 = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeffdecafbad";

    static String config(String mode, String aead, String key) {
        return "sas:\n  - spi: 0x1000\n    mode: " + mode + "\n    aead: " + aead + "\n    key: " + key + "\n"
                + (mode.equals("tunnel") ? "    tunnel: {src: 203.0.113.1, dst: 203.0.113.2}\n" : "")
                + "policies:\n  - {src: 10.1.0.0/16, dst: 10.2.0.0/16, action: protect, spi: 0x1000}\n";
    }

    /** scapy writes plain.pcap: UDP, TCP and ICMP packets 10.1/16 → 10.2/16 of many sizes (odd ones too). */
    static final String PLAIN = """
            pk = []
            for i in range(1, 40):
                inner = IP(src="10.1.0.%d" % i, dst="10.2.%d.9" % (i % 3), tos=i % 4, id=i)
                if i % 3 == 0:
                    l4 = TCP(sport=1000 + i, dport=80, flags="S")
                elif i % 3 == 1:
                    l4 = UDP(sport=40000 + i, dport=33333)  # ports no tshark dissector claims
                else:
                    l4 = ICMP(id=i, seq=i)
                pk.append(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / inner / l4 / Raw(bytes((i * 37 + k) % 256 for k in range(i * 31 % 1300))))
            wrpcap(sys.argv[1], pk)
            """;

    static final String SA = """
            from scapy.layers.ipsec import SecurityAssociation, ESP
            mode, key = sys.argv[2], bytes.fromhex(sys.argv[3])
            if mode == "tunnel":
                sa = SecurityAssociation(ESP, spi=0x1000, crypt_algo='AES-GCM', crypt_key=key, tunnel_header=IP(src="203.0.113.1", dst="203.0.113.2"))
            else:
                sa = SecurityAssociation(ESP, spi=0x1000, crypt_algo='AES-GCM', crypt_key=key)
            """;

    @ParameterizedTest
    @CsvSource({"tunnel,aes-128-gcm,JDK", "tunnel,aes-256-gcm,JDK", "transport,aes-128-gcm,JDK",
            "tunnel,aes-128-gcm,OPENSSL", "transport,aes-256-gcm,OPENSSL"})
    void havnetEncryptsWhatScapyAndTsharkAccept(String mode, String aead, CryptoBackend backend, @TempDir Path dir)
            throws Exception {
        Interop.requireScapy();
        Interop.requireTshark();
        TestEnv.require(backend.available(), "crypto backend " + backend.label() + ": " + backend.unavailableReason());
        String key = aead.equals("aes-128-gcm") ? KEY128 : KEY256;
        GatewayConfig c = GatewayConfig.parse("gw.yaml", config(mode, aead, key));
        Path plain = dir.resolve("plain.pcap");
        Path esp = dir.resolve("esp.pcap");
        Interop.scapy(PLAIN, plain);
        try (Sad sad = new Sad(c.sas(), backend)) {
            PcapRun.Result r = PcapRun.run(plain, esp, 32, (rx, tx) -> new EspEncap(rx, tx, 32, c, sad));
            assertEquals(39, r.counters().get("protected"));
            assertEquals(Map.of(), r.drops());
        }
        String out = Interop.scapy(SA + """
                plain = rdpcap(sys.argv[1]); esp = rdpcap(sys.argv[4])
                seqs = [e[ESP].seq for e in esp]  # decrypt() changes the packet in place
                good = 0
                for p, e in zip(plain, esp):
                    assert e[IP].proto == 50, e.summary()
                    if mode == "tunnel":
                        assert (e[IP].src, e[IP].dst) == ("203.0.113.1", "203.0.113.2")
                    d = sa.decrypt(e[IP])
                    if bytes(d) == bytes(p[IP]):
                        good += 1
                    else:
                        print("differs:", p.summary())
                print("decrypted", good, "of", len(plain), "seq", seqs[:3])
                """, plain, mode, key, esp);
        assertTrue(out.contains("decrypted 39 of 39 seq [1, 2, 3]"), out);
        String src = mode.equals("tunnel") ? "203.0.113.1" : "10.1.0.*";
        String dst = mode.equals("tunnel") ? "203.0.113.2" : "*";
        String icv = Interop.tshark(esp, "-o", "esp.enable_encryption_decode:TRUE", "-o", "esp.enable_authentication_check:TRUE",
                "-o", "uat:esp_sa:\"IPv4\",\"" + src + "\",\"" + dst + "\",\"0x00001000\",\"" + Aead.parse(aead).tsharkName()
                        + "\",\"0x" + key + "\",\"NULL\",\"\"", "-T", "fields", "-e", "esp.icv_good", "-e", "esp.sequence");
        List<String> lines = icv.lines().toList();
        assertEquals(39, lines.size(), icv);
        for (int i = 0; i < lines.size(); i++) {
            assertEquals("1\t" + (i + 1), lines.get(i), "tshark: ICV good and sequence " + (i + 1));
        }
    }

    @ParameterizedTest
    @CsvSource({"tunnel,aes-128-gcm,JDK", "transport,aes-256-gcm,JDK", "tunnel,aes-256-gcm,OPENSSL"})
    void havnetDecryptsWhatScapyEncryptsByteForByte(String mode, String aead, CryptoBackend backend, @TempDir Path dir)
            throws Exception {
        Interop.requireScapy();
        TestEnv.require(backend.available(), "crypto backend " + backend.label() + ": " + backend.unavailableReason());
        String key = aead.equals("aes-128-gcm") ? KEY128 : KEY256;
        GatewayConfig c = GatewayConfig.parse("gw.yaml", config(mode, aead, key));
        Path plain = dir.resolve("plain.pcap");
        Path esp = dir.resolve("scapy-esp.pcap");
        Path back = dir.resolve("back.pcap");
        Interop.scapy(PLAIN, plain);
        Interop.scapy(SA + """
                out = []
                for i, p in enumerate(rdpcap(sys.argv[1])):
                    sa.seq_num = i + 1
                    out.append(Ether(src=p.src, dst=p.dst) / sa.encrypt(p[IP]))
                wrpcap(sys.argv[4], out)
                """, plain, mode, key, esp);
        try (Sad sad = new Sad(c.sas(), backend)) {
            PcapRun.Result r = PcapRun.run(esp, back, 32, (rx, tx) -> new EspDecap(rx, tx, 32, c, sad));
            assertEquals(39, r.counters().get("decrypted"), r.counters().toString());
        }
        String out = Interop.scapy("""
                a = rdpcap(sys.argv[1]); b = rdpcap(sys.argv[2])
                print(len(a), len(b), sum(bytes(x) == bytes(y) for x, y in zip(a, b)))
                """, plain, back);
        assertEquals("39 39 39", out.strip(), "every restored frame equals the original, byte for byte");
    }
}
