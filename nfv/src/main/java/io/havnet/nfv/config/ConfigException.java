package io.havnet.nfv.config;

/**
 * A configuration that cannot be used: the message names the file, line and field, on one line.
 * Text quoted from the file is escaped (a newline becomes {@code \\n}, other control characters
 * {@code \\uXXXX}) so that nothing a file holds can break the message over several lines.
 */
public class ConfigException extends IllegalArgumentException {
    public ConfigException(String message) {
        super(oneLine(message));
    }

    static String oneLine(String s) {
        if (s == null) {
            return "bad configuration";
        }
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean bad = c < 0x20 || c == 0x7F || c == 0x85 || c == 0x2028 || c == 0x2029;
            if (bad && b == null) {
                b = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (b != null) {
                if (!bad) {
                    b.append(c);
                } else if (c == '\n') {
                    b.append("\\n");
                } else if (c == '\r') {
                    b.append("\\r");
                } else if (c == '\t') {
                    b.append("\\t");
                } else {
                    b.append(String.format("\\u%04x", (int) c));
                }
            }
        }
        return b == null ? s : b.toString();
    }
}
