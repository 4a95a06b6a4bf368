package io.havnet.lab.scenario;

/** A scenario that cannot be used: the message names the file, line and field, on one line. */
public final class ScenarioException extends IllegalArgumentException {
    public ScenarioException(String message) {
        super(message);
    }
}
