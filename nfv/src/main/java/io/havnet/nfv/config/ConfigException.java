package io.havnet.nfv.config;

/** A configuration that cannot be used: the message names the file, line and field, on one line. */
public class ConfigException extends IllegalArgumentException {
    public ConfigException(String message) {
        super(message);
    }
}
