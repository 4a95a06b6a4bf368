package io.havnet.dataplane.stats;

/**
 * What a counter means: its name as the CLI, JSON and metrics show it, its unit and a one-line
 * help text. Subsystems declare their counters once (STYLE lesson 8).
 */
public record CounterDef(String name, String unit, String help) {
    public CounterDef {
        if (!name.matches("[a-z][a-z0-9_]*")) {
            throw new IllegalArgumentException("counter name must be snake_case: " + name);
        }
    }
}
