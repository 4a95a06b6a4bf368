package io.havnet.dataplane.os;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One-line notices printed once per process, for graceful degradation ("no huge pages, using
 * normal pages"). {@code -Dhavnet.quiet=true} silences them; the text stays readable through
 * {@link #seen(String)} so tests can assert on it.
 */
public final class Notices {
    private static final boolean QUIET = Boolean.getBoolean("havnet.quiet");
    private static final Set<String> SEEN = ConcurrentHashMap.newKeySet();
    private static final ConcurrentHashMap<String, String> TEXT = new ConcurrentHashMap<>();

    private Notices() {}

    /** Prints {@code "havnet: " + text} to stderr the first time {@code key} is noticed. */
    public static void once(String key, String text) {
        if (SEEN.add(key)) {
            TEXT.put(key, text);
            if (!QUIET) {
                System.err.println("havnet: " + text);
            }
        }
    }

    /** The text of the notice printed for {@code key}, or null if none was. */
    public static String seen(String key) {
        return TEXT.get(key);
    }
}
