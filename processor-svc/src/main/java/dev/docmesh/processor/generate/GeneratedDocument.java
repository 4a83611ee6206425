package dev.docmesh.processor.generate;

/** A generated PDF and what is in it. */
public record GeneratedDocument(byte[] pdf, GroundTruth truth) {}
