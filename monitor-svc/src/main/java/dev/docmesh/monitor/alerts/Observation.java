package dev.docmesh.monitor.alerts;

import java.util.Map;

/** One set of labels for which a rule's condition holds right now, with the measured value. */
public record Observation(Map<String, String> labels, double value) {}
