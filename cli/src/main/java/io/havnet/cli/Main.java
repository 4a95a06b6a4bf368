package io.havnet.cli;

import picocli.CommandLine;

import java.io.PrintWriter;

/**
 * Entry point of the {@code havnet} command. Exit codes: 0 ok, 1 runtime failure, 2 bad usage
 * or bad input — with a one-line reason on stderr, and a stack trace only with {@code --debug}.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line; returns the exit code (for tests and the launcher). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        boolean debug = false;
        for (String a : args) {
            if (a.equals("--debug")) {
                debug = true;
            }
        }
        final boolean showTrace = debug;
        CommandLine cl = new CommandLine(new HavnetCommand());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("havnet: " + oneLine(ex.getMessage()));
            if (showTrace) {
                ex.printStackTrace(err);
            }
            CommandLine sub = ex.getCommandLine();
            err.println("try: havnet " + commandPath(sub) + "--help");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            Throwable t = ex;
            if (t instanceof CommandLine.ExecutionException && t.getCause() != null) {
                t = t.getCause();
            }
            if (t instanceof UsageException || t instanceof IllegalArgumentException) {
                err.println("havnet: " + oneLine(t.getMessage()));
                if (showTrace) {
                    t.printStackTrace(err);
                }
                return 2;
            }
            err.println("havnet: error: " + oneLine(String.valueOf(t.getMessage() != null ? t.getMessage() : t)));
            if (showTrace) {
                t.printStackTrace(err);
            } else {
                err.println("(run with --debug for details)");
            }
            return 1;
        });
        return cl.execute(args);
    }

    private static String commandPath(CommandLine c) {
        StringBuilder b = new StringBuilder();
        for (CommandLine p = c; p != null && p.getParent() != null; p = p.getParent()) {
            b.insert(0, p.getCommandName() + " ");
        }
        return b.toString();
    }

    static String oneLine(String s) {
        if (s == null) {
            return "unknown error";
        }
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }
}
