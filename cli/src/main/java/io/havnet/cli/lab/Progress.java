package io.havnet.cli.lab;

import java.io.PrintWriter;
import java.util.function.Consumer;

/**
 * The live view on stderr: section titles as lines; live measurement lines ("  ...") overwrite
 * each other on a terminal and are left out otherwise; a phase's average ("= ...") stays.
 */
final class Progress implements Consumer<String>, AutoCloseable {
    private final PrintWriter err;
    private final boolean tty;
    private final boolean quiet;
    private String pending;

    Progress(PrintWriter err, boolean quiet) {
        this.err = err;
        this.tty = System.console() != null && System.console().isTerminal();
        this.quiet = quiet;
    }

    @Override
    public synchronized void accept(String line) {
        if (quiet) {
            return;
        }
        if (line.startsWith("= ")) {
            if (tty) {
                err.print("\r" + pad("  " + line.substring(2)) + "\n");
            } else {
                err.println("  " + line.substring(2));
            }
            pending = null;
            err.flush();
            return;
        }
        boolean measure = line.startsWith("  ");
        if (measure) {
            if (tty) {
                err.print("\r" + pad(line));
                err.flush();
            }
            pending = line;
            return;
        }
        flushPending();
        err.println(line);
        err.flush();
    }

    private static String pad(String s) {
        return s.length() >= 78 ? s : s + " ".repeat(78 - s.length());
    }

    private void flushPending() {
        if (tty && pending != null) {
            err.print("\r" + " ".repeat(78) + "\r");
        }
        pending = null;
    }

    @Override
    public synchronized void close() {
        if (!quiet && tty && pending != null) {
            err.println();
        }
        pending = null;
        err.flush();
    }
}
