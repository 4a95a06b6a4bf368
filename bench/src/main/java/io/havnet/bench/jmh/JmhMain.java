package io.havnet.bench.jmh;

import org.openjdk.jmh.Main;
import org.openjdk.jmh.runner.NoBenchmarksException;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;

import java.io.IOException;

/**
 * {@code ./havnet jmh [JMH options] [regex]}: JMH's own command line, with havnet's rule for bad
 * input — an option JMH does not know, a pattern no benchmark matches or a run JMH refuses ends
 * with one line on stderr and exit status 2 (JMH itself prints two lines, or a stack trace, and
 * exits 1). Help and the listings ({@code -h}, {@code -l}, {@code -lp}, {@code -lprof},
 * {@code -lrf}) are JMH's.
 */
public final class JmhMain {
    private JmhMain() {}

    public static void main(String[] argv) throws IOException {
        CommandLineOptions options;
        try {
            options = new CommandLineOptions(argv);
        } catch (CommandLineOptionException e) {
            fail(firstLine(e.getMessage()) + " (JMH's options: ./havnet jmh -h)");
            return;
        }
        if (options.shouldHelp() || options.shouldList() || options.shouldListWithParams()
                || options.shouldListProfilers() || options.shouldListResultFormats()) {
            Main.main(argv);
            return;
        }
        try {
            new Runner(options).run();
        } catch (NoBenchmarksException e) {
            fail("no benchmark matches " + String.join(" ", options.getIncludes()) + " (./havnet jmh -l lists them)");
        } catch (RunnerException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            fail("JMH run failed: " + firstLine(String.valueOf(cause.getMessage())));
        }
    }

    private static String firstLine(String s) {
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl).strip();
    }

    private static void fail(String reason) {
        System.err.println("havnet jmh: " + reason);
        System.exit(2);
    }
}
