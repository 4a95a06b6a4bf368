package io.havnet.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * iproute2, for what a hypervisor asks of the host's network configuration: namespaces for guest
 * operating systems, moving TAP interfaces into them, their addresses. One failure is one line.
 */
public final class Ip {
    private Ip() {}

    /** Runs {@code ip ARGS...}; throws with ip's own message when it fails. */
    public static String run(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add("ip");
        cmd.addAll(List.of(args));
        return exec(cmd);
    }

    /** Runs a command inside network namespace {@code ns}. */
    public static String inNetns(String ns, String... args) {
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        cmd.addAll(List.of(args));
        return exec(cmd);
    }

    public static boolean netnsExists(String ns) {
        return Files.exists(Path.of("/run/netns", ns));
    }

    private static String exec(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getOutputStream().close();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + ": no answer in 30 s");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", cmd) + ": "
                        + (out.isEmpty() ? "exit " + p.exitValue() : out.lines().findFirst().orElse("")));
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(cmd.getFirst() + " cannot run: " + e.getMessage() + " (install iproute2)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted");
        }
    }
}
