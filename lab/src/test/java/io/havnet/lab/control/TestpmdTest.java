package io.havnet.lab.control;

import io.havnet.lab.Demo;
import io.havnet.lab.Experiment;
import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** The testpmd shell over a live host, through its public API. */
class TestpmdTest {
    private static long lost(String out) {
        Matcher m = Pattern.compile("Tester-offered: (\\d+) +Tester-returned: (\\d+) +Lost: (\\d+)").matcher(out);
        assertTrue(m.find(), out);
        return Long.parseLong(m.group(3));
    }

    @Test
    void stopEndsAsSoonAsEveryProbeIsBackEvenWhileGuestsSendTheirOwnStreams() throws Exception {
        try (Experiment e = new Experiment(Demo.scenario(Demo.Plan.quick()))) {
            Testpmd t = new Testpmd(e);
            t.execute("start");
            Thread.sleep(200);
            long t0 = System.nanoTime();
            String out = t.execute("stop");
            long closedLoop = System.nanoTime() - t0;
            assertEquals(0, lost(out), "the closed loop drains completely: " + out + t.execute("show port stats all"));
            assertTrue(closedLoop < 1_000_000_000L, "stop took " + closedLoop / 1_000_000 + " ms");

            // txonly guests stream to the wire without end; stop must not wait for them to fall quiet
            assertTrue(t.execute("set fwd txonly").contains("txonly"));
            t.execute("start");
            Thread.sleep(200);
            t0 = System.nanoTime();
            t.execute("stop");
            long streaming = System.nanoTime() - t0;
            assertTrue(streaming < 1_000_000_000L, "stop waited " + streaming / 1_000_000 + " ms for a stream that never ends");
        }
    }
}
